"""Annexes of an application (the declaration on honour, the partners' mandates): checked by their
content (``core.files``), stored with their SHA-256, under the application's row lock."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eplus.core.files import DOCUMENT, check_upload, stored_upload

from .models import Annex, AnnexKind
from .sections import bump_section, locked_change, may_change


def check_file(uploaded, field="file"):
    """The CheckedFile of an annex or screenshot: a PDF, PNG or JPEG by its content, checked in depth."""
    return check_upload(uploaded, uploaded.name, DOCUMENT, field=field)


def add_annex(application, kind, uploaded, user, organisation=None):
    may_change(application, user)
    if kind not in AnnexKind.values:
        raise ValidationError({"kind": [_("Choose the kind of annex.")]})
    if kind == AnnexKind.MANDATE and organisation is None:
        raise ValidationError({"organisation": [_("Choose the partner whose mandate this is.")]})
    checked = check_file(uploaded)
    with stored_upload(uploaded, checked, f"applications/{application.pk}/annexes") as stored, \
            locked_change(application, user):
        same = application.annexes.filter(kind=kind, organisation=organisation, sha256=checked.sha256).first()
        if same is not None:
            stored.discard()
            return same  # the same file uploaded again (a second click): kept once
        annex = Annex(application=application, kind=kind, organisation=organisation,
                      original_name=checked.download_name, size=checked.size, sha256=checked.sha256,
                      content_type=checked.content_type, uploaded_by=user)
        annex.file.name = stored.name
        annex.save(audit_verb="upload-annex")
        bump_section(application, "annexes", user, f"add {annex.original_name}")
    return annex


def remove_annex(application, annex, user):
    may_change(application, user)
    with locked_change(application, user):
        if not Annex.objects.filter(pk=annex.pk).exists():
            return  # removed meanwhile (a second click): nothing more to do
        annex.delete()
        bump_section(application, "annexes", user, f"remove {annex.original_name}")

