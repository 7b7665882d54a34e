"""The verbs of the agency back office: open cases, formal checks, the similarity check, experts,
assessments, consolidation, ranking and selection, decisions and their outbox, grant agreements.

Views and the API only parse input, check permission and call these. The scoring and selection rules
themselves are plain functions in :mod:`.scoring` and :mod:`.selection`; here they meet the models.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from eplus.applications.models import Application, Participation, Status
from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.mail import language_of, render_mail, send_templated_mail
from eplus.core.money import eur
from eplus.organisations.models import MANAGER_ROLES, Membership
from eplus.programme.models import AgencyMembership, BudgetEnvelope
from eplus.projects.services import create_project
from eplus.results.models import ProjectCard

from . import scoring, selection, workflow
from .models import (
    AgreementStatus, Assessment, Assignment, AssignmentRole, Case, CaseState, Decision, DecisionStatus,
    ExpertProfile, FindingStatus, FormalStatus, GrantAgreement, ManualChange, Outcome, SelectionRun,
    SimilarityFinding,
)

DEFAULT_GAP = 30
SIMILARITY_THRESHOLD = 0.8


class EvaluationError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


# --- call settings -------------------------------------------------------------------------------------

def award(call):
    """Keyword arguments of the scoring functions from the call's reference data."""
    return scoring.award_settings({
        "award_criteria": call.award_criteria,
        "award_total_threshold": call.award_total_threshold,
        "award_criterion_threshold_share": call.award_criterion_threshold_share,
    })


def criteria(call):
    """[(code, English name, maximum)] of the call's award criteria."""
    return [(c["code"], c.get("name_en", c["code"]), Decimal(str(c["max_points"]))) for c in call.award_criteria]


def consolidation_gap(call):
    return Decimal(str((call.other_rules or {}).get("consolidation_gap", DEFAULT_GAP)))


def tie_breaks(call):
    return tuple((call.other_rules or {}).get("tie_breaks") or selection.DEFAULT_TIE_BREAKS)


# --- cases ---------------------------------------------------------------------------------------------

def open_cases(agency_ids=None, call=None):
    """A Case for every submitted application (with a current submission) that has none yet."""
    pending = Application.objects.filter(status=Status.SUBMITTED, case__isnull=True,
                                         submissions__is_current=True)
    if agency_ids is not None:
        pending = pending.filter(agency_id__in=agency_ids)
    if call is not None:
        pending = pending.filter(call=call)
    created = []
    for application in pending.select_related("agency", "call").distinct():
        submission = application.submissions.filter(is_current=True).first()
        case = Case(application=application, agency=application.agency, call=application.call,
                    sector=application.sector, submission=submission)
        case.save(audit_verb="open-case")
        created.append(case)
    return created


def workspace_cases(queryset, *, action=None, sector=None, status=None, formal=None, outcome=None):
    """The officer's list, filtered; ``queryset`` is already scoped to the officer's agencies."""
    if action:
        queryset = queryset.filter(application__action__code=action)
    if sector:
        queryset = queryset.filter(sector=sector)
    if status:
        queryset = queryset.filter(state=status)
    if formal:
        queryset = queryset.filter(formal_status=formal)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    return queryset.select_related("application", "application__applicant", "application__action", "call",
                                   "agency").annotate(n_experts=Count("assignments"))


EXPORT_HEADER = ["number", "title", "applicant", "action", "sector", "lump_sum", "formal_check", "state",
                 "final_score", "fundable", "rank", "outcome"]


def export_rows(cases):
    yield EXPORT_HEADER
    for case in cases:
        a = case.application
        yield [a.number or "", a.title, a.applicant.legal_name, a.action.code, case.sector,
               str(a.lump_sum or ""), case.formal_status, case.state,
               "" if case.final_total is None else str(case.final_total),
               "" if case.fundable is None else ("yes" if case.fundable else "no"),
               case.rank or "", case.outcome]


# --- formal checks -------------------------------------------------------------------------------------

def rerun_eligibility(case):
    """Re-run the eligibility engine on the case's submitted snapshot; returns the verdict as JSON."""
    from eplus.applications import services as app_services
    from eplus.programme import rules as engine
    from eplus.programme.eligibility import country_infos

    application = case.application
    snapshot = case.submission.snapshot if case.submission_id else {}
    section_data = {key: (value.get("data") or {}, value.get("version") or 0)
                    for key, value in (snapshot.get("sections") or {}).items()}
    submitted_at = case.submission.submitted_at if case.submission_id else None
    verdict = engine.evaluate(
        app_services.eligibility_input(application, submitted_at=submitted_at, section_data=section_data),
        app_services.call_rules(application), country_infos(), app_services.other_applications(application))
    data = {"eligible": verdict.eligible, "checked_at": clock.now().isoformat(),
            "checks": [{"rule": c.rule, "severity": c.severity, "passed": c.passed, "message": str(c.message),
                        "section": c.section} for c in verdict.checks]}
    case.formal_verdict = data
    case.save(audit_verb="rerun-eligibility")
    return data


def confirm_formal_check(case, eligible, reason, user):
    """The officer's confirmation: eligible (assessment may start) or ineligible with a reason."""
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ValidationError({"reason": [_("Give the reason why the application is ineligible.")]})
    engine_says = (case.formal_verdict or {}).get("eligible")
    if eligible and engine_says is False and not reason:
        raise ValidationError({"reason": [_(
            "The eligibility engine found problems; give the reason why you still confirm the application "
            "as eligible.")]})
    workflow.require("confirm-eligible" if eligible else "confirm-ineligible", case.state)
    with acting_as(user), transaction.atomic():
        case.formal_status = FormalStatus.ELIGIBLE if eligible else FormalStatus.INELIGIBLE
        case.formal_reason = reason
        case.formal_checked_at, case.formal_checked_by = clock.now(), user
        case.state = CaseState.ASSESSMENT if eligible else CaseState.CLOSED
        if not eligible:
            case.fundable = False
        case.save(audit_verb="formal-check", audit_reason=reason)
    return case


# --- similarity ----------------------------------------------------------------------------------------

def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def snapshot_text(snapshot):
    """The prose of a submission: the title and every text of the form sections (not numbers, not codes)."""
    parts = [snapshot.get("title") or ""]
    for key in sorted((snapshot.get("sections") or {})):
        parts += [s for s in _strings(snapshot["sections"][key].get("data")) if len(s.split()) >= 4]
    return "\n\n".join(p for p in parts if p)


def _reference_projects(exclude_numbers):
    return [(card.identifier, f"{card.title}\n\n{card.summary_en}", card.title)
            for card in ProjectCard.objects.exclude(identifier__in=exclude_numbers).exclude(summary_en="")
            .only("identifier", "title", "summary_en")]


def run_similarity(deadline, threshold=SIMILARITY_THRESHOLD, user=None):
    """Compare every application of ``deadline`` (all agencies, all actions) with each other and with earlier
    funded projects; store new suspicious pairs (decided pairs keep their decision). Returns the findings."""
    from .similarity import find_similar_pairs

    open_cases()
    cases = list(Case.objects.filter(call__deadline=deadline, submission__isnull=False)
                 .select_related("submission", "application"))
    by_id = {case.pk: case for case in cases}
    documents = [(case.pk, snapshot_text(case.submission.snapshot)) for case in cases]
    numbers = [case.application.number for case in cases if case.application.number]
    references = _reference_projects(numbers)
    titles = {ident: title for ident, _text, title in references}
    pairs = find_similar_pairs(documents, threshold=threshold,
                               reference=[(ident, text) for ident, text, _title in references])
    found = []
    with acting_as(user):
        for pair in pairs:
            a = by_id[pair.a_id]
            if pair.b_is_reference:
                key = {"case_a": a, "case_b": None, "reference_id": str(pair.b_id)}
            else:
                first, second = sorted((a, by_id[pair.b_id]), key=lambda c: c.pk)
                key = {"case_a": first, "case_b": second, "reference_id": ""}
            finding = SimilarityFinding.objects.filter(**key).first()
            if finding is None:
                finding = SimilarityFinding(deadline=deadline, jaccard=Decimal(str(round(pair.jaccard, 4))),
                                            reference_title=titles.get(key["reference_id"], "")[:500], **key)
                finding.save(audit_verb="similarity-found")
            found.append(finding)
    return found


def findings_for(agency_ids):
    """Findings that touch at least one case of the given agencies (the other side may be any agency's)."""
    return (SimilarityFinding.objects
            .filter(Q(case_a__agency_id__in=agency_ids) | Q(case_b__agency_id__in=agency_ids))
            .select_related("case_a__application", "case_b__application", "case_a__agency", "case_b__agency"))


def side_by_side(finding):
    from .similarity import side_by_side as pieces

    text_a = snapshot_text(finding.case_a.submission.snapshot)
    if finding.case_b_id:
        text_b = snapshot_text(finding.case_b.submission.snapshot)
    else:
        refs = dict((ident, text) for ident, text, _t in _reference_projects([]))
        text_b = refs.get(finding.reference_id, "")
    pieces_a, pieces_b, passages = pieces(text_a, text_b)
    return pieces_a, pieces_b, passages


def decide_finding(finding, status, reason, user):
    if status not in (FindingStatus.CLEARED, FindingStatus.CONFIRMED):
        raise ValidationError({"status": [_("Choose cleared or confirmed.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for your decision on this pair.")]})
    with acting_as(user):
        finding.status, finding.reason = status, reason.strip()
        finding.decided_by, finding.decided_at = user, clock.now()
        finding.save(audit_verb="similarity-" + status, audit_reason=finding.reason)
    return finding


# --- experts -------------------------------------------------------------------------------------------

def register_expert(agency, *, email, first_name, last_name, languages=(), sectors=(), by=None):
    """An external expert of ``agency``: a user account (MFA then enforced) and the expert profile.

    A newly registered (or re-activated) expert gets an e-mail: a new account's link confirms the
    address and sets the password (the sign-up link, accounts.views.confirm_email); an existing
    account is told to log in. Editing an active expert's languages or sectors sends nothing."""
    from eplus.accounts.models import User

    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({"email": [_("Enter the expert's e-mail address.")]})
    with acting_as(by), transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, first_name=first_name.strip(), last_name=last_name.strip())
        if AgencyMembership.objects.filter(user=user, agency=agency,
                                           role__in=AgencyMembership.STAFF_ROLES).exists():
            raise ValidationError({"email": [_("This person is staff of the agency and cannot be an external "
                                               "expert.")]})
        membership = AgencyMembership.objects.filter(user=user, agency=agency,
                                                     role=AgencyMembership.Role.EXPERT).first()
        welcome = membership is None or not membership.active
        if membership is None:
            AgencyMembership(user=user, agency=agency, role=AgencyMembership.Role.EXPERT).save(
                audit_verb="register-expert")
        elif not membership.active:
            membership.active = True
            membership.save(audit_verb="register-expert")
        profile = ExpertProfile.objects.filter(user=user, agency=agency).first() or ExpertProfile(
            user=user, agency=agency)
        profile.languages = sorted({str(x).strip().lower() for x in languages if str(x).strip()})
        profile.sectors = sorted({str(x).strip().upper() for x in sectors if str(x).strip()})
        profile.active = True
        profile.save(audit_verb="register-expert")
        link = _password_link(user) if welcome else None
    if welcome:
        _send_expert_welcome(user, agency, link)
    return profile


def _password_link(user):
    """The link that confirms a new account's address and sets its password (None for an account that
    has a password or a confirmed address already: it logs in)."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC
    from django.urls import reverse

    if user.has_usable_password():
        return None
    address = (EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
               or EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False))
    if address.verified:
        return None
    return settings.SITE_URL.rstrip("/") + reverse("accounts:confirm_email", args=[EmailConfirmationHMAC(address).key])


def _send_expert_welcome(user, agency, link):
    from allauth.account import app_settings as account_settings
    from django.urls import reverse

    context = {"user": user, "agency": agency, "link": link, "days": account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
               "login": settings.SITE_URL.rstrip("/") + reverse("account_login")}
    send_templated_mail("evaluation/email/expert", context, user.email, language_of(user))


def is_conflicted(expert, application):
    """An expert who acts for a participating organisation can never assess the application."""
    organisations = Participation.objects.filter(application=application).values("organisation_id")
    return Membership.objects.filter(user=expert, organisation_id__in=organisations).exists()


def assign(case, expert, role, by):
    """Put ``expert`` on ``case`` as the first, second or consolidating expert."""
    workflow.require("assign", case.state)
    if role not in AssignmentRole.values:
        raise ValidationError({"role": [_("Choose the first, second or consolidating expert.")]})
    if not ExpertProfile.objects.filter(user=expert, agency_id=case.agency_id, active=True).exists():
        raise ValidationError({"expert": [_("This person is not a registered expert of the agency.")]})
    if is_conflicted(expert, case.application):
        raise ValidationError({"expert": [_(
            "%(name)s acts for an organisation of this application and cannot assess it.")
            % {"name": expert.get_full_name() or expert.email}]})
    if role == AssignmentRole.CONSOLIDATOR and case.state != CaseState.CONSOLIDATION:
        raise ValidationError({"role": [_("A consolidating expert is needed only when the two assessments "
                                          "need consolidation.")]})
    if case.assignments.filter(role=role).exists():
        raise ValidationError({"role": [_("This application already has a %(role)s; remove them first.")
                                        % {"role": AssignmentRole(role).label.lower()}]})
    if role != AssignmentRole.CONSOLIDATOR and case.assignments.filter(
            expert=expert, role__in=[AssignmentRole.FIRST, AssignmentRole.SECOND]).exists():
        raise ValidationError({"expert": [_("This expert already assesses this application; choose another "
                                            "expert so that two people score it independently.")]})
    with acting_as(by):
        assignment = Assignment(case=case, expert=expert, role=role, assigned_by=by)
        earlier = case.assignments.filter(expert=expert, declared_at__isnull=False, no_conflict=True).first()
        if earlier is not None:  # the lead expert already declared no conflict on this application
            assignment.declared_at, assignment.no_conflict = earlier.declared_at, True
        assignment.save(audit_verb="assign-expert")
    return assignment


def unassign(assignment, by):
    if hasattr(assignment, "assessment") and assignment.assessment.submitted_at:
        raise EvaluationError(_("This expert has already submitted the assessment; it cannot be removed."))
    with acting_as(by):
        assignment.delete()


def auto_assign(cases, agency, by):
    """Give every eligible case its two experts, balancing load, language and field, never a conflict.

    Preference per slot: an expert of the case's field, then of the application's language, then the one with
    the fewest assignments so far (ties by name). Returns ``(assigned, unfilled case numbers)``.
    """
    profiles = list(ExpertProfile.objects.filter(agency=agency, active=True).select_related("user"))
    load = dict(Assignment.objects.filter(case__agency=agency).values_list("expert_id")
                .annotate(n=Count("pk")).values_list("expert_id", "n"))
    made, unfilled = [], []
    for case in cases:
        if case.state != CaseState.ASSESSMENT:
            continue
        taken = {a.expert_id: a.role for a in case.assignments.all()}
        application = case.application
        for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
            if role in taken.values():
                continue
            options = [p for p in profiles if p.user_id not in taken and not is_conflicted(p.user, application)]
            if not options:
                unfilled.append(str(case))
                break
            options.sort(key=lambda p: (case.sector not in p.sectors,
                                        (application.language or "").lower() not in p.languages,
                                        load.get(p.user_id, 0), p.user.last_name, p.user_id))
            chosen = options[0]
            made.append(assign(case, chosen.user, role, by))
            taken[chosen.user_id] = role
            load[chosen.user_id] = load.get(chosen.user_id, 0) + 1
    return made, unfilled


def declare(assignment, no_conflict, note, user):
    """The expert's conflict-of-interest declaration: it gates access to the application."""
    if assignment.expert_id != user.pk:
        raise EvaluationError(_("Only the assigned expert can make this declaration."))
    if assignment.declared_at is not None:
        raise EvaluationError(_("You have already made your declaration for this application."))
    if not no_conflict and not (note or "").strip():
        raise ValidationError({"note": [_("Describe the conflict of interest so that the agency can reassign "
                                          "the application.")]})
    with acting_as(user):
        assignment.declared_at, assignment.no_conflict = clock.now(), bool(no_conflict)
        assignment.conflict_note = (note or "").strip()
        assignment.save(audit_verb="declare-interests", audit_reason=assignment.conflict_note)
    return assignment


# --- assessments ---------------------------------------------------------------------------------------

def save_assessment(assignment, scores, comments, user, submit=False):
    """Save (and on ``submit`` hand in) the expert's scores and a comment per criterion."""
    if assignment.expert_id != user.pk or not assignment.may_open:
        raise EvaluationError(_("You cannot assess this application."))
    case = assignment.case
    workflow.require("score", case.state)
    assessment = Assessment.objects.filter(assignment=assignment).first() or Assessment(assignment=assignment)
    if assessment.submitted_at:
        raise EvaluationError(_("This assessment has been submitted and can no longer be changed."))
    codes = [code for code, _name, _max in criteria(case.call)]
    clean_scores = {code: str(scores.get(code, "")).strip() for code in codes}
    clean_comments = {code: str(comments.get(code, "")).strip() for code in codes}
    if submit:
        errors = scoring.validate_scores(clean_scores, award(case.call)["criteria"])
        for code in codes:
            if not clean_comments[code]:
                errors.setdefault(f"comment_{code}", _("Write a comment that justifies this score."))
        if errors:
            raise ValidationError({(k if k.startswith("comment_") else f"score_{k}"): [v]
                                   for k, v in errors.items()})
    with acting_as(user), transaction.atomic():
        assessment.scores, assessment.comments = clean_scores, clean_comments
        if submit:
            assessment.submitted_at = clock.now()
        assessment.save(audit_verb="submit-assessment" if submit else "save-assessment")
        if submit:
            score_case(case)
    return assessment


def _submitted(case, role):
    return (Assessment.objects.filter(assignment__case=case, assignment__role=role, submitted_at__isnull=False)
            .select_related("assignment").first())


def score_case(case):
    """After each submitted assessment: average the two, or ask for consolidation, or apply the consolidation."""
    first, second = _submitted(case, AssignmentRole.FIRST), _submitted(case, AssignmentRole.SECOND)
    if first is None or second is None:
        return case
    settings_ = award(case.call)
    consolidator = _submitted(case, AssignmentRole.CONSOLIDATOR)
    if consolidator is None:
        needed, reason = scoring.needs_consolidation(first.scores, second.scores, gap=consolidation_gap(case.call),
                                                     **settings_)
        if needed:
            case.state, case.consolidation_reason = CaseState.CONSOLIDATION, reason
            case.save(audit_verb="needs-consolidation", audit_reason=reason)
            return case
    result = scoring.consolidated(first.scores, second.scores,
                                  final_scores=consolidator.scores if consolidator else None,
                                  gap=consolidation_gap(case.call), **settings_)
    case.final_scores = {code: str(value) for code, value in result.scores.items()}
    case.final_total, case.fundable, case.final_method = result.total, result.fundable, result.method
    case.state = CaseState.SCORED
    case.save(audit_verb="scored")
    return case


def assessments_of(case):
    return list(Assessment.objects.filter(assignment__case=case).select_related("assignment__expert")
                .order_by("assignment__role"))


def consolidated_comments(case):
    """{criterion code: comment} for the applicant: the consolidator's, or both experts' comments."""
    found = {a.assignment.role: a for a in assessments_of(case) if a.submitted_at}
    if AssignmentRole.CONSOLIDATOR in found:
        return dict(found[AssignmentRole.CONSOLIDATOR].comments)
    result = {}
    for code, _name, _max in criteria(case.call):
        texts = [found[r].comments.get(code, "") for r in (AssignmentRole.FIRST, AssignmentRole.SECOND)
                 if r in found]
        result[code] = "\n\n".join(t for t in texts if t)
    return result


# --- ranking and selection -----------------------------------------------------------------------------

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


def envelope_of(agency, call, sector):
    envelope = BudgetEnvelope.objects.filter(agency=agency, call=call, sector=sector).first()
    if envelope is None:
        raise EvaluationError(_("No budget envelope is set for %(agency)s in this call and field; an "
                                "administrator adds it first.") % {"agency": agency.code})
    return envelope.amount


def run_selection(agency, call, sector, by, skip_to_fit=False, reserve_size=None):
    """Rank the scored applications and select in rank order within the envelope; ineligible ones are rejected."""
    cases = list(group_cases(agency, call, sector).select_related("application", "submission"))
    waiting = [c for c in cases if c.state not in (CaseState.SCORED, CaseState.CLOSED)]
    if waiting:
        raise EvaluationError(_("%(n)s applications are not scored yet; finish their assessment first.")
                              % {"n": len(waiting)})
    if any(c.decision_status == DecisionStatus.RELEASED for c in cases):
        raise EvaluationError(_("The decisions of this selection have been released; it cannot be run again."))
    amount = envelope_of(agency, call, sector)
    ranked = selection.rank(candidates(cases), tie_breaks=tie_breaks(call))
    result = selection.select(ranked, amount, skip_to_fit=skip_to_fit, reserve_size=reserve_size)
    outcomes = result.outcomes()
    positions = {c.id: i + 1 for i, c in enumerate(ranked)}
    with acting_as(by), transaction.atomic():
        run = SelectionRun(agency=agency, call=call, sector=sector, envelope=amount, used=result.used,
                           tie_breaks=list(tie_breaks(call)), skip_to_fit=skip_to_fit, run_by=by)
        run.save(audit_verb="run-selection")
        for case in cases:
            case.outcome = outcomes.get(case.pk, Outcome.REJECTED)
            case.rank = positions.get(case.pk)
            case.save(audit_verb="select")
    return run, result


def current_selection(agency, call, sector):
    """The stored outcomes as a :class:`selection.Selection` (to check a manual change against)."""
    cases = list(group_cases(agency, call, sector).filter(state=CaseState.SCORED)
                 .select_related("application", "submission").order_by("rank", "pk"))
    order = candidates(cases)
    outcomes = {c.pk: c.outcome or Outcome.REJECTED for c in cases}
    return selection._build(order, outcomes, envelope_of(agency, call, sector))


def manual_change(case, new_outcome, reason, by):
    """Move one application to another outcome, with a reason; audited; refused over the envelope."""
    if not workflow.decision_editable(case):
        raise EvaluationError(_("The decision has been released; the outcome can no longer change."))
    run = SelectionRun.objects.filter(agency=case.agency, call=case.call, sector=case.sector).first()
    if run is None or not case.outcome:
        raise EvaluationError(_("Run the selection first."))
    if case.state != CaseState.SCORED:
        raise EvaluationError(_("An ineligible application can only be rejected."))
    current = current_selection(case.agency, case.call, case.sector)
    try:
        updated, change = selection.apply_manual_change(current, case.pk, new_outcome, reason)
    except selection.SelectionError as exc:
        raise ValidationError({"reason" if "reason" in str(exc) else "outcome": [str(exc)]}) from exc
    with acting_as(by), transaction.atomic():
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


# --- decisions and the outbox --------------------------------------------------------------------------

def _recipients(application):
    managers = (Membership.objects.filter(organisation_id=application.applicant_id, role__in=MANAGER_ROLES)
                .select_related("user").order_by("pk"))
    users = [m.user for m in managers]
    return users


def stage_decisions(agency, call, sector, by):
    """Render the decision letter of every decided application of the group; nothing is sent yet."""
    cases = list(group_cases(agency, call, sector).exclude(outcome="")
                 .exclude(decision_status=DecisionStatus.RELEASED)
                 .select_related("application", "application__applicant", "call", "agency"))
    if not cases:
        raise EvaluationError(_("There are no decisions to stage; run the selection first."))
    staged = []
    with acting_as(by), transaction.atomic():
        for case in cases:
            users = _recipients(case.application)
            language = users[0].email_language if users else settings.LANGUAGE_CODE
            comments = consolidated_comments(case) if case.state == CaseState.SCORED else {}
            context = {"case": case, "application": case.application, "comments": comments,
                       "criteria": criteria(case.call), "link": settings.SITE_URL.rstrip("/") + decision_url(case)}
            subject, body = render_mail("evaluation/email/decision", context, language)
            decision = Decision.objects.filter(case=case).first() or Decision(case=case)
            decision.outcome, decision.status, decision.language = case.outcome, DecisionStatus.STAGED, language
            decision.recipients = [u.email for u in users]
            decision.subject, decision.body, decision.comments, decision.staged_by = subject, body, comments, by
            decision.save(audit_verb="stage-decision")
            case.decision_status = DecisionStatus.STAGED
            case.save(audit_verb="stage-decision")
            staged.append(decision)
    return staged


def decision_url(case):
    from django.urls import reverse

    return reverse("evaluation:decision", args=[case.application_id])


def release(decisions, by):
    """Release the staged decisions together: each letter is e-mailed, the applicants see it; selected ones get
    their grant agreement."""
    released = []
    with acting_as(by):
        for decision in decisions:
            if decision.status != DecisionStatus.STAGED:
                continue
            with transaction.atomic():
                decision.status, decision.released_at, decision.released_by = (
                    DecisionStatus.RELEASED, clock.now(), by)
                decision.save(audit_verb="release-decision")
                case = decision.case
                case.decision_status = DecisionStatus.RELEASED
                case.save(audit_verb="release-decision")
                if case.outcome == Outcome.SELECTED:
                    issue_agreement(case)
            if decision.recipients:
                EmailMessage(decision.subject, decision.body, settings.DEFAULT_FROM_EMAIL,
                             decision.recipients).send()
            released.append(decision)
    return released


# --- grant agreements ----------------------------------------------------------------------------------

def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_agreement(case):
    """The grant agreement of a selected application, with its PDF; data from the submission, never retyped."""
    application = case.application
    if application.start_date is None or not application.duration_months or application.lump_sum is None:
        raise EvaluationError(_("The application has no start date, duration or lump sum; the agreement cannot "
                                "be prepared."))
    start = application.start_date
    end = add_months(start, application.duration_months) - timedelta(days=1)
    agreement = GrantAgreement.objects.filter(case=case).first()
    if agreement is None:
        agreement = GrantAgreement(case=case, start_date=start, end_date=end, lump_sum=eur(application.lump_sum))
        agreement.save(audit_verb="issue-agreement")
    from .tasks import render_agreement_pdf

    transaction.on_commit(lambda: render_agreement_pdf.enqueue(agreement.pk))
    return agreement


def render_agreement(agreement):
    from weasyprint import HTML

    case = agreement.case
    participants = list(case.application.participations.select_related("organisation", "organisation__country"))
    with translation.override("en"):
        html = render_to_string("evaluation/pdf/agreement.html", {
            "agreement": agreement, "case": case, "application": case.application, "participants": participants})
    pdf = HTML(string=html).write_pdf()
    if agreement.pdf:
        return agreement
    name = f"agreement-{case.application.number or case.pk}.pdf"
    agreement.sha256 = hashlib.sha256(pdf).hexdigest()
    agreement.pdf.save(name, ContentFile(pdf), save=False)
    agreement.save(audit_verb="render-agreement")
    return agreement


def _require_coordinator(agreement, user):
    from eplus.applications.models import AccessLevel
    from eplus.applications.services import has_level

    if not has_level(user, agreement.case.application, AccessLevel.SUBMIT):
        raise EvaluationError(_("Only the legal representative or contact person of the coordinator can sign."))


def accept_agreement(agreement, user):
    """The coordinator accepts the agreement online (the view asks for re-authentication first)."""
    _require_coordinator(agreement, user)
    workflow.require("accept", agreement.status, workflow.AGREEMENT_TRANSITIONS)
    with acting_as(user):
        agreement.status, agreement.accepted_at, agreement.accepted_by = (
            AgreementStatus.ACCEPTED, clock.now(), user)
        agreement.save(audit_verb="accept-agreement")
    return agreement


def upload_signed(agreement, uploaded, user):
    """Or the coordinator uploads it signed: a PDF, checked by its content."""
    from eplus.applications.services import check_file

    _require_coordinator(agreement, user)
    workflow.require("accept", agreement.status, workflow.AGREEMENT_TRANSITIONS)
    content_type, _size, digest = check_file(uploaded)
    if content_type != "application/pdf":
        raise ValidationError({"file": [_("Upload the signed agreement as a PDF file.")]})
    with acting_as(user):
        agreement.signed_pdf.save(f"signed-{agreement.case_id}.pdf", uploaded, save=False)
        agreement.signed_sha256 = digest
        agreement.status, agreement.accepted_at, agreement.accepted_by = (
            AgreementStatus.ACCEPTED, clock.now(), user)
        agreement.save(audit_verb="upload-signed-agreement")
    return agreement


def countersign(agreement, user):
    """The agency countersigns; the project is created in the beneficiary module with its payment schedule."""
    workflow.require("countersign", agreement.status, workflow.AGREEMENT_TRANSITIONS)
    with acting_as(user), transaction.atomic():
        signed_on = clock.to_brussels(clock.now()).date()
        agreement.status, agreement.countersigned_at, agreement.countersigned_by = (
            AgreementStatus.COUNTERSIGNED, clock.now(), user)
        document = agreement.signed_pdf or agreement.pdf
        pdf = None
        if document:
            with document.open("rb") as handle:
                pdf = ContentFile(handle.read(), name=f"grant-agreement-{agreement.case.application.number}.pdf")
        project = create_project(agreement.case.application, signed_on=signed_on, start_date=agreement.start_date,
                                 end_date=agreement.end_date, lump_sum=agreement.lump_sum, agreement_pdf=pdf,
                                 created_by=user)
        agreement.project_id = project.pk
        agreement.save(audit_verb="countersign-agreement")
    return project
