"""Ranking and selection of one agency x call x field: the scored applications ranked by the call's
tie-breaks and selected in rank order within the budget envelope, manual changes with a reason, and the
figures of the chart. The rules themselves are plain functions in :mod:`.selection`."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.core.audit import acting_as

from . import envelopes, selection, workflow
from .figures import tie_breaks
from .models import Case, CaseState, Decision, DecisionStatus, ManualChange, Outcome, SelectionRun
from .timing import selection_wait_reason
from .workflow import EvaluationError


def group_cases(agency, call, sector):
    return Case.objects.filter(agency=agency, call=call, sector=sector)


def candidates(cases):
    result = []
    for case in cases:
        if case.state != CaseState.SCORED:
            continue
        result.append(selection.Candidate(
            id=case.pk, score=case.final_total, fundable=bool(case.fundable),
            criteria={k: Decimal(v) for k, v in (case.final_scores or {}).items()},
            requested=case.application.lump_sum or Decimal("0"),
            submitted_at=case.submission.submitted_at if case.submission_id else None))
    return result


def envelope_of(agency, call, sector, lock=False):
    """What the group's envelope holds now (its set amount ± the movements, see :mod:`.envelopes`); with
    ``lock`` the envelope row stays locked until commit (taken after the group's cases: one order)."""
    envelope = envelopes.find(agency, call, sector, lock=lock)
    if envelope is None:
        raise EvaluationError(_("No budget envelope is set for %(agency)s in this call and field; an "
                                "administrator adds it first.") % {"agency": agency.code})
    return envelopes.current_amount(envelope)


def lock_group(agency, call, sector):
    """Lock the cases of the group (in one order, so that two officers cannot deadlock) until commit."""
    list(group_cases(agency, call, sector).select_for_update().order_by("pk").values_list("pk", flat=True))


def refuse_before_the_deadline(agency, call):
    """The selection (and its letters) wait for the call's deadline and its incident windows (``timing``)."""
    reason = selection_wait_reason(agency, call)
    if reason:
        raise EvaluationError(reason)


def _refuse_selection(cases):
    waiting = [c for c in cases if c.state not in (CaseState.SCORED, CaseState.CLOSED)]
    if waiting:
        raise EvaluationError(ngettext("%(n)s application is not scored yet; finish its assessment first.",
                                       "%(n)s applications are not scored yet; finish their assessment first.",
                                       len(waiting)) % {"n": len(waiting)})
    if any(c.decision_status == DecisionStatus.RELEASED for c in cases):
        raise EvaluationError(_("The decisions of this selection have been released; it cannot be run again."))


def compute(cases, call, amount, skip_to_fit=False, reserve_size=None):
    """The ranking and the selection of ``cases`` within ``amount`` EUR, saving nothing: ``(ranked, Selection)``.

    The one computation behind both the what-if preview and :func:`run_selection`."""
    ranked = selection.rank(candidates(cases), tie_breaks=tie_breaks(call))
    return ranked, selection.select(ranked, amount, skip_to_fit=skip_to_fit, reserve_size=reserve_size)


@dataclass(frozen=True)
class Preview:
    """A what-if selection: what :func:`run_selection` would decide with these settings (nothing is saved)."""

    amount: Decimal
    skip_to_fit: bool
    reserve_size: int | None
    result: selection.Selection
    cases: dict  # {case id: Case}
    waiting: int  # applications of the group not scored yet (left out of the preview)

    def rows(self, group):
        return [(self.cases[c.id], c) for c in getattr(self.result, group)]

    @property
    def selected(self):
        return self.rows("selected")

    @property
    def reserve(self):
        return self.rows("reserve")

    @property
    def rejected(self):
        return self.rows("rejected")


def preview(agency, call, sector, amount=None, skip_to_fit=False, reserve_size=None):
    """What the selection would be with ``amount`` EUR (default: what the envelope holds now), ``skip_to_fit``
    and ``reserve_size``, computed by :func:`compute` without a lock and without saving anything."""
    cases = list(group_cases(agency, call, sector).select_related("application", "application__applicant",
                                                                  "submission"))
    if amount is None:
        amount = envelope_of(agency, call, sector)
    waiting = sum(1 for c in cases if c.state not in (CaseState.SCORED, CaseState.CLOSED))
    _ranked, result = compute(cases, call, amount, skip_to_fit=skip_to_fit, reserve_size=reserve_size)
    return Preview(amount=result.envelope, skip_to_fit=skip_to_fit, reserve_size=reserve_size, result=result,
                   cases={c.pk: c for c in cases}, waiting=waiting)


def run_selection(agency, call, sector, by, skip_to_fit=False, reserve_size=None):
    """Rank the scored applications and select in rank order within the envelope; ineligible ones are rejected.

    Under a lock on the group's cases, then on its envelope (so that no transfer takes the money meanwhile);
    running it again on the same scores gives the same outcomes."""
    with acting_as(by), transaction.atomic():
        lock_group(agency, call, sector)
        refuse_before_the_deadline(agency, call)
        cases = list(group_cases(agency, call, sector).select_related("application", "submission"))
        _refuse_selection(cases)
        amount = envelope_of(agency, call, sector, lock=True)
        ranked, result = compute(cases, call, amount, skip_to_fit=skip_to_fit, reserve_size=reserve_size)
        outcomes = result.outcomes()
        positions = {c.id: i + 1 for i, c in enumerate(ranked)}
        run = SelectionRun(agency=agency, call=call, sector=sector, envelope=amount, used=result.used,
                           tie_breaks=list(tie_breaks(call)), skip_to_fit=skip_to_fit, run_by=by)
        run.save(audit_verb="run-selection")
        for case in cases:
            case.outcome = outcomes.get(case.pk, Outcome.REJECTED)
            case.rank = positions.get(case.pk)
            case.save(audit_verb="select")
    return run, result


def current_selection(agency, call, sector, lock=False):
    """The stored outcomes as a :class:`selection.Selection` (to check a manual change against); ``lock``
    locks the envelope (the caller holds the group's cases already)."""
    cases = list(group_cases(agency, call, sector).filter(state=CaseState.SCORED)
                 .select_related("application", "submission").order_by("rank", "pk"))
    order = candidates(cases)
    outcomes = {c.pk: c.outcome or Outcome.REJECTED for c in cases}
    return selection._build(order, outcomes, envelope_of(agency, call, sector, lock=lock))


def manual_change(case, new_outcome, reason, by):
    """Move one application to another outcome, with a reason; audited; refused over the envelope.

    Under a lock on the group's cases: the envelope is checked against what is stored at that moment."""
    with acting_as(by), transaction.atomic():
        lock_group(case.agency, case.call, case.sector)
        case = Case.objects.select_related("agency", "call").get(pk=case.pk)
        if not workflow.decision_editable(case):
            raise EvaluationError(_("The decision has been released; the outcome can no longer change."))
        run = SelectionRun.objects.filter(agency=case.agency, call=case.call, sector=case.sector).first()
        if run is None or not case.outcome:
            raise EvaluationError(_("Run the selection first."))
        if case.state != CaseState.SCORED:
            raise EvaluationError(_("An ineligible application can only be rejected."))
        current = current_selection(case.agency, case.call, case.sector, lock=True)
        try:
            updated, change = selection.apply_manual_change(current, case.pk, new_outcome, reason)
        except selection.SelectionError as exc:
            raise ValidationError({"reason" if "reason" in str(exc) else "outcome": [str(exc)]}) from exc
        ManualChange(run=run, case=case, old_outcome=change.old_outcome, new_outcome=change.new_outcome,
                     reason=change.reason, changed_by=by).save(audit_verb="manual-change",
                                                               audit_reason=change.reason)
        case.outcome = new_outcome
        if case.decision_status == DecisionStatus.STAGED:  # the staged letter no longer fits: re-stage
            Decision.objects.filter(case=case).delete()
            case.decision_status = DecisionStatus.NONE
        case.save(audit_verb="manual-change", audit_reason=change.reason)
        run.used = updated.used
        run.save(audit_verb="manual-change")
    return updated


@dataclass
class Chart:
    """Figures for the server-rendered SVG: budget bar and score spread."""

    envelope: Decimal
    used: Decimal
    used_pct: int
    bars: list  # [(label, total, x, height, y, outcome)]
    threshold_y: int
    width: int = 40
    height: int = 160


def chart(cases, envelope, threshold):
    used = sum((c.application.lump_sum or 0 for c in cases if c.outcome == Outcome.SELECTED), Decimal("0"))
    used_pct = int((used * 100 / envelope).quantize(Decimal("1"))) if envelope else 0
    scored = [c for c in cases if c.final_total is not None]
    scored.sort(key=lambda c: (c.rank or 10**6, c.pk))
    height, bars = 160, []
    for i, case in enumerate(scored):
        h = int(case.final_total * height / 100)
        bars.append((str(case), case.final_total, 10 + i * 24, h, height - h, case.outcome or "none"))
    return Chart(envelope=envelope, used=used, used_pct=min(used_pct, 100), bars=bars,
                 threshold_y=int(height - Decimal(threshold) * height / 100), width=20 + 24 * max(len(bars), 1))
