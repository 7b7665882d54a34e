"""The similarity check of a deadline: near-identical texts across all applications (every agency, every
action) and against earlier funded projects, stored as findings the officer clears or confirms."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.results.models import ProjectCard

from . import workflow
from .cases import open_cases
from .models import Case, FindingStatus, SimilarityFinding, SimilarityRun

SIMILARITY_THRESHOLD = 0.8


def strings(value):
    """Every string inside a JSON value (dicts and lists walked in order)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def snapshot_text(snapshot):
    """The prose of a submission: the title and every text of the form sections (not numbers, not codes)."""
    parts = [snapshot.get("title") or ""]
    for key in sorted((snapshot.get("sections") or {})):
        parts += [s for s in strings(snapshot["sections"][key].get("data")) if len(s.split()) >= 4]
    return "\n\n".join(p for p in parts if p)


def _reference_projects(exclude_numbers):
    return [(card.identifier, f"{card.title}\n\n{card.summary_en}", card.title)
            for card in ProjectCard.objects.exclude(identifier__in=exclude_numbers).exclude(summary_en="")
            .only("identifier", "title", "summary_en")]


def _store(pair, by_id, titles):
    a = by_id[pair.a_id]
    if pair.b_is_reference:
        key = {"case_a": a, "case_b": None, "reference_id": str(pair.b_id)}
    else:
        first, second = sorted((a, by_id[pair.b_id]), key=lambda c: c.pk)
        key = {"case_a": first, "case_b": second, "reference_id": ""}
    finding = SimilarityFinding.objects.filter(**key).first()
    if finding is None:
        finding = SimilarityFinding(deadline=a.call.deadline, jaccard=Decimal(str(round(pair.jaccard, 4))),
                                    reference_title=titles.get(key["reference_id"], "")[:500], **key)
        finding.save(audit_verb="similarity-found")
    return finding


def start_similarity_run(deadline, user):
    """Queue the check of ``deadline`` for the task worker; the run already waiting or running when there
    is one (a double click, a second officer). Returns (run, started)."""
    from eplus.core.tasks import enqueue_after_commit

    from .tasks import run_similarity_check

    with acting_as(user), transaction.atomic():
        active = SimilarityRun.objects.filter(deadline=deadline, state__in=SimilarityRun.ACTIVE).first()
        if active is not None:
            return active, False
        try:
            with transaction.atomic():
                run = SimilarityRun(deadline=deadline, requested_by=user)
                run.save(audit_verb="start-similarity-check")
        except IntegrityError:  # started by someone else at the same moment
            return SimilarityRun.objects.get(deadline=deadline, state__in=SimilarityRun.ACTIVE), False
        enqueue_after_commit(run_similarity_check, run.pk)
    return run, True


def perform_similarity_run(run_id):
    """The task's work: mark the run running, compare, store the findings and the report. A run the task
    finds done already (the task ran twice) is left as it is; a failure is recorded, then raised."""
    with transaction.atomic():
        run = SimilarityRun.objects.select_for_update().get(pk=run_id)
        if not run.is_active:
            return run
        run.state, run.started_at = SimilarityRun.State.RUNNING, clock.now()
        run.save(audit_verb="similarity-check-running")
    try:
        found = run_similarity(run.deadline, user=run.requested_by)
    except Exception as exc:
        run.state, run.finished_at, run.error = SimilarityRun.State.FAILED, clock.now(), f"{type(exc).__name__}: {exc}"
        run.save(audit_verb="similarity-check-failed")
        raise
    run.state, run.finished_at = SimilarityRun.State.DONE, clock.now()
    run.applications = Case.objects.filter(call__deadline=run.deadline, submission__isnull=False).count()
    run.pairs_found = len(found)
    run.save(audit_verb="similarity-check-done")
    return run


def run_similarity(deadline, threshold=SIMILARITY_THRESHOLD, user=None):
    """Compare every application of ``deadline`` with each other and with earlier funded projects; store new
    suspicious pairs (decided pairs keep their decision). Returns the findings."""
    from .similarity import find_similar_pairs

    open_cases()
    cases = list(Case.objects.filter(call__deadline=deadline, submission__isnull=False)
                 .select_related("submission", "application", "call"))
    by_id = {case.pk: case for case in cases}
    documents = [(case.pk, snapshot_text(case.submission.snapshot)) for case in cases]
    numbers = [case.application.number for case in cases if case.application.number]
    references = _reference_projects(numbers)
    titles = {ident: title for ident, _text, title in references}
    pairs = find_similar_pairs(documents, threshold=threshold,
                               reference=[(ident, text) for ident, text, _title in references])
    with acting_as(user), transaction.atomic():
        return [_store(pair, by_id, titles) for pair in pairs]


def side_by_side(finding):
    """The two texts of a finding cut into pieces, the shared passages marked."""
    from .similarity import side_by_side as pieces

    text_a = snapshot_text(finding.case_a.submission.snapshot)
    if finding.case_b_id:
        text_b = snapshot_text(finding.case_b.submission.snapshot)
    else:
        refs = {ident: text for ident, text, _t in _reference_projects([])}
        text_b = refs.get(finding.reference_id, "")
    return pieces(text_a, text_b)


def decide_finding(finding, status, reason, user):
    """The officer's conclusion on a pair: cleared or confirmed, with a reason (under a lock on the finding)."""
    if status not in (FindingStatus.CLEARED, FindingStatus.CONFIRMED):
        raise ValidationError({"status": [_("Choose cleared or confirmed.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for your decision on this pair.")]})
    with acting_as(user), transaction.atomic():
        locked = SimilarityFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.status == status and locked.reason == reason.strip():
            return workflow.mirror(finding, locked)
        locked.status, locked.reason = status, reason.strip()
        locked.decided_by, locked.decided_at = user, clock.now()
        locked.save(audit_verb="similarity-" + status, audit_reason=locked.reason)
    return workflow.mirror(finding, locked)
