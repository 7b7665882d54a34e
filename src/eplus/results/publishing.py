"""Publishing project cards (called by the projects app, the import command and the demo loader).

- :func:`publish_project_card` — make (or refresh) a project's public card from plain data
- :func:`mark_final_report_submitted`, :func:`mark_project_finalised`, :func:`set_project_status`
- :func:`refresh_from_organisation` — keep the cards' copies of an organisation's public fields right
Every change is audited (AuditedModel) and refreshes the public search text and the page cache.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.money import eur
from eplus.organisations.models import Organisation
from eplus.programme.models import Agency

from .models import CardOrganisation, ProjectCard, ProjectStatus, ResultsStatus
from .page_cache import bump_public_cache, public_changed

CARD_FIELDS = ("title", "summary_en", "programme", "key_action", "action", "action_type", "sector", "call_year",
               "website")
# Optional keys of the data copied onto the card only when given (not None).
OPTIONAL_FIELDS = ("website", "status", "results_status", "final_report_submitted", "good_practice", "success_story")


def _agency(value):
    if value is None or value == "":
        return None
    if isinstance(value, Agency):
        return value
    return Agency.objects.get(code=value)


def _date(value):
    if value is None or value == "" or isinstance(value, date):
        return value or None
    return date.fromisoformat(str(value))


def organisation_fields(organisation):
    """The public fields of an Organisation as the card shows them (never people's data)."""
    address = ", ".join(p for p in [organisation.street, " ".join(
        p for p in [organisation.postcode, organisation.city] if p)] if p)
    return {
        "organisation": organisation,
        "oid": organisation.oid,
        "name": organisation.legal_name,
        "organisation_type": organisation.organisation_type,
        "address": address,
        "region": organisation.region,
        "country": organisation.country_id,
        "website": organisation.website,
    }


def _organisation_row(reference):
    """An organisation reference (Organisation, {"organisation": Organisation}, {"oid": ...} or the
    public fields) → the CardOrganisation field values."""
    if isinstance(reference, Organisation):
        return organisation_fields(reference)
    reference = dict(reference or {})
    organisation = reference.get("organisation")
    if organisation is None and reference.get("oid"):
        organisation = Organisation.objects.filter(oid=reference["oid"]).select_related("country").first()
    if organisation is not None:
        return organisation_fields(organisation)
    name = (reference.get("name") or "").strip()
    if not name:
        raise ValidationError(_("Every participating organisation needs a name or a linked organisation."))
    return {
        "organisation": None,
        "oid": reference.get("oid", "") or "",
        "name": name,
        "organisation_type": reference.get("type") or reference.get("organisation_type") or "",
        "address": reference.get("address", "") or "",
        "region": reference.get("region", "") or "",
        "country": (reference.get("country", "") or "").upper()[:2],
        "website": reference.get("website", "") or "",
    }


def _check_required(data):
    if not (data.get("identifier") or "").strip():
        raise ValidationError(_("A project card needs the project identifier."))
    if not (data.get("title") or "").strip():
        raise ValidationError(_("A project card needs the project title."))


def _action_values(data):
    """key action, action and sector, defaulting from the action type ("KA220-VET" → KA2, KA220, VET)."""
    action_type = (data.get("action_type") or "").strip()
    pieces = action_type.split("-")
    head = pieces[0]
    sector = pieces[1] if len(pieces) > 1 and len(pieces[1]) == 3 else ""
    return {
        "action_type": action_type,
        "key_action": data.get("key_action") or head[:3],
        "action": data.get("action") or head,
        "sector": data.get("sector") or sector,
    }


def _card_values(data):
    """The card's field values from the plain data (validated)."""
    _check_required(data)
    eu_grant = data.get("eu_grant")
    values = {
        "title": data["title"].strip(),
        "summary_en": (data.get("summary_en") or "").strip(),
        "programme": data.get("programme") or "Erasmus+",
        **_action_values(data),
        "call_year": int(data["call_year"]) if data.get("call_year") else None,
        "start_date": _date(data.get("start_date")),
        "end_date": _date(data.get("end_date")),
        "eu_grant": eur(eu_grant) if eu_grant not in (None, "") else None,
        "topics": [str(t) for t in (data.get("topics") or [])],
        "agency": _agency(data.get("agency")),
    }
    values["topics_text"] = "; ".join(values["topics"])
    values.update({key: data[key] for key in OPTIONAL_FIELDS if data.get(key) is not None})
    if values.get("status") and values["status"] not in ProjectStatus.values:
        raise ValidationError(_("Unknown project status: %(status)s.") % {"status": values["status"]})
    return values


def _organisation_rows(data):
    """[(role, CardOrganisation values)] in the card's order: the coordinator first, then the partners."""
    coordinator = [("coordinator", _organisation_row(data["coordinator"]))] if data.get("coordinator") else []
    return coordinator + [("partner", _organisation_row(p)) for p in (data.get("partners") or [])]


def _settle_results_status(card):
    """A final report opens the results; approved results of a finalised project are published."""
    if card.results_status == ResultsStatus.OPEN and card.final_report_submitted:
        card.results_status = ResultsStatus.AVAILABLE
        card.save(audit_verb="results-available")
    if card.results_status == ResultsStatus.APPROVED and card.results_may_be_public:
        stamp_published_results(card)


def publish_project_card(data):
    """Create (or update, by identifier) the public card of a project from plain data.

    ``data`` keys: identifier, title, summary_en, action_type (e.g. "KA220-VET"), key_action, action
    (defaults from action_type), sector (defaults from action_type), call_year, start_date, end_date,
    eu_grant (Decimal or text), topics (list of str), agency (Agency or code), coordinator and
    partners (organisation references: an Organisation, {"organisation": Organisation}, {"oid": ...}
    or the public fields name/type/address/region/country/website), optional website, status,
    results_status, final_report_submitted, good_practice, success_story, published_at.
    """
    values = _card_values(data)
    rows = _organisation_rows(data)
    identifier = data["identifier"].strip()
    with transaction.atomic():
        card = ProjectCard.objects.select_for_update(of=("self",)).filter(identifier=identifier).first()
        creating = card is None
        if creating:
            card = ProjectCard(identifier=identifier, published_at=data.get("published_at") or timezone.now())
        for key, value in values.items():
            setattr(card, key, value)
        card.coordinator = rows[0][1]["organisation"] if rows and rows[0][0] == "coordinator" else None
        card.save(audit_verb="publish-card" if creating else "refresh-card")
        if not creating:
            card.organisations.all().delete()
        for order, (role, row) in enumerate(rows):
            CardOrganisation.objects.create(card=card, role=role, order=order, **row)
        _settle_results_status(card)
    public_changed(card)
    return card


def refresh_from_organisation(organisation):
    """Copy an Organisation's public fields into every card entry linked to it (kept in sync)."""
    fields = organisation_fields(organisation)
    fields.pop("organisation")
    cards = set()
    for entry in CardOrganisation.objects.filter(organisation=organisation):
        changed = False
        for key, value in fields.items():
            if getattr(entry, key) != value:
                setattr(entry, key, value)
                changed = True
        if changed:
            entry.save(audit_verb="sync-organisation")
            cards.add(entry.card_id)
    for card in ProjectCard.objects.filter(pk__in=cards):
        public_changed(card)
    return len(cards)


def stamp_published_results(card, now=None):
    """Give the card's public results not yet published their publication time (now)."""
    now = now or timezone.now()
    count = 0
    for result in card.results.filter(public=True, published_at__isnull=True):
        result.published_at = now
        result.save(audit_verb="publish-result")
        count += 1
    return count


def mark_final_report_submitted(card):
    """The final report is in: results may be submitted for review even before the end date."""
    with transaction.atomic():
        card = ProjectCard.objects.select_for_update(of=("self",)).get(pk=card.pk)
        card.final_report_submitted = True
        if card.results_status == ResultsStatus.OPEN:
            card.results_status = ResultsStatus.AVAILABLE
        card.save(audit_verb="final-report-submitted")
    bump_public_cache()
    return card


def set_project_status(card, status):
    if status not in ProjectStatus.values:
        raise ValidationError(_("Unknown project status: %(status)s.") % {"status": status})
    with transaction.atomic():
        card = ProjectCard.objects.select_for_update(of=("self",)).get(pk=card.pk)
        card.status = status
        card.save(audit_verb=f"project-{status}")
        if card.results_status == ResultsStatus.APPROVED and card.results_may_be_public:
            stamp_published_results(card)
    public_changed(card)
    return card


def mark_project_finalised(card):
    """The project is finalised: approved public results become public now."""
    return set_project_status(card, ProjectStatus.FINALISED)
