"""Checking and submitting, the confirmation of a submission, its PDF, and withdrawing."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.accounts.decorators import sensitive_action
from eplus.core import time as clock
from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import forms as F
from ..errors import ApplicationError, NotEligible
from ..local_time import format_local
from ..models import Submission
from ..queries import current_submission
from ..statuses import blocking_problems
from ..submission import submit as submit_application
from ..submission import withdraw as withdraw_application
from .common import application_for, page_context


@permission_required("applications.view_application", obj=application_for)
def submit(request, pk):
    application = request.permission_object
    error = problems = None
    if request.method == "POST":
        # Submit first; the page (and its engine run) is only built again to show why it was refused.
        if not request.user.has_perm("applications.submit_application", application):
            raise Http404
        try:
            submission = submit_application(application, request.user)
        except NotEligible as exc:
            error, problems = str(exc), exc.problems
        except ApplicationError as exc:
            error = str(exc)
        else:
            return redirect("applications:submitted", application.pk, submission.pk)
    context = page_context(application)
    if problems is None:
        problems = blocking_problems(application, context["verdict"])
    context.update(problems=problems, error=error, submission=current_submission(application),
                   withdraw_form=F.WithdrawForm())
    return render(request, "applications/submit.html", context, status=409 if error else 200)


@permission_required("applications.view_application", obj=application_for)
def submitted(request, pk, submission_pk):
    application = request.permission_object
    submission = get_object_or_404(Submission.objects.select_related("submitted_by"), application=application,
                                   pk=submission_pk)
    return render(request, "applications/submitted.html", {
        "application": application, "submission": submission,
        "brussels": clock.format_brussels(submission.submitted_at),
        "local": format_local(submission.submitted_at, application.applicant.country_id),
    })


@permission_required("applications.view_application", obj=application_for)
def submission_pdf(request, pk, submission_pk):
    submission = get_object_or_404(Submission, application=request.permission_object, pk=submission_pk)
    if not submission.pdf:
        raise Http404
    return file_response(submission.pdf, filename=f"{submission.number}.pdf", content_type="application/pdf")


@permission_required("applications.withdraw_application", obj=application_for)
@sensitive_action(allow_get=True)
@require_POST
def withdraw(request, pk):
    application = request.permission_object
    form = F.WithdrawForm(request.POST)
    form.is_valid()
    try:
        withdraw_application(application, request.user, form.cleaned_data.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The application was withdrawn. You can submit it again before the deadline."))
    return redirect("applications:detail", application.pk)
