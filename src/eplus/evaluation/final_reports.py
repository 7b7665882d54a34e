"""Experts on a project's final report (issue 14, item 1): the officer of the project's agency assigns one or
two of the agency's registered experts (the call's ``final_report_experts_max``), never one who acts for an
organisation of the project nor — when the call says so — one who was an expert on its application; each
expert declares no conflict before reading the submitted report, then scores it per work package as the
officer's form does (:func:`eplus.projects.queries.scored_work_packages`: WP1 is not scored; a project
without work packages to score gets one overall score) with a comment each, saves drafts and submits by the
due date (the call's ``final_report_expert_days`` from the assignment). The officer sees every expert's
scores, their average per work package as the proposed consolidated score and what it gives (reduction band,
final grant, balance: :func:`eplus.projects.reports.compute_assessment`), saves the consolidated scores
(:func:`eplus.projects.workflow.save_assessment`) and approves
(:func:`eplus.projects.workflow.approve_assessment`), which waits for every assigned expert
(:func:`approval_blocker`, registered with :mod:`eplus.projects.gates`).

Every transition locks the report row first (then the assessment's), is idempotent and audited.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.applications.models import Participation
from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.mail import language_of, queue_templated_mail
from eplus.organisations.models import Membership
from eplus.projects import workflow as project_workflow
from eplus.projects.base import today
from eplus.projects.models import FinalAssessment, Report, ReportKind, ReportStatus
from eplus.projects.queries import scored_work_packages
from eplus.projects.reports import compute_assessment

from . import figures
from .models import Assignment, ExpertProfile, FinalReportReview, ReviewStatus
from .workflow import EvaluationError, mirror

OVERALL = "overall"
HUNDREDTH = Decimal("0.01")


# --- what is scored ------------------------------------------------------------------------------------

def score_keys(project):
    """The keys an expert scores: the numbers (as strings) of the work packages the officer's form scores, or
    ``["overall"]`` when the project is scored as a whole."""
    numbers = scored_work_packages(project)
    return [str(n) for n in numbers] if numbers else [OVERALL]


def score_labels(project):
    """{key: label} of :func:`score_keys`: "WP2 Training programme", or "Overall"."""
    titles = {str(i["number"]): i.get("title", "") for i in project.budget_items}
    return {key: (_("Overall") if key == OVERALL else f"WP{key} {titles.get(key, '')}".strip())
            for key in score_keys(project)}


def parse_score(value):
    """A score out of 100 with at most two decimals, as a Decimal; ValueError (the reason) otherwise."""
    text = str(value).strip().replace(",", ".")
    try:
        score = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Give the score as a number from 0 to 100.")) from None
    if not score.is_finite() or score < 0 or score > 100:
        raise ValueError(_("Give the score as a number from 0 to 100."))
    if score != score.quantize(HUNDREDTH):
        raise ValueError(_("Give the score with at most two decimals."))
    return score.quantize(HUNDREDTH)


def _clean(project, scores, comments, *, submit):
    """(scores, comments) keyed by :func:`score_keys`, checked; a ValidationError on ``score_<key>`` /
    ``comment_<key>`` otherwise. A draft may leave things blank; a submission gives every score and comment."""
    clean_scores, clean_comments, errors = {}, {}, {}
    for key in score_keys(project):
        raw = str(scores.get(key, "") or "").strip()
        comment = str(comments.get(key, "") or "").strip()
        if raw:
            try:
                clean_scores[key] = str(parse_score(raw))
            except ValueError as exc:
                errors[f"score_{key}"] = [str(exc)]
        elif submit:
            errors[f"score_{key}"] = [_("Give a score from 0 to 100.")]
        if comment:
            clean_comments[key] = comment
        elif submit:
            errors[f"comment_{key}"] = [_("Write a comment that justifies this score.")]
    if errors:
        raise ValidationError(errors)
    return clean_scores, clean_comments


# --- assignment ------------------------------------------------------------------------------------------

def project_organisation_ids(project):
    """Every organisation of the project and of its application (a partner removed later included)."""
    ids = {project.coordinator_id, *project.partners.values_list("organisation_id", flat=True)}
    ids.update(Participation.objects.filter(application_id=project.application_id)
               .values_list("organisation_id", flat=True))
    return ids


def is_conflicted(expert, project):
    """An expert who acts for an organisation of the project can never assess its final report."""
    return Membership.objects.filter(user=expert, organisation_id__in=project_organisation_ids(project)).exists()


def was_application_expert(expert, project):
    """The expert was assigned to the project's application (first, second or consolidating expert)."""
    return Assignment.objects.filter(case__application_id=project.application_id, expert=expert).exists()


def _name(person):
    return person.get_full_name() or person.email


def _refuse_assignment(report, expert):
    """What stops ``expert`` from assessing the locked final ``report`` (raises ValidationError on "expert")."""
    project = report.project
    if report.kind != ReportKind.FINAL or report.status != ReportStatus.SUBMITTED:
        raise EvaluationError(_("Experts can be assigned only to a submitted final report waiting for the "
                                "agency's decision."))
    if not ExpertProfile.objects.filter(user=expert, agency_id=project.agency_id, active=True).exists():
        raise ValidationError({"expert": [_("This person is not a registered expert of the agency.")]})
    if is_conflicted(expert, project):
        raise ValidationError({"expert": [_("%(name)s acts for an organisation of this project and cannot assess "
                                            "its final report.") % {"name": _name(expert)}]})
    if figures.final_report_excludes_application_experts(project.call) and was_application_expert(expert, project):
        raise ValidationError({"expert": [_("%(name)s was an expert on this project's application; the call's "
                                            "rules ask for another expert for the final report.")
                                          % {"name": _name(expert)}]})
    most = figures.final_report_experts_max(project.call)
    if report.expert_reviews.count() >= most:
        raise ValidationError({"expert": [ngettext(
            "This final report already has %(n)d expert, the most the call allows; remove them first.",
            "This final report already has %(n)d experts, the most the call allows; remove one first.",
            most) % {"n": most}]})


def _require_officer(user, report):
    if not user.has_perm("evaluation.manage_final_report_review", report):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))


def _locked_report(report):
    return Report.objects.select_for_update().select_related("project", "project__call", "project__agency").get(
        pk=report.pk)


def assign_expert(report, expert, by):
    """Put ``expert`` on the final ``report``, due the call's ``final_report_expert_days`` after today, and
    e-mail them. Under the report's lock: two officers assigning at once cannot exceed the call's maximum, and
    assigning the same expert again returns the existing assessment."""
    _require_officer(by, report)
    with acting_as(by), transaction.atomic():
        locked = _locked_report(report)
        existing = FinalReportReview.objects.filter(report=locked, expert=expert).first()
        if existing is not None:
            return existing
        _refuse_assignment(locked, expert)
        due = today() + timedelta(days=figures.final_report_expert_days(locked.project.call))
        review = FinalReportReview(report=locked, expert=expert, assigned_by=by, due=due)
        review.save(audit_verb="assign-final-report-expert")
        _send_assignment_mail(review)
    return review


def _send_assignment_mail(review):
    """Tell the expert (in their language) which final report they assess, by when and where."""
    from django.urls import reverse

    project, expert = review.report.project, review.expert
    context = {"expert": expert, "review": review, "project": project, "agency": project.agency,
               "link": settings.SITE_URL.rstrip("/") + reverse("evaluation:final_report_review", args=[review.pk])}
    queue_templated_mail("evaluation/email/final_report_assignment", context, expert.email, language_of(expert),
                         related=review, agency_code=project.agency.code)


def unassign_expert(review, by):
    """Take an expert off a final report, unless their assessment is submitted. Again: nothing to do."""
    _require_officer(by, review.report)
    with acting_as(by), transaction.atomic():
        locked_report = _locked_report(review.report)
        locked = FinalReportReview.objects.select_for_update().filter(pk=review.pk).first()
        if locked is None:
            return None
        if locked.is_submitted:
            raise EvaluationError(_("This expert has already submitted the assessment; it cannot be removed."))
        if locked_report.status != ReportStatus.SUBMITTED:
            raise EvaluationError(_("The final report is no longer waiting for the agency's decision; its experts "
                                    "stay on record."))
        locked.delete()
    return None


# --- the expert --------------------------------------------------------------------------------------------

def declare(review, no_conflict, note, user):
    """The expert's conflict-of-interest declaration, made once; it gates the report. The same declaration
    again (a double click) changes nothing."""
    if review.expert_id != user.pk:
        raise EvaluationError(_("Only the assigned expert can make this declaration."))
    note = (note or "").strip()
    if not no_conflict and not note:
        raise ValidationError({"note": [_("Describe the conflict of interest so that the agency can assign "
                                          "another expert.")]})
    with acting_as(user), transaction.atomic():
        locked = FinalReportReview.objects.select_for_update().get(pk=review.pk)
        if locked.declared_at is not None:
            if locked.no_conflict == bool(no_conflict):
                return mirror(review, locked)
            raise EvaluationError(_("You have already made your declaration for this final report."))
        locked.declared_at, locked.no_conflict, locked.conflict_note = clock.now(), bool(no_conflict), note
        locked.save(audit_verb="declare-interests-final-report", audit_reason=note)
    return mirror(review, locked)


def save_review(review, user, scores, comments, *, submit=False):
    """Save (and on ``submit`` hand in) the expert's scores and comments. Submitting again returns the
    submitted assessment unchanged; a submitted assessment is not edited."""
    if review.expert_id != user.pk or not review.may_open:
        raise EvaluationError(_("You cannot assess this final report."))
    with acting_as(user), transaction.atomic():
        report = _locked_report(review.report)
        locked = FinalReportReview.objects.select_for_update().get(pk=review.pk)
        if locked.is_submitted:
            if submit:
                return mirror(review, locked)
            raise EvaluationError(_("This assessment has been submitted and can no longer be changed."))
        if report.status != ReportStatus.SUBMITTED:
            raise EvaluationError(_("The final report is no longer waiting for an assessment."))
        locked.scores, locked.comments = _clean(report.project, scores, comments, submit=submit)
        if submit:
            locked.status, locked.submitted_at, locked.report_version = (ReviewStatus.SUBMITTED, clock.now(),
                                                                        report.version)
        locked.save(audit_verb="submit-final-report-review" if submit else "save-final-report-review")
    return mirror(review, locked)


def reopen_for_new_version(report):
    """The final ``report`` has been submitted again (after an update request): every assessment submitted on
    an earlier version goes back to a draft (its scores and comments kept as the expert's start), due the
    call's ``final_report_expert_days`` from today at the earliest, audited, and its expert is e-mailed. Called
    (:mod:`eplus.projects.gates`) inside the submission's transaction with the report locked; an assessment
    already re-opened, or submitted on this version, is left as it is."""
    if report.kind != ReportKind.FINAL:
        return []
    stale = list(FinalReportReview.objects.select_for_update().filter(report=report, status=ReviewStatus.SUBMITTED)
                 .exclude(report_version=report.version).select_related("expert").order_by("pk"))
    if not stale:
        return []
    due = today() + timedelta(days=figures.final_report_expert_days(report.project.call))
    reason = _("The beneficiary submitted version %(version)d of the final report; the assessment of an earlier "
               "version is open again.") % {"version": report.version}
    for review in stale:
        review.status, review.submitted_at = ReviewStatus.DRAFT, None
        review.due = max(review.due, due)
        review.report = report
        review.save(audit_verb="reopen-final-report-review", audit_reason=reason)
        _send_reopened_mail(review)
    return stale


def _send_reopened_mail(review):
    """Tell the expert (in their language) that the final report was resubmitted and their assessment re-opened."""
    from django.urls import reverse

    project, expert = review.report.project, review.expert
    context = {"expert": expert, "review": review, "project": project, "agency": project.agency,
               "version": review.report.version,
               "link": settings.SITE_URL.rstrip("/") + reverse("evaluation:final_report_review", args=[review.pk])}
    queue_templated_mail("evaluation/email/final_report_reopened", context, expert.email, language_of(expert),
                         related=review, agency_code=project.agency.code)


def submitted_version(report):
    """The report as submitted (its latest immutable version), which the experts read."""
    return report.versions.order_by("-number").first()


# --- the officer: consolidation and approval ---------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    key: str
    label: str
    scores: list  # one per review, in the order of ``Consolidation.reviews`` (None: not given / not submitted)
    average: Decimal | None
    reduction_percent: Decimal | None  # the band's reduction for the average
    amount: Decimal | None  # the work package's lump sum
    final: Decimal | None  # what is left of it


@dataclass(frozen=True)
class Consolidation:
    reviews: list
    rows: list
    grant: object  # projects.finance.FinalGrant of the averages, or None until every score has one
    balance: object  # projects.finance.Balance, or None

    @property
    def pending(self):
        """The assigned experts whose assessment is not submitted (a declared conflict included)."""
        return [r for r in self.reviews if not r.is_submitted]

    @property
    def submitted(self):
        return [r for r in self.reviews if r.is_submitted]

    @property
    def proposed(self):
        """{key: average} to pre-fill the officer's consolidated scores."""
        return {row.key: row.average for row in self.rows if row.average is not None}


def average(values):
    """The arithmetic mean of Decimal scores, rounded half-up to the hundredth."""
    return (sum(values, Decimal("0")) / len(values)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _as_scores(project, values):
    """compute_assessment's keyword arguments for {key: score}."""
    if OVERALL in values:
        return {"overall_score": values[OVERALL], "wp_scores": None}
    return {"overall_score": None, "wp_scores": {int(k): v for k, v in values.items()}}


def figures_for(project, values, adjustment=0):
    """(FinalGrant, Balance) of the scores {key: Decimal}, less a finding's ``adjustment``; (None, None) until
    every key has a score."""
    if not values or set(values) != set(score_keys(project)):
        return None, None
    return compute_assessment(project, **_as_scores(project, values), adjustment=adjustment)


def consolidation(report):
    """Every expert's scores, their average per key and what the averages give (computed, nothing saved)."""
    project = report.project
    reviews = list(report.expert_reviews.select_related("expert").order_by("created_at", "pk"))
    averages, per_key = {}, {}
    for key in score_keys(project):
        given = [Decimal(r.scores[key]) if r.is_submitted and key in r.scores else None for r in reviews]
        per_key[key] = given
        present = [g for g in given if g is not None]
        if present:
            averages[key] = average(present)
    assessment = getattr(report, "assessment", None)
    grant, bal = figures_for(project, averages, assessment.adjustment if assessment is not None else 0)
    amounts = {str(i["number"]): i["amount"] for i in project.budget_items}
    rows = []
    for key, label in score_labels(project).items():
        package = grant.work_packages.get(int(key)) if grant is not None and key != OVERALL else None
        if key == OVERALL:
            percent, amount, final = ((grant.reduction_percent, grant.lump_sum, grant.amount) if grant
                                      else (None, project.lump_sum, None))
        else:
            percent = package.reduction_percent if package else None
            amount, final = Decimal(str(amounts.get(key, "0"))), (package.final if package else None)
        rows.append(Row(key=key, label=label, scores=per_key[key], average=averages.get(key),
                        reduction_percent=percent, amount=amount, final=final))
    return Consolidation(reviews=reviews, rows=rows, grant=grant, balance=bal)


def approval_blocker(report):
    """Why the final report cannot be approved yet because of its experts (None: nothing in the way). An
    assessment submitted on an earlier version of the report than the one now submitted is pending too."""
    pending = (report.expert_reviews.exclude(status=ReviewStatus.SUBMITTED).count()
               + report.expert_reviews.filter(status=ReviewStatus.SUBMITTED)
               .exclude(report_version=report.version).count())
    if pending:
        return ngettext("%(n)d assigned expert has not submitted an assessment yet; wait for it or remove the "
                        "expert.",
                        "%(n)d assigned experts have not submitted their assessments yet; wait for them or remove "
                        "the experts.", pending) % {"n": pending}
    return None


def consolidate(report, user, scores, comments=""):
    """Save the officer's consolidated scores ({key: score}; the experts' averages proposed) as the final
    assessment (:func:`eplus.projects.workflow.save_assessment`: reduction, final grant, balance). The same
    scores again change nothing."""
    _require_officer(user, report)
    with acting_as(user), transaction.atomic():
        locked = _locked_report(report)
        project = locked.project
        blocker = approval_blocker(locked)
        if blocker:
            raise EvaluationError(blocker)
        if not locked.expert_reviews.exists():
            raise EvaluationError(_("Assign an expert first, or score the report on its own page."))
        values, errors = {}, {}
        for key in score_keys(project):
            try:
                values[key] = parse_score(scores.get(key, ""))
            except ValueError as exc:
                errors[f"score_{key}"] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        comments = (comments or "").strip()
        current = FinalAssessment.objects.filter(report=locked).first()
        if current is not None and _same(current, project, values, comments):
            return current
        return project_workflow.save_assessment(locked, user, comments=comments, **_as_scores(project, values))


def _same(assessment, project, values, comments):
    if assessment.comments != comments:
        return False
    if OVERALL in values:
        return assessment.overall_score == values[OVERALL] and not assessment.wp_scores
    return assessment.wp_scores == {k: str(v) for k, v in values.items()}


def approve(report, user):
    """Approve the final report with its consolidated assessment (:func:`eplus.projects.workflow
    .approve_assessment`, idempotent: once approved it returns the assessment)."""
    _require_officer(user, report)
    return project_workflow.approve_assessment(report, user)


# --- deadlines ---------------------------------------------------------------------------------------------

def days_left(day, on=None):
    """A due date against today's Brussels date: "due today", "5 days left", "2 days overdue"."""
    if day is None:
        return ""
    days = (day - (on or today())).days
    if days == 0:
        return _("due today")
    if days > 0:
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    return ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}
