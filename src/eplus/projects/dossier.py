"""The auditors' dossier of a project: one ZIP with the application snapshot and PDF, the agreement,
every report version and declaration, the assessment, payments and letters, the results and the audit
trail (JSON and CSV). It is built off the request path (:func:`eplus.projects.tasks.build_dossier`,
asked for by a POST) and stored on the project; the download serves the stored file."""

import json
import zipfile
from pathlib import Path
from tempfile import SpooledTemporaryFile

from django.core.files import File
from django.db import transaction

from eplus.core import time as clock
from eplus.core.audit import history, record
from eplus.core.exports import csv_text
from eplus.core.files import pending_file

from .exports import payments_csv
from .models import Project, ProjectDossier
from .queries import application_snapshot, project_card

SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _audit_rows(objects):
    rows = []
    for obj in objects:
        for event in history(obj).order_by("at", "id"):
            rows.append({"at": event.at.isoformat(), "who": event.actor_label, "action": event.action,
                         "verb": event.verb, "object": f"{event.object_type}#{event.object_id}",
                         "changes": event.changes, "reason": event.reason})
    rows.sort(key=lambda r: r["at"])
    return rows


def _add_file(archive, arcname, field):
    if not field:
        return
    try:
        with field.open("rb") as source, archive.open(arcname, "w") as target:
            for chunk in iter(lambda: source.read(64 * 1024), b""):
                target.write(chunk)
    except FileNotFoundError:
        archive.writestr(arcname + ".missing.txt", "The stored file could not be found.")


def _dump(archive, name, value):
    archive.writestr(name, json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _project_part(archive, project):
    _dump(archive, "project.json", {
        "number": project.number, "title": project.title, "action": project.action_code,
        "coordinator": project.coordinator.oid, "signed_on": project.signed_on, "start_date": project.start_date,
        "end_date": project.end_date, "lump_sum": str(project.lump_sum), "status": project.status,
        "budget_items": project.budget_items,
        "partners": [{"oid": p.organisation.oid, "name": p.organisation.legal_name, "active": p.active}
                     for p in project.partners.select_related("organisation")],
        "people": [{"user": a.user.email, "level": a.level} for a in project.accesses.select_related("user")]})
    application = project.application
    submission = application.submissions.filter(is_current=True).first()
    _dump(archive, "application/snapshot.json", application_snapshot(application))
    if submission is not None:
        _add_file(archive, "application/application.pdf", submission.pdf)
    _add_file(archive, "agreement/grant-agreement.pdf", project.agreement_pdf)


def _reports_part(archive, project):
    reports = list(project.reports.prefetch_related("versions", "documents"))
    for report in reports:
        base = f"reports/{report.sequence:02d}-{report.kind}"
        _dump(archive, f"{base}/report.json", {
            "kind": report.kind, "period": [report.period_start, report.period_end], "due": report.due,
            "status": report.status, "language": report.language, "sections": report.sections,
            "agency_comment": report.agency_comment})
        for version in report.versions.all():
            _dump(archive, f"{base}/version-{version.number}.json", {
                "submitted_at": version.submitted_at, "language": version.language, "sections": version.sections,
                "prefinancing_used": version.prefinancing_used, "declaration": version.declaration_name,
                "declaration_sha256": version.declaration_sha256, "sha256": version.sha256})
            if version.declaration_file:
                _add_file(archive, f"{base}/version-{version.number}-declaration-"
                          f"{Path(version.declaration_file.name).name}", version.declaration_file)
        if report.declaration:
            _add_file(archive, f"{base}/declaration-{Path(report.declaration.name).name}", report.declaration)
        for document in report.documents.all():
            _add_file(archive, f"{base}/documents/for-version-{document.report_version + 1}-"
                      f"{Path(document.file.name).name}", document.file)
    assessments = list(project.assessments.all())
    for assessment in assessments:
        _dump(archive, "assessment/final-assessment.json", {
            "overall_score": assessment.overall_score, "wp_scores": assessment.wp_scores,
            "reduction_percent": assessment.reduction_percent, "reduction": assessment.reduction,
            "final_grant": assessment.final_grant, "paid": assessment.paid, "balance": assessment.balance,
            "decision_due": assessment.decision_due, "status": assessment.status, "comments": assessment.comments})
    return [*reports, *assessments]


def _money_part(archive, project):
    payments = list(project.payments.select_related("project"))
    archive.writestr("payments/payments.csv", payments_csv(payments))
    for payment in payments:
        _add_file(archive, f"payments/letter-{payment.sequence}-{payment.kind}.pdf", payment.letter)
    amendments = list(project.amendments.all())
    _dump(archive, "amendments.json", [{"kind": a.kind, "description": a.description, "proposed": a.proposed,
                                        "status": a.status, "reason": a.reason, "decided_at": a.decided_at}
                                       for a in amendments])
    return [*payments, *amendments]


def _results_part(archive, project):
    card = project_card(project)
    if card is None:
        return
    results = list(card.results.prefetch_related("files"))
    _dump(archive, "results/results.json", {
        "card": card.identifier, "results_status": card.results_status,
        "results": [{"title": r.title, "type": r.result_type, "description_en": r.description_en, "link": r.link,
                     "public": r.public, "files": [{"name": f.original_name, "size": f.size, "sha256": f.sha256}
                                                   for f in r.files.all()]} for r in results]})
    for result in results:
        for stored in result.files.all():
            _add_file(archive, f"results/{result.pk}-{Path(stored.original_name).name}", stored.file)


def _audit_part(archive, objects):
    trail = _audit_rows(objects)
    _dump(archive, "audit/audit-trail.json", trail)
    archive.writestr("audit/audit-trail.csv", csv_text([
        ["at", "who", "action", "verb", "object", "changes", "reason"],
        *([row["at"], row["who"], row["action"], row["verb"], row["object"],
           json.dumps(row["changes"], ensure_ascii=False, default=str), row["reason"]] for row in trail)]))


def dossier_zip(project):
    """The dossier as a spooled temporary file, rewound."""
    spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        _project_part(archive, project)
        objects = [*_reports_part(archive, project), *_money_part(archive, project)]
        _results_part(archive, project)
        _audit_part(archive, [project, project.application, *project.accesses.all(), *project.partners.all(),
                              *objects])
    spool.seek(0)
    return spool


def store_dossier(project, user=None):
    """Build the dossier and store it for the project (replacing the earlier one); the ProjectDossier."""
    project = Project.objects.select_related("coordinator", "application").get(pk=project.pk)
    built_at = clock.now()
    stored = ProjectDossier(project=project, built_at=built_at, built_by=user)
    name = stored.file.field.generate_filename(stored, f"{project.number}-dossier-{built_at:%Y%m%d%H%M%S}.zip")
    with dossier_zip(project) as spool, pending_file(name, File(spool), storage=stored.file.storage) as written, \
            transaction.atomic():
        stored.file.name = written.name
        previous = ProjectDossier.objects.select_for_update().filter(project=project).first()
        if previous is not None:
            old_name = previous.file.name
            previous.file, previous.built_at, previous.built_by = stored.file.name, built_at, user
            previous.save()
            stored = previous
            if old_name != stored.file.name:
                transaction.on_commit(lambda: stored.file.storage.delete(old_name))
        else:
            stored.save()
        record(project, "event", verb="build-dossier", actor=user)
    return stored
