"""Annexes of an application (the declaration on honour, the partners' mandates): checked by their
content (``core.files``), stored with their SHA-256, under the application's row lock."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eplus.core.files import check_document

from .models import Annex, AnnexKind
from .sections import bump_section, locked_change, may_change


def check_file(uploaded):
    """(content type, size, sha256) of an annex or screenshot: PDF, PNG or JPEG by their content."""
    return check_document(uploaded, _("%(name)s is not a PDF, PNG or JPEG file; upload one of those."))


def add_annex(application, kind, uploaded, user, organisation=None):
    may_change(application, user)
    if kind not in AnnexKind.values:
        raise ValidationError({"kind": [_("Choose the kind of annex.")]})
    if kind == AnnexKind.MANDATE and organisation is None:
        raise ValidationError({"organisation": [_("Choose the partner whose mandate this is.")]})
    content_type, size, digest = check_file(uploaded)
    with locked_change(application, user):
        same = application.annexes.filter(kind=kind, organisation=organisation, sha256=digest).first()
        if same is not None:
            return same  # the same file uploaded again (a second click): kept once
        annex = Annex(application=application, kind=kind, organisation=organisation, original_name=uploaded.name[:255],
                      size=size, sha256=digest, content_type=content_type, uploaded_by=user)
        annex.file.save(Path(uploaded.name).name, uploaded, save=False)
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

