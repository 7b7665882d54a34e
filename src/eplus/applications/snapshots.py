"""The snapshot of a submission: canonical JSON of every section, partner and annex, its SHA-256, the
parties kept for the rules across applications, and the PDF attached once."""

import hashlib
import json

from django.core.files.base import ContentFile

from eplus.core.files import pending_file

from .models import Submission, SubmissionParty
from .queries import participants


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_of(value):
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def build_snapshot(application, submitted_at, user, parts=None, section_map=None, annexes=None):
    parts = participants(application) if parts is None else parts
    section_list = application.sections.all() if section_map is None else section_map.values()
    annexes = application.annexes.select_related("organisation") if annexes is None else annexes
    return json.loads(canonical_json({
        "number": application.number,
        "submitted_at": submitted_at.isoformat(),
        "submitted_by": {"id": user.pk, "name": user.get_full_name()},
        "call": {"year": application.call.year, "round": application.call.round,
                 "deadline": application.call.deadline.isoformat()},
        "action": application.action.code, "sector": application.sector, "agency": application.agency.code,
        "title": application.title, "language": application.language,
        "organisations": [{
            "oid": p.organisation.oid, "role": p.role, "legal_name": p.organisation.legal_name,
            "country": p.organisation.country_id, "type": p.organisation.organisation_type,
            "city": p.organisation.city, "website": p.organisation.website,
        } for p in parts],
        "sections": {s.key: {"version": s.version, "data": s.data} for s in section_list},
        "annexes": [{"kind": a.kind, "name": a.original_name, "size": a.size, "sha256": a.sha256,
                     "organisation": a.organisation.oid if a.organisation_id else None}
                    for a in annexes],
    }))


def record_parties(submission, application, parts):
    """Replace the application's SubmissionParty rows by those of its new current ``submission``."""
    SubmissionParty.objects.filter(application=application).delete()
    SubmissionParty.objects.bulk_create([SubmissionParty(
        submission=submission, application=application, oid=p.organisation.oid, role=p.role,
        action_id=application.action_id, action_code=application.action.code, sector=application.sector or "",
        agency_code=application.agency.code if application.agency_id else "",
        deadline=application.call.deadline) for p in parts])


def store_pdf(submission, pdf_bytes):
    """Attach the rendered PDF once (the snapshot itself is never touched)."""
    if submission.pdf:
        return submission
    name = submission.pdf.field.generate_filename(submission, f"{submission.number}-{submission.pk}.pdf")
    # Marked until the row names it: a worker killed in between leaves no stray file (core.files).
    with pending_file(name, ContentFile(pdf_bytes), storage=submission.pdf.storage) as stored:
        if not Submission.objects.filter(pk=submission.pk, pdf="").update(pdf=stored.name):
            stored.discard()  # another worker attached one meanwhile
    submission.refresh_from_db()
    return submission

