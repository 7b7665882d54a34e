"""The applicant's pages: the released decision, the grant agreement's stored PDF, and accepting or
uploading the signed agreement."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.accounts.decorators import recently_authenticated, sensitive_action
from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import agreements
from .. import forms as F
from ..decisions import decline_grant
from ..figures import criteria
from ..models import AgreementStatus, GrantAgreement
from ..rules import released_decisions, visible_agreements
from ..workflow import EvaluationError, TransitionRefused


def decision_for(request, application_pk):
    return get_object_or_404(released_decisions(request.user).select_related(
        "case__application", "case__call"), case__application_id=application_pk)


def agreement_for(request, application_pk):
    return get_object_or_404(visible_agreements(request.user).select_related("case__application"),
                             case__application_id=application_pk)


def _page(request, item, upload_form=None, status=200, decline_form=None, review_form=None):
    from .redress import review_context  # redress (issue 13, item 9): asking for a review of a rejection

    case = item.case
    return render(request, "evaluation/decision.html", {
        "decision": item, "case": case, "application": case.application, "criteria": criteria(case.call),
        "agreement": GrantAgreement.objects.filter(case=case).first(),
        "upload_form": upload_form or F.SignedUploadForm(), "statuses": AgreementStatus,
        "decline_form": decline_form or F.DeclineForm(),
        "may_upload_now": recently_authenticated(request),
        "review": review_context(item, review_form),
    }, status=status)


@permission_required("evaluation.view_decision", obj=decision_for)
def decision(request, application_pk):
    return _page(request, request.permission_object)


@permission_required("evaluation.view_agreement", obj=agreement_for)
def agreement_pdf(request, application_pk):
    """The stored PDF (rendered once when the agreement was issued); a short notice while it is prepared."""
    agreement = request.permission_object
    signed = request.GET.get("signed") and agreement.signed_pdf
    file = agreement.signed_pdf if signed else agreement.pdf
    if not file:
        # 503 with a retry hint of a few seconds: the task renders the PDF right after the release.
        response = render(request, "evaluation/agreement_pending.html", {"agreement": agreement}, status=503)
        response["Retry-After"] = "10"
        return response
    # The agreement we made opens in the browser; the one the coordinator uploaded is downloaded.
    return file_response(file, content_type="application/pdf", as_attachment=bool(signed),
                         filename=f"grant-agreement-{agreement.case.application.number}.pdf")


@permission_required("evaluation.view_decision", obj=decision_for)
@sensitive_action
@require_POST
def accept_agreement(request, application_pk):
    agreement = get_object_or_404(GrantAgreement, case=request.permission_object.case)
    try:
        agreements.accept_agreement(agreement, request.user)
        messages.success(request, _("You have accepted the grant agreement. The agency will countersign it."))
    except (EvaluationError, TransitionRefused) as exc:
        messages.error(request, str(exc))
    return redirect("evaluation:decision", application_pk=application_pk)


@permission_required("evaluation.view_decision", obj=decision_for)
@sensitive_action  # as accepting online does; the page asks first, so that the chosen file is not lost
@require_POST
def upload_signed(request, application_pk):
    item = request.permission_object
    agreement = get_object_or_404(GrantAgreement, case=item.case)
    form = F.SignedUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            agreements.upload_signed(agreement, form.cleaned_data["file"], request.user)
            messages.success(request, _("The signed agreement is uploaded. The agency will countersign it."))
            return redirect("evaluation:decision", application_pk=application_pk)
        except ValidationError as exc:
            F.add_errors(form, exc)
        except (EvaluationError, TransitionRefused) as exc:
            form.add_error(None, str(exc))
    return _page(request, item, upload_form=form, status=400)


@permission_required("evaluation.view_decision", obj=decision_for)
@sensitive_action  # as accepting does: declining gives the grant up
@require_POST
def decline(request, application_pk):
    item = request.permission_object
    form = F.DeclineForm(request.POST)
    if form.is_valid():
        try:
            decline_grant(item.case, form.cleaned_data["reason"], request.user)
            messages.success(request, _("You have declined the grant. The agency can now fund the next application "
                                        "on its reserve list."))
            return redirect("evaluation:decision", application_pk=application_pk)
        except ValidationError as exc:
            F.add_errors(form, exc)
        except EvaluationError as exc:
            form.add_error(None, str(exc))
    item.case.refresh_from_db()
    return _page(request, item, decline_form=form, status=400)
