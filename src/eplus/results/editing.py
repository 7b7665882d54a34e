"""The beneficiary's edits of a card: website, logo, contacts, results and their files.

The caller has checked ``results.edit_card`` (the views declare it); these functions refuse only what
the card's review status forbids (:class:`Locked`). Every change is audited and refreshes the public side.
"""

from contextlib import ExitStack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as, snapshot
from eplus.core.files import RESULT_FILE, CheckedFile, check_upload, stored_upload

from .models import Contact, Result, ResultFile, ResultsStatus, ResultType
from .page_cache import bump_public_cache, public_changed
from .uploads import check_logo


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
    checked, thumbnail = check_logo(fileobj, filename)
    thumbnail_checked = CheckedFile(name="thumbnail.png", kind="png", content_type="image/png",
                                    size=thumbnail.size, sha256="", ending=".png")
    old = [card.logo.name, card.logo_thumbnail.name]
    folder = f"results/logos/{card.pk}"
    with ExitStack() as stack:
        logo = stack.enter_context(stored_upload(fileobj, checked, folder))
        thumb = stack.enter_context(stored_upload(thumbnail, thumbnail_checked, folder))
        with acting_as(user), transaction.atomic():
            card.logo.name, card.logo_thumbnail.name = logo.name, thumb.name
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


def add_result_file(result, fileobj, filename, user, checked=None):
    """Check one file (≤ 100 MB, by content, in depth), store it and attach it to the result."""
    _check_results_editable(result.card)
    checked = checked or check_upload(fileobj, filename, RESULT_FILE)
    with stored_upload(fileobj, checked, f"results/files/{result.card_id}") as stored, \
            acting_as(user), transaction.atomic():
        record = ResultFile(result=result, original_name=checked.name, size=checked.size, sha256=checked.sha256,
                            content_type=checked.content_type)
        record.file.name = stored.name
        record.save()
    bump_public_cache()
    return record


def save_result_with_file(card, user, upload, **fields):
    """A result and its file, committed together: a failed or killed upload leaves no result without it."""
    _check_results_editable(card)
    checked = check_upload(upload, upload.name, RESULT_FILE)
    with transaction.atomic():
        result = save_result(card, user, **fields)
        add_result_file(result, upload, upload.name, user, checked=checked)
    return result


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
