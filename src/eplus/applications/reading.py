"""The reading view of a submission: what the applicant answered, section by section in the form's order, each
answer under its form label, codes shown by their names, work packages or activities as a table with amounts,
the organisations with their role, country (named in the reader's language), OID and registration status,
and the annexes; the call, marked when it is provisional.

Made from the submission's snapshot (what counted, never the draft edited since) and the section forms
themselves, so that a field added to a form appears here without a second list to keep. Used by the experts'
and officers' pages and by the submission PDF.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats
from django.utils.translation import gettext as _

from eplus.core.money import format_eur
from eplus.core.time import format_brussels
from eplus.organisations.models import Organisation, OrganisationType
from eplus.programme.models import Country, Priority, Topic

from . import forms as section_forms
from .models import AnnexKind, ParticipantRole


@dataclass
class Answer:
    name: str  # the form field's name
    label: str
    value: str = ""  # the answer as read (empty: not answered)
    values: list = field(default_factory=list)  # for a multiple choice: each chosen name
    choice: bool = False  # the value is one of the form's names (in the reader's language), not the applicant's text


@dataclass
class ItemTable:
    columns: list  # labels
    rows: list  # lists of cells (strings), in the applicant's order
    total: str = ""


@dataclass
class ReadSection:
    key: str
    title: str
    answers: list = field(default_factory=list)
    table: ItemTable | None = None


@dataclass
class ReadOrganisation:
    oid: str
    name: str
    role: str
    country: str
    type: str
    city: str
    status: str  # the registration status today
    organisation: Organisation | None


@dataclass
class ReadAnnex:
    name: str
    kind: str
    size: int
    sha256: str
    annex_id: int | None  # the stored file with this content, if still stored


@dataclass
class Reading:
    number: str
    title: str
    language: str  # of the applicant's answers
    submitted_at: str
    sha256: str
    incident_id: int | None
    organisations: list
    sections: list
    annexes: list
    call: object = None  # the application's call (shown with its provisional badge)


def _date(value):
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return formats.date_format(day, "DATE_FORMAT")


def _money(value):
    try:
        return format_eur(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _display(form_field, value):
    """One stored value as a reader should see it (a choice by its name, a date in the reader's language)."""
    if value in (None, "", []):
        return ""
    if isinstance(form_field, forms.BooleanField):
        return _("Yes") if value is True or value in ("on", "true", "True", "1") else _("No")
    if isinstance(form_field, forms.ChoiceField):
        names = {str(code): str(name) for code, name in form_field.choices}
        return names.get(str(value), str(value))
    if isinstance(form_field, forms.DateField):
        return _date(value)
    if isinstance(form_field, forms.DecimalField):
        return _money(value)
    return str(value)


def _names_of(model, codes):
    found = {o.code: o.display_name for o in model.objects.filter(code__in=codes)}
    return [str(found.get(code, code)) for code in codes]


def _answers(form, data):
    answers = []
    for name, form_field in form.fields.items():
        value = data.get(name)
        if isinstance(form_field, forms.MultipleChoiceField):
            codes = [str(v) for v in (value or [])] if isinstance(value, list) else ([str(value)] if value else [])
            names = dict((str(code), str(label)) for code, label in form_field.choices)
            unknown = [code for code in codes if code not in names]
            if unknown:  # no longer offered (a priority made inactive since): still named
                model = Priority if name == "priorities" else Topic
                names.update(zip(unknown, _names_of(model, unknown), strict=True))
            answers.append(Answer(name, str(form_field.label), values=[names[code] for code in codes], choice=True))
        else:
            typed = isinstance(form_field, forms.CharField) and not isinstance(form_field, forms.ChoiceField)
            answers.append(Answer(name, str(form_field.label), _display(form_field, value), choice=not typed))
    return answers


def _item_table(application, data, partners):
    cls = section_forms.design_form_class(application.call)
    kwargs = {"partners": partners} if cls is section_forms.WorkPackageForm else {}
    form = cls(**kwargs)
    names = list(form.fields)
    items = [item for item in (data or {}).get("items") or [] if isinstance(item, dict)]
    rows, total = [], Decimal("0")
    for item in items:
        rows.append([_display(form.fields[name], item.get(name)) for name in names])
        try:
            total += Decimal(str(item.get("amount") or "0"))
        except (InvalidOperation, ValueError):
            pass
    return ItemTable([str(form.fields[name].label) for name in names], rows, format_eur(total))


class _Partner:
    """What the work-package form needs of a partner: its OID and name (taken from the snapshot)."""

    def __init__(self, oid, legal_name):
        self.oid, self.legal_name = oid, legal_name


def _organisations(snapshot):
    listed = [o for o in snapshot.get("organisations") or [] if isinstance(o, dict)]
    oids = [o.get("oid") for o in listed]
    current = {o.oid: o for o in Organisation.objects.filter(oid__in=oids)}
    countries = Country.names(o.get("country") for o in listed)  # in the reader's language
    roles, types = dict(ParticipantRole.choices), dict(OrganisationType.choices)
    result = []
    for o in listed:
        organisation = current.get(o.get("oid"))
        result.append(ReadOrganisation(
            oid=o.get("oid") or "", name=o.get("legal_name") or "", role=str(roles.get(o.get("role"), o.get("role"))),
            country=str(countries.get(o.get("country"), o.get("country") or "")),
            type=str(types.get(o.get("type"), o.get("type") or "")), city=o.get("city") or "",
            status=organisation.get_status_display() if organisation else _("not registered any more"),
            organisation=organisation))
    return result


def _annexes(application, snapshot):
    # The same file may be attached twice (one mandate text for two partners): matched by kind, name and content.
    stored = {(kind, name, sha): pk for pk, kind, name, sha in
              application.annexes.values_list("pk", "kind", "original_name", "sha256")}
    kinds = dict(AnnexKind.choices)
    return [ReadAnnex(name=a.get("name") or "", kind=str(kinds.get(a.get("kind"), a.get("kind") or "")),
                      size=a.get("size") or 0, sha256=a.get("sha256") or "",
                      annex_id=stored.get((a.get("kind"), a.get("name"), a.get("sha256"))))
            for a in snapshot.get("annexes") or [] if isinstance(a, dict)]


def organisations_of(submission):
    """The organisations of ``submission`` as the reading view lists them (for a page that shows only those)."""
    return _organisations(submission.snapshot or {})


def read_submission(submission):
    """The :class:`Reading` of ``submission`` (its application's call gives the forms and their choices)."""
    application = submission.application
    snapshot = submission.snapshot or {}
    stored = snapshot.get("sections") or {}
    partners = [_Partner(o["oid"], o.get("legal_name") or o["oid"]) for o in snapshot.get("organisations") or []
                if isinstance(o, dict) and o.get("role") == ParticipantRole.PARTNER and o.get("oid")]
    sections = []
    for key in section_forms.SECTION_KEYS:
        title = str(section_forms.SECTION_TITLES[key])
        data = (stored.get(key) or {}).get("data") or {}
        if key == "design":
            sections.append(ReadSection(key, title, table=_item_table(application, data, partners)))
        elif key in section_forms.SIMPLE_FORMS:
            kwargs = {"application": application} if key in ("context", "relevance") else {}
            form = section_forms.SIMPLE_FORMS[key](**kwargs)
            sections.append(ReadSection(key, title, answers=_answers(form, data if isinstance(data, dict) else {})))
    return Reading(
        number=submission.number, title=snapshot.get("title") or application.title,
        language=snapshot.get("language") or application.language or "en",
        submitted_at=format_brussels(submission.submitted_at),
        sha256=submission.sha256, incident_id=submission.incident_id,
        organisations=_organisations(snapshot), sections=sections, annexes=_annexes(application, snapshot),
        call=application.call)
