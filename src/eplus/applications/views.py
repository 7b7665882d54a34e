"""Application pages. Thin: parse input, check permission (404 when refused), call a service, render."""

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from eplus.accounts.decorators import sensitive_action
from eplus.core import time as clock
from eplus.programme.scoping import is_agency_staff
from eplus.organisations.services import memberships_for
from eplus.programme.models import Call
from eplus.programme.services import open_calls

from . import forms as F
from . import outcomes, services
from .models import AccessLevel, ApplicationAccess, IncidentReport, Section, SectionVersion, Submission
from .rules import agency_incidents, visible_applications


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _get(request, pk, level=AccessLevel.VIEW):
    """The application if the user may reach it with ``level``; 404 otherwise (never reveal it exists)."""
    application = get_object_or_404(
        visible_applications(request.user).select_related("call", "action", "agency", "applicant"), pk=pk)
    if not services.has_level(request.user, application, level):
        raise Http404
    return application


def remaining(deadline, now=None):
    """'12 days, 3 hours left' — the server-rendered countdown (eplus.js-style JS keeps it ticking)."""
    left = deadline - (now or clock.now())
    if left <= timedelta(0):
        return _("Closed")
    days, hours, minutes = left.days, left.seconds // 3600, (left.seconds % 3600) // 60
    if days:
        return ngettext("%(days)d day, %(hours)d h left", "%(days)d days, %(hours)d h left", days) % {
            "days": days, "hours": hours}
    return _("%(hours)d h %(minutes)d min left") % {"hours": hours, "minutes": minutes}


def _common(request, application, verdict=None):
    verdict = verdict or services.evaluate(application)
    now = clock.now()
    return {
        "application": application, "verdict": verdict,
        "level": services.access_level(request.user, application),
        "editable": services.can_edit(request.user, application, now),
        "is_open": services.is_open(application, now),
        "can_submit": services.has_level(request.user, application, AccessLevel.SUBMIT),
        "remaining": remaining(application.call.deadline, now),
        "titles": F.SECTION_TITLES,
    }


# --- lists ------------------------------------------------------------------------------------------

@login_required
def mine(request):
    applications = list(visible_applications(request.user)
                        .select_related("call", "action", "agency", "applicant")
                        .order_by("call__deadline", "-updated_at"))
    now = clock.now()
    rows = [(a, remaining(a.call.deadline, now), now < a.call.deadline) for a in applications]
    return render(request, "applications/mine.html", {"rows": rows})


@login_required
def create(request):
    organisations = [m.organisation for m in memberships_for(request.user)]
    calls = list(open_calls(clock.now()))
    form = F.CreateForm(request.POST or None, organisations=organisations, calls=calls)
    if request.method == "POST" and form.is_valid():
        organisation = next(o for o in organisations if o.oid == form.cleaned_data["organisation"])
        call_pk, _sep, sector = form.cleaned_data["call"].partition(":")
        call = get_object_or_404(Call.objects.select_related("action", "action__managing_agency"), pk=call_pk)
        try:
            application = services.create_application(request.user, organisation, call, sector or None)
        except (ValidationError, PermissionDenied) as exc:
            _add_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("Your application was created. Fill in the sections in any order."))
            return redirect("applications:detail", application.pk)
    return render(request, "applications/create.html", {"form": form, "organisations": organisations})


@login_required
def detail(request, pk):
    application = _get(request, pk)
    context = _common(request, application)
    verdict = context["verdict"]
    partners = services.partner_organisations(application)
    rows = []
    for key, section in services.sections(application).items():
        status, problems = services.section_state(application, section, verdict, partners)
        rows.append((key, F.SECTION_TITLES[key], status, problems))
        if status != section.status:
            # An autosave only stores its own section's status: the others are brought up to date here.
            Section.objects.filter(pk=section.pk).update(status=status)
    context.update(rows=rows, submission=services.current_submission(application),
                   decision_released=outcomes.decision_released(application))
    return render(request, "applications/detail.html", context)


# --- sections ---------------------------------------------------------------------------------------

def _panel_context(application, key, verdict):
    checks = services.engine_messages(verdict, key)
    by_field = {}
    for check in checks:
        by_field.setdefault(check.field, []).append(check)
    return {"section_checks": checks, "checks_by_field": by_field}


def _section_context(request, application, section, data=None, base_version=None, theirs=None):
    key = section.key
    context = _common(request, application)
    verdict = context["verdict"]
    status, problems = services.section_state(application, section, verdict)
    data = section.data if data is None else data
    started = bool(data) or section.version > 0
    context.update(_panel_context(application, key, verdict))
    context.update(section=section, key=key, title=F.SECTION_TITLES[key], status=status, problems=problems,
                   base_version=section.version if base_version is None else base_version, theirs=theirs)
    if key == "design":
        partners = services.partner_organisations(application)
        items = services.section_forms.item_forms(application, data, partners, extra=1 if context["editable"] else 0)
        context.update(items=items, prefix=F.design_prefix(application.call), kind=F.design_kind(application.call),
                       item_count=len(items), partners=partners)
    elif key in F.SIMPLE_FORMS:
        context["form"] = services.section_form(application, key, data, bound=started)
    elif key == "organisations":
        context.update(participants=services.participants(application), add_form=F.ParticipantForm())
    elif key == "annexes":
        context.update(annexes=list(application.annexes.select_related("organisation")),
                       annex_form=F.AnnexForm(partners=[p.organisation for p in services.participants(application)
                                                        if p.role == "partner"]))
    if key == "checklist":
        context["blocking"] = services.blocking_problems(application, verdict)
    return context


def _autosave_response(request, application, result):
    context = _common(request, application, getattr(result, "verdict", None))
    section = result.section
    context.update(_panel_context(application, section.key, context["verdict"]))
    status, problems = services.section_state(application, section, context["verdict"])
    form_errors = []
    if not result.conflict:
        _missing, form_errors = services.form_problems(application, section.key, section.data)
    context.update(result=result, section=section, key=section.key, status=status, problems=problems,
                   form_errors=form_errors, now=clock.now())
    return render(request, "applications/_autosave.html", context)


@login_required
def section_page(request, pk, key):
    application = _get(request, pk)
    if key not in F.SECTION_KEYS:
        raise Http404
    section = get_object_or_404(Section, application=application, key=key)
    if request.method == "POST":
        if not services.has_level(request.user, application, AccessLevel.EDIT):
            raise Http404
        if not services.is_open(application):
            messages.error(request, _("The deadline has passed; the application can no longer be changed."))
            return redirect("applications:section", application.pk, key)
        if key == "organisations":
            return _post_participant(request, application, section)
        if key == "annexes":
            return _post_annex(request, application, section)
        action = request.POST.get("action", "save")
        try:
            yours = json.loads(request.POST.get("yours_json") or "null")
        except ValueError:
            yours = None
        if action == "merge" and isinstance(yours, dict):
            theirs = Section.objects.get(pk=section.pk)
            context = _section_context(request, application, section, data=yours, base_version=theirs.version,
                                       theirs=theirs)
            return render(request, "applications/section.html", context)
        data = yours if action == "keep-mine" and isinstance(yours, dict) else \
            services.post_to_data(application, key, request.POST)
        try:
            result = services.save_section(application, key, data, request.POST.get("base_version"), request.user)
        except (ValidationError, services.ApplicationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect("applications:section", application.pk, key)
        if request.headers.get("HX-Request"):
            return _autosave_response(request, application, result)
        if result.conflict:
            context = _common(request, application)
            context.update(result=result, key=key, title=F.SECTION_TITLES[key], section=result.section,
                           theirs_rows=_rows(application, key, result.theirs),
                           yours_rows=_rows(application, key, result.yours),
                           yours_json=json.dumps(result.yours), theirs_by=result.section.updated_by)
            return render(request, "applications/conflict.html", context, status=409)
        messages.success(request, _("The section was saved."))
        return redirect("applications:section", application.pk, key)
    return render(request, "applications/section.html", _section_context(request, application, section))


def _rows(application, key, data):
    """(label, value) pairs of a section's data, for showing two versions side by side."""
    if key == "design":
        rows = []
        for index, item in enumerate((data or {}).get("items") or []):
            for name, value in item.items():
                rows.append((f"{index + 1}. {name}", value))
        return rows
    form = services.section_form(application, key, None, bound=False)
    rows = []
    for name, field in form.fields.items():
        value = (data or {}).get(name, "")
        if isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        rows.append((field.label, value))
    return rows


def _post_participant(request, application, section):
    if request.POST.get("remove"):
        participation = get_object_or_404(application.participations, pk=request.POST["remove"])
        try:
            services.remove_participant(application, participation, request.user)
            messages.success(request, _("The organisation was removed from the application."))
        except services.ApplicationError as exc:
            messages.error(request, str(exc))
        return redirect("applications:section", application.pk, "organisations")
    form = F.ParticipantForm(request.POST)
    if form.is_valid():
        try:
            services.add_participant(application, form.cleaned_data["oid"], form.cleaned_data["role"], request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The organisation was added; its data comes from its registration."))
            return redirect("applications:section", application.pk, "organisations")
    context = _section_context(request, application, section)
    context["add_form"] = form
    return render(request, "applications/section.html", context)


def _post_annex(request, application, section):
    if request.POST.get("remove"):
        annex = get_object_or_404(application.annexes, pk=request.POST["remove"])
        services.remove_annex(application, annex, request.user)
        messages.success(request, _("The annex was removed."))
        return redirect("applications:section", application.pk, "annexes")
    partners = [p.organisation for p in services.participants(application) if p.role == "partner"]
    form = F.AnnexForm(request.POST, request.FILES, partners=partners)
    if form.is_valid():
        organisation = next((o for o in partners if o.oid == form.cleaned_data["organisation"]), None)
        try:
            services.add_annex(application, form.cleaned_data["kind"], form.cleaned_data["file"], request.user,
                               organisation=organisation)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _add_errors(form, exc)
            else:
                form.add_error("file", exc.messages)
        else:
            messages.success(request, _("The annex was uploaded."))
            return redirect("applications:section", application.pk, "annexes")
    context = _section_context(request, application, section)
    context["annex_form"] = form
    return render(request, "applications/section.html", context)


@login_required
def annex_file(request, pk, annex_pk):
    application = _get(request, pk)
    annex = get_object_or_404(application.annexes, pk=annex_pk)
    return FileResponse(annex.file.open("rb"), as_attachment=True, filename=annex.original_name,
                        content_type=annex.content_type)


# --- submission ---------------------------------------------------------------------------------------

@login_required
def submit(request, pk):
    application = _get(request, pk)
    error = problems = None
    if request.method == "POST":
        # Submit first; the page (and its engine run) is only built again to show why it was refused.
        if not services.has_level(request.user, application, AccessLevel.SUBMIT):
            raise Http404
        try:
            submission = services.submit(application, request.user)
        except services.NotEligible as exc:
            error, problems = str(exc), exc.problems
        except services.ApplicationError as exc:
            error = str(exc)
        else:
            return redirect("applications:submitted", application.pk, submission.pk)
    context = _common(request, application)
    if problems is None:
        problems = services.blocking_problems(application, context["verdict"])
    context.update(problems=problems, error=error, submission=services.current_submission(application),
                   withdraw_form=F.WithdrawForm())
    return render(request, "applications/submit.html", context, status=409 if error else 200)


@login_required
def submitted(request, pk, submission_pk):
    application = _get(request, pk)
    submission = get_object_or_404(Submission.objects.select_related("submitted_by"), application=application,
                                   pk=submission_pk)
    return render(request, "applications/submitted.html", {
        "application": application, "submission": submission,
        "brussels": clock.format_brussels(submission.submitted_at),
        "local": services.format_local(submission.submitted_at, application.applicant.country_id),
    })


@login_required
def submission_pdf(request, pk, submission_pk):
    application = _get(request, pk)
    submission = get_object_or_404(Submission, application=application, pk=submission_pk)
    if not submission.pdf:
        raise Http404
    return FileResponse(submission.pdf.open("rb"), as_attachment=True, filename=f"{submission.number}.pdf",
                        content_type="application/pdf")


@login_required
@sensitive_action(allow_get=True)
@require_POST
def withdraw(request, pk):
    application = _get(request, pk, AccessLevel.SUBMIT)
    form = F.WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.withdraw(application, request.user, form.cleaned_data.get("reason", ""))
    except services.ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The application was withdrawn. You can submit it again before the deadline."))
    return redirect("applications:detail", application.pk)


# --- sharing, history, incidents ------------------------------------------------------------------------

@login_required
def share(request, pk):
    application = _get(request, pk)
    manage = services.has_level(request.user, application, AccessLevel.SUBMIT)
    form = F.ShareForm(request.POST or None)
    if request.method == "POST":
        if not manage:
            raise Http404
        if request.POST.get("remove"):
            access = get_object_or_404(ApplicationAccess, application=application, pk=request.POST["remove"])
            services.unshare(application, access, request.user)
            messages.success(request, _("Access was removed."))
            return redirect("applications:share", application.pk)
        if form.is_valid():
            user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
            if user is None:
                form.add_error("email", _("Nobody has an account with this e-mail address; ask the person to sign "
                                          "up first."))
            else:
                try:
                    services.share(application, user, form.cleaned_data["level"], request.user)
                except ValidationError as exc:
                    _add_errors(form, exc)
                else:
                    messages.success(request, _("The application is now shared with %(email)s.")
                                     % {"email": user.email})
                    return redirect("applications:share", application.pk)
    accesses = application.accesses.select_related("user")
    return render(request, "applications/share.html", {"application": application, "form": form,
                                                       "accesses": accesses, "manage": manage})


@login_required
def history(request, pk):
    application = _get(request, pk)
    versions = (SectionVersion.objects.filter(section__application=application)
                .select_related("section", "saved_by").order_by("-saved_at", "-pk"))
    submissions = application.submissions.select_related("submitted_by")
    return render(request, "applications/history.html", {
        "application": application, "versions": versions, "submissions": submissions, "titles": F.SECTION_TITLES})


@login_required
def incident(request, pk):
    application = _get(request, pk, AccessLevel.EDIT)
    form = F.IncidentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_incident(request.user, application, form.cleaned_data["description"],
                                              form.cleaned_data["screenshots"])
        except ValidationError as exc:
            _add_errors(form, exc)
        except services.ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your report was recorded at %(time)s (Brussels time) and sent to %(agency)s.")
                             % {"time": clock.format_brussels(report.reported_at), "agency": application.agency.code})
            return redirect("applications:incident", application.pk)
    reports = application.incidents.prefetch_related("screenshots")
    return render(request, "applications/incident.html", {"application": application, "form": form,
                                                          "reports": reports})


@login_required
def agency_incident_list(request):
    if not is_agency_staff(request.user):
        raise Http404
    reports = agency_incidents(request.user).select_related("application", "call", "call__action", "agency", "user") \
        .prefetch_related("screenshots")
    return render(request, "applications/agency_incidents.html", {"reports": reports})


@login_required
def incident_file(request, report_pk, shot_pk):
    report = get_object_or_404(IncidentReport, pk=report_pk)
    allowed = agency_incidents(request.user).filter(pk=report.pk).exists() or (
        report.application_id and visible_applications(request.user).filter(pk=report.application_id).exists())
    if not allowed:
        raise Http404
    shot = get_object_or_404(report.screenshots, pk=shot_pk)
    return FileResponse(shot.file.open("rb"), as_attachment=True, filename=shot.original_name,
                        content_type=shot.content_type)

