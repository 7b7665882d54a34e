"""The auditors' dossier of a project: one ZIP with the application snapshot and PDF, the agreement,
every report version and declaration, every final-report decision and claim, payments, debit notes and letters, terminations, checks,
monitoring visits and audits (with their reports), the results and the audit trail (JSON and CSV). It is built off the request path (:func:`eplus.projects.tasks.build_dossier`,
asked for by a POST) and stored on the project; the download serves the stored file.

One dossier per audience (:class:`DossierAudience`, :func:`audience_of`): the agency's holds everything; the
beneficiary's (its contacts with edit rights) leaves out the checks, monitoring visits and audits the agency did
not share with it (:func:`eplus.projects.rules.beneficiary_checks`): their findings, report files and audit
trail."""

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
from .models import DossierAudience, Project, ProjectDossier
from .queries import application_snapshot, project_card, project_notes
from .rules import beneficiary_checks

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
    # Every decision on the final report, one file per report version decided (a claim's or a reopening's
    # new version has its own; the superseded ones stay), and the claims that opened them.
    assessments = list(project.assessments.select_related("report", "superseded_by__report").order_by("pk"))
    for assessment in assessments:
        _dump(archive, f"assessment/final-assessment-report-{assessment.report.sequence:02d}.json", {
            "report": assessment.report.sequence, "overall_score": assessment.overall_score,
            "wp_scores": assessment.wp_scores, "reduction_percent": assessment.reduction_percent,
            "reduction": assessment.reduction, "adjustment_after_finding": assessment.adjustment,
            "adjustment_reason": assessment.adjustment_reason, "final_grant": assessment.final_grant,
            "paid": assessment.paid, "balance": assessment.balance, "decision_due": assessment.decision_due,
            "status": assessment.status, "decided_at": assessment.decided_at, "comments": assessment.comments,
            "superseded_by_report": assessment.superseded_by.report.sequence if assessment.superseded_by else None})
    claims = list(project.claims.select_related("report", "claim_report").order_by("created_at", "pk"))
    _dump(archive, "assessment/claims.json", [{
        "origin": c.origin, "status": c.status, "filed_at": c.created_at, "reason": c.reason,
        "report_claimed_on": c.report.sequence, "decision": c.decision_reason, "decided_at": c.decided_at,
        "new_version": c.claim_report.sequence if c.claim_report else None} for c in claims])
    return [*reports, *assessments, *claims]


def _money_part(archive, project):
    payments = list(project.payments.select_related("project"))
    archive.writestr("payments/payments.csv", payments_csv(payments, project_notes(project)))
    for note in project.debit_notes.exclude(pdf=""):
        _add_file(archive, f"payments/debit-note-{note.sequence}.pdf", note.pdf)
    for payment in payments:
        _add_file(archive, f"payments/letter-{payment.sequence}-{payment.kind}.pdf", payment.letter)
    amendments = list(project.amendments.all())
    _dump(archive, "amendments.json", [{"kind": a.kind, "description": a.description, "proposed": a.proposed,
                                        "status": a.status, "reason": a.reason, "decided_at": a.decided_at}
                                       for a in amendments])
    notes = list(project.debit_notes.prefetch_related("offsets", "repayments"))
    offsets = [offset for note in notes for offset in note.offsets.all()]
    repayments = [repayment for note in notes for repayment in note.repayments.all()]
    return [*payments, *amendments, *notes, *offsets, *repayments]


def audience_of(user, project):
    """Whose dossier ``user`` is given: the agency's to its staff, else the beneficiary's."""
    if user.has_perm("projects.manage_project", project):
        return DossierAudience.AGENCY
    return DossierAudience.BENEFICIARY


def _procedures_part(archive, project, audience):
    """The terminations and the checks, monitoring visits and audits (with their report files); for the
    beneficiary only the checks shared with it."""
    terminations = list(project.terminations.order_by("created_at", "pk"))
    _dump(archive, "terminations.json", [{
        "origin": t.origin, "status": t.status, "reason": t.reason, "requested_effective_date":
        t.requested_effective_date, "notified_on": t.notified_on, "observations_due": t.observations_due,
        "observations": t.observations, "observations_at": t.observations_at,
        "beneficiary_agrees": t.beneficiary_agrees, "outcome": t.outcome, "effective_date": t.effective_date,
        "final_report_due": t.final_report_due, "paid_at_termination": t.paid_at_termination,
        "final_grant": t.final_grant, "recovery_amount": t.recovery_amount, "decision": t.decision_reason,
        "decided_at": t.decided_at} for t in terminations])
    checks = project.checks if audience == DossierAudience.AGENCY else beneficiary_checks(project)
    checks = list(checks.order_by("created_at", "pk"))
    _dump(archive, "checks/checks.json", [{
        "id": c.pk, "kind": c.kind, "status": c.status, "planned_on": c.planned_on, "done_on": c.done_on,
        "report": c.report_name, "report_sha256": c.report_sha256, "findings": c.findings,
        "proposed_action": c.proposed_action, "proposed_amount": c.proposed_amount, "shared": c.shared,
        "shared_on": c.shared_on, "answer_due": c.answer_due, "beneficiary_answer": c.beneficiary_answer,
        "answered_at": c.answered_at} for c in checks])
    for check in checks:
        if check.report_file:
            _add_file(archive, f"checks/{check.pk}-{check.kind}-{Path(check.report_file.name).name}",
                      check.report_file)
    return [*terminations, *checks]


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


def dossier_zip(project, audience=DossierAudience.AGENCY):
    """The dossier for ``audience`` as a spooled temporary file, rewound."""
    spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        _project_part(archive, project)
        objects = [*_reports_part(archive, project), *_money_part(archive, project),
                   *_procedures_part(archive, project, audience)]
        _results_part(archive, project)
        _audit_part(archive, [project, project.application, *project.accesses.all(), *project.partners.all(),
                              *objects])
    spool.seek(0)
    return spool


def store_dossier(project, user=None, audience=DossierAudience.AGENCY):
    """Build the dossier for ``audience`` and store it for the project (replacing the earlier one of that
    audience); the ProjectDossier."""
    project = Project.objects.select_related("coordinator", "application").get(pk=project.pk)
    built_at = clock.now()
    stored = ProjectDossier(project=project, audience=audience, built_at=built_at, built_by=user)
    name = stored.file.field.generate_filename(
        stored, f"{project.number}-dossier-{audience}-{built_at:%Y%m%d%H%M%S}.zip")
    with dossier_zip(project, audience) as spool, pending_file(name, File(spool), storage=stored.file.storage) as written, \
            transaction.atomic():
        stored.file.name = written.name
        previous = ProjectDossier.objects.select_for_update().filter(project=project, audience=audience).first()
        if previous is not None:
            old_name = previous.file.name
            previous.file, previous.built_at, previous.built_by = stored.file.name, built_at, user
            previous.save()
            stored = previous
            if old_name != stored.file.name:
                transaction.on_commit(lambda: stored.file.storage.delete(old_name))
        else:
            stored.save()
        record(project, "event", verb="build-dossier", actor=user, reason=audience)
    return stored
