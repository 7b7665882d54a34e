"""Loads the versioned programme reference data (programme/data/*.json) into the database.

Each data file is one data set: ``{"dataset", "version", "source", "default_source"?, "items": [...],
"envelopes"?: [...]}``. The database records the loaded version and SHA-256 of every data set in
:class:`~eplus.programme.models.ReferenceDataRelease`.

How administrators' edits are protected
---------------------------------------
- A data file is applied only when its ``version`` is newer than the version already loaded
  (versions compare as dotted numbers: ``2026.10`` > ``2026.9``), or with ``force=True``
  (``load_programme --force``).
- A file whose content changed but whose version did not is NOT applied: the loader warns that the
  version must be raised. So an edit made in the admin survives every re-run of ``load_programme``
  until a newer data release is published on purpose.
- When a file is applied, it sets only the fields it lists, on the rows it lists (natural keys:
  country code, agency code, action code, call year+action+round, envelope agency+call+sector,
  priority/topic code). Other rows and fields are left alone; nothing is ever deleted.
- A data file marked ``"provisional": true`` (the 2027 calls copied from 2026 until the 2027
  Programme Guide is loaded) is applied only when asked for (``provisional=True``, which the demo's
  ``load_demo`` does, or ``load_programme --provisional``); its calls are marked provisional and every
  page that shows them says so. A call loaded from a file without the mark is not provisional.
- Rows whose values already match are not saved at all, so applying a file twice (or ``--force``
  with nothing new) writes no audit events. Every row it does change is saved through
  :class:`~eplus.core.audit.AuditedModel`, so the audit trail shows the field diff, with the verb
  ``reference-data-load`` and the data set and version as the reason.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eplus.core.money import eur
from eplus.core.time import parse_brussels

from .models import Action, Agency, BudgetEnvelope, Call, Country, Priority, ReferenceDataRelease, Topic

DATA_DIR = Path(__file__).resolve().parent / "data"
# Load order: later data sets refer to earlier ones by code.
ORDER = ["countries", "agencies", "actions", "priorities", "topics"]
AUDIT_VERB = "reference-data-load"


class ReferenceDataError(Exception):
    """A data file that cannot be loaded; the message names the file, the row and the problem."""


@dataclass
class DatasetResult:
    name: str
    version: str
    outcome: str  # "applied", "unchanged", "older", "needs-new-version", "provisional-skipped"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.name} {self.version}: {self.outcome}"
        if self.outcome == "applied":
            text += f" ({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"
        return "; ".join([text, *self.messages])


def version_key(version):
    """'2026.1' → (2026, 1); non-numeric parts compare as text after numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", str(version)))


def data_files(data_dir=DATA_DIR):
    files = {p.stem: p for p in Path(data_dir).glob("*.json")}
    ordered = [files.pop(name) for name in ORDER if name in files]
    return ordered + [files[name] for name in sorted(files)]


def load_programme(data_dir=DATA_DIR, force=False, provisional=False):
    """Apply every data file in ``data_dir`` (all in one transaction); returns a list of results.

    Files marked provisional are skipped unless ``provisional`` (the demo loads them)."""
    results = []
    with transaction.atomic():
        for path in data_files(data_dir):
            results.append(load_file(path, force=force, provisional=provisional))
    return results


def _read(path):
    """The data file's document and SHA-256, checked for its dataset, version and items."""
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path.name}: not valid JSON ({exc})") from exc
    if not doc.get("dataset") or not doc.get("version") or not isinstance(doc.get("items"), list):
        raise ReferenceDataError(f"{path.name}: needs 'dataset', 'version' and a list of 'items'")
    return doc, hashlib.sha256(raw).hexdigest()


def _skip_reason(path, doc, sha, release, result):
    """Set the result's outcome and return True when the loaded release makes this file nothing to apply."""
    version = doc["version"]
    if version_key(version) < version_key(release.version):
        result.outcome = "older"
        result.messages.append(f"version {release.version} is already loaded")
        return True
    if version_key(version) > version_key(release.version):
        return False
    if sha == release.sha256:
        result.outcome = "unchanged"
    else:
        result.outcome = "needs-new-version"
        result.messages.append(
            f"{path.name} changed but its version is still {version}: raise the version to apply it "
            "(or use --force, which overwrites administrators' edits of the fields it lists)")
    return True


def _apply_items(path, doc, result):
    """Run the data set's handler on every item, then the envelopes (errors name the file and item)."""
    name = doc["dataset"]
    handler = HANDLERS.get(name) or (HANDLERS["calls"] if name.startswith("calls") else None)
    if handler is None:
        raise ReferenceDataError(f"{path.name}: unknown data set {name!r}")
    reason = f"{name} {doc['version']}"
    default_source = doc.get("default_source", "")
    for index, item in enumerate(doc["items"]):
        if handler is _call and isinstance(item, dict):
            item = dict(item, provisional=bool(doc.get("provisional")))
        try:
            handler(item, reason, result, default_source)
        except (KeyError, ValueError, TypeError, ValidationError, LookupError) as exc:
            raise ReferenceDataError(f"{path.name}: item {index + 1} ({_label(item)}): {_explain(exc)}") from exc
    for index, item in enumerate(doc.get("envelopes", [])):
        try:
            _envelope(item, reason, result)
        except (KeyError, ValueError, TypeError, ValidationError, LookupError) as exc:
            raise ReferenceDataError(f"{path.name}: envelope {index + 1}: {_explain(exc)}") from exc


def _record_release(doc, sha, release, result):
    """Store which version of the data set is loaded (unchanged when it already says so)."""
    values = {"version": str(doc["version"]), "sha256": sha, "source": doc.get("source", "")}
    if release is None:
        ReferenceDataRelease.objects.create(name=doc["dataset"], loaded_at=timezone.now(), **values)
    elif any(getattr(release, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(release, key, value)
        release.loaded_at = timezone.now()
        release.save()
    else:
        result.outcome = "unchanged"


def load_file(path, force=False, provisional=False):
    """Apply one data file unless the loaded release is newer or the same (``force`` applies it anyway).

    A file marked ``"provisional": true`` is applied only with ``provisional``."""
    path = Path(path)
    doc, sha = _read(path)
    result = DatasetResult(name=doc["dataset"], version=str(doc["version"]), outcome="applied")
    if doc.get("provisional") and not provisional:
        result.outcome = "provisional-skipped"
        result.messages.append(f"{path.name} is provisional: only the demo loads it (load_programme --provisional)")
        return result
    release = ReferenceDataRelease.objects.filter(name=doc["dataset"]).first()
    if release is not None and not force and _skip_reason(path, doc, sha, release, result):
        return result
    _apply_items(path, doc, result)
    _record_release(doc, sha, release, result)
    return result


def _label(item):
    if not isinstance(item, dict):
        return repr(item)[:40]
    if "code" in item:
        return item["code"]
    return " ".join(str(item.get(k, "")) for k in ("year", "action", "round")).strip()


def _explain(exc):
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.message_dict.items())
        return " ".join(str(m) for m in exc.messages)
    return f"{type(exc).__name__}: {exc}"


def _same(current, new):
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        if current is None or new is None:
            return current is new
        return Decimal(str(current)) == Decimal(str(new))
    return current == new


def upsert(model, lookup, values, reason, result):
    """Create or update one row by its natural key; save (and audit) only real changes."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save(audit_verb=AUDIT_VERB, audit_reason=reason)
        result.created += 1
        return obj
    changed = [name for name, value in values.items() if not _same(getattr(obj, name), value)]
    if not changed:
        result.unchanged += 1
        return obj
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save(audit_verb=AUDIT_VERB, audit_reason=reason)
    result.updated += 1
    return obj


def _pick(item, names, default_source=""):
    values = {name: item[name] for name in names if name in item}
    if "source" in names and "source" not in values and default_source:
        values["source"] = default_source
    return values


# -- one function per data set -----------------------------------------------------------------
def _country(item, reason, result, default_source):
    values = _pick(item, ["name", "name_lv", "status", "region"])
    upsert(Country, {"code": item["code"]}, values, reason, result)


def _agency(item, reason, result, default_source):
    values = _pick(item, ["name", "kind", "fields"])
    if "country" in item:
        values["country"] = Country.objects.get(code=item["country"]) if item["country"] else None
    upsert(Agency, {"code": item["code"]}, values, reason, result)


def _action(item, reason, result, default_source):
    values = _pick(item, ["name_en", "name_lv", "key_action", "sectors", "managing_agency_kind",
                          "funding_model", "active", "source"], default_source)
    if "managing_agency" in item:
        values["managing_agency"] = Agency.objects.get(code=item["managing_agency"]) if item["managing_agency"] else None
    upsert(Action, {"code": item["code"]}, values, reason, result)


def _priority(item, reason, result, default_source):
    values = _pick(item, ["sector", "name_en", "name_lv", "position", "active", "source"], default_source)
    upsert(Priority, {"code": item["code"]}, values, reason, result)


def _topic(item, reason, result, default_source):
    values = _pick(item, ["name_en", "name_lv", "position", "active", "source"], default_source)
    upsert(Topic, {"code": item["code"]}, values, reason, result)


CALL_PLAIN = [
    "title_en", "funding_model", "lump_sum_options", "lots", "duration_min_months", "duration_max_months",
    "coordinator_min_age_years", "max_topics", "composition", "organisation_limits", "structure",
    "award_criteria", "payment_schedule", "first_prefinancing_days", "progress_report_days",
    "final_report_days", "final_report_decision_days", "reduction_bands", "other_rules", "sources", "provisional",
]


def _optional(value, convert):
    return None if value is None else convert(value)


def _call(item, reason, result, default_source):
    action = Action.objects.get(code=item["action"])
    values = _pick(item, CALL_PLAIN)
    if "deadline" in item:
        values["deadline"] = parse_brussels(item["deadline"])  # wall-clock text = Brussels time
    for name in ("start_earliest", "start_latest"):
        if name in item:
            values[name] = _optional(item[name], date.fromisoformat)
    for name in ("grant_maximum", "total_budget"):
        if name in item:
            values[name] = _optional(item[name], eur)
    for name in ("award_total_threshold", "award_criterion_threshold_share"):
        if name in item:
            values[name] = _optional(item[name], lambda v: Decimal(str(v)))
    upsert(Call, {"year": item["year"], "action": action, "round": item.get("round", 1)}, values, reason, result)


def _envelope(item, reason, result):
    agency = Agency.objects.get(code=item["agency"])
    call = Call.objects.select_related("action").get(
        year=item["year"], action__code=item["action"], round=item.get("round", 1))
    values = {"amount": eur(item["amount"])}
    if "source" in item:
        values["source"] = item["source"]
    upsert(BudgetEnvelope, {"agency": agency, "call": call, "sector": item.get("sector", "")}, values, reason, result)


HANDLERS = {
    "countries": _country,
    "agencies": _agency,
    "actions": _action,
    "priorities": _priority,
    "topics": _topic,
    "calls": _call,
}
