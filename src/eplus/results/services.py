"""The verbs of the results platform (called by views, the projects app and the import command).

- :func:`publish_project_card` — make (or refresh) a project's public card from plain data
- :func:`mark_final_report_submitted`, :func:`mark_project_finalised`, :func:`set_project_status`
- beneficiary edits: website, logo, contacts, results and their files
Every change is audited (AuditedModel) and refreshes the public search text and the page cache.
"""

from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as, snapshot
from eplus.core.mail import language_of, send_templated_mail
from eplus.core.money import eur

from .models import (
    CardOrganisation, Contact, ProjectCard, ProjectStatus, Result, ResultFile, ResultsStatus, ResultType,
)
from .uploads import process_logo, stream_to_storage

# --- public cache ---------------------------------------------------------------------------

PUBLIC_CACHE_TTL = 300
_VERSION_KEY = "results:public-version"


def public_cache_version():
    version = cache.get(_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(_VERSION_KEY, version, None)
    return version


def bump_public_cache():
    """Invalidate every cached public page (called on every publish event)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, None)


def reindex(card):
    """Rebuild the card's public search text, its search row and the facet counts (eplus.results.index)."""
    from .index import index_card

    index_card(card)


def public_changed(card):
    reindex(card)
    bump_public_cache()


# --- the card -------------------------------------------------------------------------------

def _agency(value):
    from eplus.programme.models import Agency

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
    from eplus.organisations.models import Organisation

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


CARD_FIELDS = ("title", "summary_en", "programme", "key_action", "action", "action_type", "sector", "call_year",
               "website")


def publish_project_card(data):  # noqa: C901 - to be split (issue 10)
    """Create (or update, by identifier) the public card of a project from plain data.

    ``data`` keys: identifier, title, summary_en, action_type (e.g. "KA220-VET"), key_action, action
    (defaults from action_type), sector (defaults from action_type), call_year, start_date, end_date,
    eu_grant (Decimal or text), topics (list of str), agency (Agency or code), coordinator and
    partners (organisation references: an Organisation, {"organisation": Organisation}, {"oid": ...}
    or the public fields name/type/address/region/country/website), optional website, status,
    results_status, final_report_submitted, good_practice, success_story, published_at.
    """
    identifier = (data.get("identifier") or "").strip()
    if not identifier:
        raise ValidationError(_("A project card needs the project identifier."))
    if not (data.get("title") or "").strip():
        raise ValidationError(_("A project card needs the project title."))
    action_type = (data.get("action_type") or "").strip()
    pieces = action_type.split("-")
    values = {
        "title": data["title"].strip(),
        "summary_en": (data.get("summary_en") or "").strip(),
        "programme": data.get("programme") or "Erasmus+",
        "key_action": data.get("key_action") or (pieces[0][:3] if pieces and pieces[0] else ""),
        "action": data.get("action") or (pieces[0] if pieces else ""),
        "action_type": action_type,
        "sector": data.get("sector") or (pieces[1] if len(pieces) > 1 and len(pieces[1]) == 3 else ""),
        "call_year": int(data["call_year"]) if data.get("call_year") else None,
        "start_date": _date(data.get("start_date")),
        "end_date": _date(data.get("end_date")),
        "eu_grant": eur(data["eu_grant"]) if data.get("eu_grant") not in (None, "") else None,
        "topics": [str(t) for t in (data.get("topics") or [])],
        "agency": _agency(data.get("agency")),
    }
    values["topics_text"] = "; ".join(values["topics"])
    for key in ("website",):
        if data.get(key) is not None:
            values[key] = data[key]
    for key in ("status", "results_status", "final_report_submitted", "good_practice", "success_story"):
        if key in data and data[key] is not None:
            values[key] = data[key]
    if values.get("status") and values["status"] not in ProjectStatus.values:
        raise ValidationError(_("Unknown project status: %(status)s.") % {"status": values["status"]})
    coordinator = _organisation_row(data.get("coordinator")) if data.get("coordinator") else None
    partners = [_organisation_row(p) for p in (data.get("partners") or [])]

    with transaction.atomic():
        card = ProjectCard.objects.select_for_update(of=("self",)).filter(identifier=identifier).first()
        creating = card is None
        if creating:
            card = ProjectCard(identifier=identifier, published_at=data.get("published_at") or timezone.now())
        for key, value in values.items():
            setattr(card, key, value)
        card.coordinator = coordinator["organisation"] if coordinator else None
        card.save(audit_verb="publish-card" if creating else "refresh-card")
        if not creating:
            card.organisations.all().delete()
        rows = ([("coordinator", coordinator)] if coordinator else []) + [("partner", p) for p in partners]
        for order, (role, row) in enumerate(rows):
            CardOrganisation.objects.create(card=card, role=role, order=order, **row)
        if card.results_status == ResultsStatus.OPEN and card.final_report_submitted:
            card.results_status = ResultsStatus.AVAILABLE
            card.save(audit_verb="results-available")
        if card.results_status == ResultsStatus.APPROVED and card.is_finalised:
            _stamp_published_results(card)
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


def _stamp_published_results(card, now=None):
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
        if card.results_status == ResultsStatus.APPROVED and card.is_finalised:
            _stamp_published_results(card)
    public_changed(card)
    return card


def mark_project_finalised(card):
    """The project is finalised: approved public results become public now."""
    return set_project_status(card, ProjectStatus.FINALISED)


# --- beneficiary edits ----------------------------------------------------------------------

class Locked(Exception):
    """The card is locked for the coordinator (under review); ``str(exc)`` is the user's message."""


def locked_message():
    return _("The results are under review by the National Agency. You can change them again once the "
             "agency approves them or returns them to you with comments.")


def _current_results_status(card):
    """The status as stored now: the instance in hand may be stale, so it is refreshed first."""
    card.refresh_from_db()
    card._audit_before = snapshot(card)
    return card.results_status


def _check_card_editable(card):
    if _current_results_status(card) == ResultsStatus.UNDER_REVIEW:
        raise Locked(locked_message())


def _check_results_editable(card):
    _check_card_editable(card)
    if card.results_status == ResultsStatus.APPROVED:
        raise Locked(_("The results have been approved by the National Agency and can no longer be changed."))


def set_website(card, website, user):
    _check_card_editable(card)
    with acting_as(user):
        card.website = (website or "").strip()
        card.save(audit_verb="set-website")
    public_changed(card)
    return card


def set_logo(card, fileobj, filename, user):
    _check_card_editable(card)
    logo, thumbnail, _content_type = process_logo(fileobj, filename)
    old = [card.logo.name, card.logo_thumbnail.name]
    with acting_as(user):
        card.logo.save(logo.name, logo, save=False)
        card.logo_thumbnail.save(thumbnail.name, thumbnail, save=False)
        card.save(audit_verb="set-logo")
    for name in old:
        if name:
            card.logo.storage.delete(name)
    bump_public_cache()
    return card


def remove_logo(card, user):
    _check_card_editable(card)
    with acting_as(user):
        for field in (card.logo, card.logo_thumbnail):
            if field:
                field.delete(save=False)
        card.save(audit_verb="remove-logo")
    bump_public_cache()
    return card


def save_contact(card, user, *, contact=None, name, email="", phone="", published=False):
    _check_card_editable(card)
    with acting_as(user):
        contact = contact or Contact(card=card)
        contact.name, contact.email, contact.phone, contact.published = name.strip(), email.strip(), phone.strip(), published
        contact.save(audit_verb="publish-contact" if published else "")
    bump_public_cache()
    return contact


def delete_contact(contact, user):
    _check_card_editable(contact.card)
    with acting_as(user):
        contact.delete()
    bump_public_cache()


def save_result(card, user, *, result=None, title, result_type, description_en, link="", public_flag=True):
    _check_results_editable(card)
    if result_type not in ResultType.values:
        raise ValidationError({"result_type": [_("Choose the type of result from the list.")]})
    with acting_as(user):
        result = result or Result(card=card)
        result.title, result.result_type = title.strip(), result_type
        result.description_en, result.link, result.public = description_en.strip(), (link or "").strip(), public_flag
        result.save()
    bump_public_cache()
    return result


def delete_result(result, user):
    _check_results_editable(result.card)
    with acting_as(user):
        for f in result.files.all():
            _delete_file(f)
        result.delete()
    bump_public_cache()


def add_result_file(result, fileobj, filename, user):
    """Stream one file to storage (≤ 100 MB, type checked by content) and attach it to the result."""
    _check_results_editable(result.card)
    stored, size, sha, content_type = stream_to_storage(
        fileobj, filename, f"results/files/{result.card_id}/{result.pk}")
    with acting_as(user):
        record = ResultFile(result=result, original_name=filename[:255], size=size, sha256=sha,
                            content_type=content_type)
        record.file.name = stored
        record.save()
    bump_public_cache()
    return record


def _delete_file(record):
    name = record.file.name
    record.delete()
    if name:
        record.file.storage.delete(name)


def delete_result_file(record, user):
    _check_results_editable(record.result.card)
    with acting_as(user):
        _delete_file(record)
    bump_public_cache()


# --- e-mail ---------------------------------------------------------------------------------

def coordinator_recipients(card):
    """Users who manage the card: legal representatives and contact persons of the coordinator."""
    from eplus.organisations.models import MANAGER_ROLES

    if not card.coordinator_id:
        return []
    return [m.user for m in card.coordinator.memberships.filter(role__in=MANAGER_ROLES).select_related("user")]


def send_card_mail(card, template, recipients, extra=None):
    link = settings.SITE_URL.rstrip("/")
    for user in recipients:
        context = {"card": card, "user": user, "site": link, **(extra or {})}
        send_templated_mail(f"results/email/{template}", context, user.email, language_of(user))
    return len(recipients)


def agency_recipients(card):
    from eplus.programme.models import AgencyMembership

    if not card.agency_id:
        return []
    return [m.user for m in AgencyMembership.objects.filter(
        agency_id=card.agency_id, role__in=AgencyMembership.STAFF_ROLES, active=True).select_related("user")]
