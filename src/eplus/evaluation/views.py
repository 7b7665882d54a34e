"""Back-office pages. Thin: parse input, check permission (404 when refused), call a service, render.

Officers reach cases only through ``rules.officer_cases`` (their agency), experts only through
``rules.expert_assignments`` (their own assignments), applicants only their released decisions.
"""

import csv
import io
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.accounts.decorators import sensitive_action
from eplus.programme.scoping import is_agency_staff, staff_agency_ids
from eplus.programme.models import Agency, Call

from . import forms as F
from . import services
from .models import (
    AgreementStatus, AssignmentRole, CaseState, Decision, DecisionStatus, ExpertProfile, GrantAgreement,
)
from .rules import expert_assignments, officer_cases, released_decisions
from .workflow import TransitionRefused


def officer_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_agency_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _case(request, pk):
    return get_object_or_404(officer_cases(request.user).select_related(
        "application", "application__applicant", "application__action", "call", "agency", "submission"), pk=pk)


# --- workspace -------------------------------------------------------------------------------------------

def _filtered(request):
    services.open_cases(staff_agency_ids(request.user))
    base = officer_cases(request.user)
    calls = Call.objects.filter(pk__in=base.values("call_id")).select_related("action").order_by("-deadline")
    actions = sorted(set(base.values_list("application__action__code", flat=True)))
    form = F.FilterForm(request.GET or None, calls=calls, actions=actions)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = base
    if filters.get("call"):
        queryset = queryset.filter(call_id=filters["call"])
    cases = services.workspace_cases(queryset, action=filters.get("action"), sector=filters.get("sector"),
                                     status=filters.get("status"), formal=filters.get("formal"),
                                     outcome=filters.get("outcome"))
    return form, cases, base


@officer_required
def workspace(request):
    form, cases, base = _filtered(request)
    groups = (base.values("call_id", "call__year", "call__action__code", "call__round", "sector")
              .annotate(n=Count("pk")).order_by("-call__year", "call__action__code", "sector"))
    query = request.GET.urlencode()
    return render(request, "evaluation/workspace.html", {
        "form": form, "cases": list(cases), "groups": list(groups), "query": query,
        "staged": Decision.objects.filter(case__in=base, status=DecisionStatus.STAGED).count(),
    })


class _Echo:
    def write(self, value):
        return value


@officer_required
def export(request, fmt):
    _form, cases, _base = _filtered(request)
    rows = services.export_rows(cases.iterator(chunk_size=500))
    if fmt == "csv":
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="applications.csv"'
        return response
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Applications"))
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="applications.xlsx"'
        return response
    raise Http404


# --- one case ----------------------------------------------------------------------------------------------

def _case_context(request, case, **forms):
    experts = ExpertProfile.objects.filter(agency=case.agency, active=True).select_related("user")
    context = {
        "case": case, "application": case.application,
        "verdict": case.formal_verdict or None,
        "assignments": list(case.assignments.select_related("expert")),
        "assessments": services.assessments_of(case),
        "criteria": services.criteria(case.call),
        "formal_form": forms.get("formal_form") or F.FormalCheckForm(),
        "assign_form": forms.get("assign_form") or F.AssignForm(experts=experts),
        "findings": services.findings_for([case.agency_id]).filter(Q(case_a=case) | Q(case_b=case)),
        "agreement": GrantAgreement.objects.filter(case=case).first(),
        "roles": AssignmentRole,
    }
    return context


@officer_required
def case_detail(request, pk):
    case = _case(request, pk)
    if case.submission_id and not case.formal_verdict:
        services.rerun_eligibility(case)
    return render(request, "evaluation/case.html", _case_context(request, case))


@officer_required
@require_POST
def formal_check(request, pk):
    case = _case(request, pk)
    if "rerun" in request.POST:
        services.rerun_eligibility(case)
        messages.success(request, _("The eligibility engine was run again on the submitted application."))
        return redirect(case)
    form = F.FormalCheckForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_formal_check(case, form.cleaned_data["decision"] == "eligible",
                                          form.cleaned_data["reason"], request.user)
            messages.success(request, _("The formal check is recorded."))
            return redirect(case)
        except ValidationError as exc:
            _add_errors(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/case.html", _case_context(request, case, formal_form=form), status=400)


@officer_required
@require_POST
def assign(request, pk):
    case = _case(request, pk)
    experts = ExpertProfile.objects.filter(agency=case.agency, active=True).select_related("user")
    form = F.AssignForm(request.POST, experts=experts)
    if form.is_valid():
        expert = next(p.user for p in experts if p.user_id == form.cleaned_data["expert"])
        try:
            services.assign(case, expert, form.cleaned_data["role"], request.user)
            messages.success(request, _("The expert is assigned."))
            return redirect(case)
        except ValidationError as exc:
            _add_errors(form, exc)
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/case.html", _case_context(request, case, assign_form=form), status=400)


@officer_required
@require_POST
def unassign(request, pk, assignment_pk):
    case = _case(request, pk)
    assignment = get_object_or_404(case.assignments, pk=assignment_pk)
    try:
        services.unassign(assignment, request.user)
        messages.success(request, _("The expert is no longer assigned."))
    except services.EvaluationError as exc:
        messages.error(request, str(exc))
    return redirect(case)


@officer_required
@require_POST
def auto_assign(request):
    call_id = request.POST.get("call")
    cases = officer_cases(request.user).filter(state=CaseState.ASSESSMENT).select_related("application")
    if call_id and call_id.isdigit():
        cases = cases.filter(call_id=int(call_id))
    made = []
    unfilled = []
    for agency in Agency.objects.filter(pk__in=staff_agency_ids(request.user)):
        m, u = services.auto_assign([c for c in cases if c.agency_id == agency.pk], agency, request.user)
        made += m
        unfilled += u
    messages.success(request, _("%(n)s expert assignments were made.") % {"n": len(made)})
    if unfilled:
        messages.warning(request, _("No suitable expert is free for: %(list)s. Register more experts.")
                         % {"list": ", ".join(unfilled)})
    return redirect("evaluation:workspace")


# --- experts -------------------------------------------------------------------------------------------

@officer_required
def experts(request):
    agency_ids = staff_agency_ids(request.user)
    agencies = list(Agency.objects.filter(pk__in=agency_ids))
    form = F.ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.register_expert(agencies[0], email=data["email"], first_name=data["first_name"],
                                     last_name=data["last_name"], languages=data["languages"].split(","),
                                     sectors=data["sectors"], by=request.user)
            messages.success(request, _("The expert is registered and has been sent an e-mail: a new account "
                                        "gets a link to choose a password. Experts set up two-factor "
                                        "authentication at their first log-in."))
            return redirect("evaluation:experts")
        except ValidationError as exc:
            _add_errors(form, exc)
    profiles = (ExpertProfile.objects.filter(agency_id__in=agency_ids).select_related("user")
                .annotate(n=Count("user__assignments")))
    return render(request, "evaluation/experts.html", {"form": form, "profiles": profiles},
                  status=400 if form.errors else 200)


# --- similarity ------------------------------------------------------------------------------------------

@officer_required
def similarity(request, call_pk):
    call = get_object_or_404(Call.objects.filter(pk__in=officer_cases(request.user).values("call_id")), pk=call_pk)
    if request.method == "POST":
        found = services.run_similarity(call.deadline, user=request.user)
        messages.success(request, _("The check found %(n)s suspicious pairs.") % {"n": len(found)})
        return redirect("evaluation:similarity", call_pk=call.pk)
    findings = services.findings_for(staff_agency_ids(request.user)).filter(deadline=call.deadline)
    return render(request, "evaluation/similarity.html", {"call": call, "findings": findings})


@officer_required
def finding(request, pk):
    item = get_object_or_404(services.findings_for(staff_agency_ids(request.user)).select_related(
        "case_a__submission", "case_b__submission"), pk=pk)
    form = F.FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_finding(item, form.cleaned_data["status"], form.cleaned_data["reason"], request.user)
            messages.success(request, _("Your conclusion on this pair is recorded."))
            return redirect("evaluation:similarity", call_pk=item.case_a.call_id)
        except ValidationError as exc:
            _add_errors(form, exc)
    pieces_a, pieces_b, passages = services.side_by_side(item)
    # Another agency's application is shown by its number only: its text is needed to judge the pair.
    return render(request, "evaluation/finding.html", {
        "finding": item, "form": form, "pieces_a": pieces_a, "pieces_b": pieces_b, "passages": passages,
        "percent": int(item.jaccard * 100)}, status=400 if form.errors else 200)


# --- ranking and selection --------------------------------------------------------------------------------

def _group(request, call_pk, sector):
    call = get_object_or_404(Call.objects.select_related("action"), pk=call_pk)
    agency_ids = staff_agency_ids(request.user)
    case = officer_cases(request.user).filter(call=call, sector=sector).select_related("agency").first()
    if case is None or case.agency_id not in agency_ids:
        raise Http404
    return call, case.agency


def _ranking_context(request, call, agency, sector, **extra):
    cases = list(services.group_cases(agency, call, sector).select_related(
        "application", "application__applicant", "agency").order_by("rank", "-final_total", "pk"))
    try:
        envelope = services.envelope_of(agency, call, sector)
    except services.EvaluationError:
        envelope = None
    threshold = services.award(call)["total_threshold"]
    context = {
        "call": call, "agency": agency, "sector": sector, "cases": cases, "envelope": envelope,
        "chart": services.chart(cases, envelope, threshold) if envelope else None,
        "run": services.SelectionRun.objects.filter(agency=agency, call=call, sector=sector).first(),
        "selection_form": F.SelectionForm(), "change_form": F.ManualChangeForm(), "threshold": threshold,
        "tie_breaks": services.tie_breaks(call),
        "changes": services.ManualChange.objects.filter(case__in=[c.pk for c in cases]).select_related(
            "case__application", "changed_by"),
    }
    context.update(extra)
    return context


@officer_required
def ranking(request, call_pk, sector):
    call, agency = _group(request, call_pk, sector)
    if request.method == "POST":
        form = F.SelectionForm(request.POST)
        form.is_valid()
        try:
            services.run_selection(agency, call, sector, request.user,
                                   skip_to_fit=form.cleaned_data.get("skip_to_fit", False))
            messages.success(request, _("The applications are ranked and selected within the envelope."))
            return redirect("evaluation:ranking", call_pk=call.pk, sector=sector)
        except services.EvaluationError as exc:
            messages.error(request, str(exc))
    return render(request, "evaluation/ranking.html", _ranking_context(request, call, agency, sector))


@officer_required
@require_POST
def manual_change(request, call_pk, sector, pk):
    call, agency = _group(request, call_pk, sector)
    case = get_object_or_404(officer_cases(request.user).filter(call=call, sector=sector), pk=pk)
    form = F.ManualChangeForm(request.POST)
    if form.is_valid():
        try:
            services.manual_change(case, form.cleaned_data["outcome"], form.cleaned_data["reason"], request.user)
            messages.success(request, _("The outcome of %(number)s is changed.") % {"number": case})
            return redirect("evaluation:ranking", call_pk=call.pk, sector=sector)
        except ValidationError as exc:
            _add_errors(form, exc)
        except services.EvaluationError as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/ranking.html", _ranking_context(
        request, call, agency, sector, change_form=form, change_case=case), status=400)


@officer_required
@require_POST
def stage(request, call_pk, sector):
    call, agency = _group(request, call_pk, sector)
    try:
        staged = services.stage_decisions(agency, call, sector, request.user)
        messages.success(request, _("%(n)s decision letters are staged in the outbox.") % {"n": len(staged)})
        return redirect("evaluation:outbox")
    except services.EvaluationError as exc:
        messages.error(request, str(exc))
        return redirect("evaluation:ranking", call_pk=call.pk, sector=sector)


@officer_required
def outbox(request):
    decisions = (Decision.objects.filter(case__in=officer_cases(request.user))
                 .select_related("case__application", "case__application__applicant").order_by("status", "pk"))
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("decision") if i.isdigit()]
        chosen = [d for d in decisions if d.pk in ids and d.status == DecisionStatus.STAGED]
        if not chosen:
            messages.error(request, _("Choose at least one staged decision to release."))
        else:
            released = services.release(chosen, request.user)
            messages.success(request, _("%(n)s decisions are released and the letters sent.") % {"n": len(released)})
        return redirect("evaluation:outbox")
    return render(request, "evaluation/outbox.html", {"decisions": list(decisions)})


@officer_required
@require_POST
def countersign(request, pk):
    case = _case(request, pk)
    agreement = get_object_or_404(GrantAgreement, case=case)
    try:
        services.countersign(agreement, request.user)
        messages.success(request, _("The agreement is countersigned and the project is created."))
    except (services.EvaluationError, TransitionRefused) as exc:
        messages.error(request, str(exc))
    return redirect(case)


# --- experts' pages ----------------------------------------------------------------------------------------

@login_required
def expert_list(request):
    assignments = (expert_assignments(request.user)
                   .select_related("case__application", "case__call__action", "assessment")
                   .order_by("declared_at", "pk"))
    return render(request, "evaluation/expert_list.html", {"assignments": list(assignments)})


def _snapshot_sections(snapshot):
    from eplus.applications.forms import SECTION_TITLES

    result = []
    for key, value in (snapshot.get("sections") or {}).items():
        texts = [s for s in services._strings(value.get("data")) if s.strip()]
        if texts:
            result.append((SECTION_TITLES.get(key, key), texts))
    return result


@login_required
def assessment(request, pk):
    assignment = get_object_or_404(expert_assignments(request.user).select_related(
        "case__application", "case__call", "case__submission"), pk=pk)
    case = assignment.case
    if not assignment.may_open:
        form = F.DeclarationForm(request.POST or None)
        if assignment.declared_at is None and request.method == "POST" and form.is_valid():
            try:
                services.declare(assignment, form.cleaned_data["no_conflict"] == "yes", form.cleaned_data["note"],
                                 request.user)
                return redirect("evaluation:assessment", pk=assignment.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
        return render(request, "evaluation/declaration.html", {"assignment": assignment, "form": form},
                      status=400 if form.errors else 200)
    criteria = services.criteria(case.call)
    existing = getattr(assignment, "assessment", None)
    initial = {}
    if existing:
        initial.update({f"score_{k}": v for k, v in existing.scores.items()})
        initial.update({f"comment_{k}": v for k, v in existing.comments.items()})
    form = F.AssessmentForm(request.POST or None, initial=initial, criteria=criteria)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scores = {code: data.get(f"score_{code}", "") for code, _n, _m in criteria}
        comments = {code: data.get(f"comment_{code}", "") for code, _n, _m in criteria}
        try:
            services.save_assessment(assignment, scores, comments, request.user, submit="submit" in request.POST)
            messages.success(request, _("Your assessment is submitted.") if "submit" in request.POST
                             else _("Your assessment is saved as a draft."))
            return redirect("evaluation:expert_assignments" if "submit" in request.POST
                            else "evaluation:assessment", **({} if "submit" in request.POST else {"pk": pk}))
        except ValidationError as exc:
            _add_errors(form, exc)
            status = 400
        except (services.EvaluationError, TransitionRefused) as exc:
            form.add_error(None, str(exc))
            status = 400
    others = []
    if assignment.role == AssignmentRole.CONSOLIDATOR:
        others = [a for a in services.assessments_of(case) if a.assignment.role != AssignmentRole.CONSOLIDATOR]
    return render(request, "evaluation/assessment.html", {
        "assignment": assignment, "case": case, "form": form, "snapshot": case.submission.snapshot,
        "sections": _snapshot_sections(case.submission.snapshot), "others": others, "criteria": criteria,
        "submitted": bool(existing and existing.submitted_at),
    }, status=status)


# --- applicants --------------------------------------------------------------------------------------------

def _decision(request, application_pk):
    return get_object_or_404(released_decisions(request.user).select_related(
        "case__application", "case__call"), case__application_id=application_pk)


@login_required
def decision(request, application_pk):
    item = _decision(request, application_pk)
    case = item.case
    from eplus.applications.models import AccessLevel
    from eplus.applications.services import has_level

    return render(request, "evaluation/decision.html", {
        "decision": item, "case": case, "application": case.application, "criteria": services.criteria(case.call),
        "agreement": GrantAgreement.objects.filter(case=case).first(),
        "can_sign": has_level(request.user, case.application, AccessLevel.SUBMIT),
        "upload_form": F.SignedUploadForm(), "statuses": AgreementStatus,
    })


@login_required
def agreement_pdf(request, application_pk):
    agreement = GrantAgreement.objects.filter(case__application_id=application_pk).select_related("case").first()
    allowed = agreement is not None and (
        officer_cases(request.user).filter(pk=agreement.case_id).exists()
        or released_decisions(request.user).filter(case_id=agreement.case_id).exists())
    if not allowed:
        raise Http404
    if not agreement.pdf:
        services.render_agreement(agreement)
    signed = request.GET.get("signed") and agreement.signed_pdf
    file = agreement.signed_pdf if signed else agreement.pdf
    return FileResponse(file.open("rb"), content_type="application/pdf", as_attachment=False,
                        filename=f"grant-agreement-{agreement.case.application.number}.pdf")


@login_required
@sensitive_action
@require_POST
def accept_agreement(request, application_pk):
    item = _decision(request, application_pk)
    agreement = get_object_or_404(GrantAgreement, case=item.case)
    try:
        services.accept_agreement(agreement, request.user)
        messages.success(request, _("You have accepted the grant agreement. The agency will countersign it."))
    except (services.EvaluationError, TransitionRefused) as exc:
        messages.error(request, str(exc))
    return redirect("evaluation:decision", application_pk=application_pk)


@login_required
@require_POST
def upload_signed(request, application_pk):
    item = _decision(request, application_pk)
    agreement = get_object_or_404(GrantAgreement, case=item.case)
    form = F.SignedUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.upload_signed(agreement, form.cleaned_data["file"], request.user)
            messages.success(request, _("The signed agreement is uploaded. The agency will countersign it."))
            return redirect("evaluation:decision", application_pk=application_pk)
        except ValidationError as exc:
            _add_errors(form, exc)
        except (services.EvaluationError, TransitionRefused) as exc:
            form.add_error(None, str(exc))
    from eplus.applications.models import AccessLevel
    from eplus.applications.services import has_level

    return render(request, "evaluation/decision.html", {
        "decision": item, "case": item.case, "application": item.case.application,
        "criteria": services.criteria(item.case.call), "agreement": agreement,
        "can_sign": has_level(request.user, item.case.application, AccessLevel.SUBMIT),
        "upload_form": form, "statuses": AgreementStatus}, status=400)

