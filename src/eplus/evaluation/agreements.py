"""Grant agreements: issued with a selected decision (its PDF rendered once by a task and stored), accepted
online or uploaded signed by the coordinator, and countersigned by the agency, which creates the project.

Every transition locks the agreement's row and is idempotent: a second identical call changes nothing."""

import calendar
import hashlib
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from eplus.core.tasks import enqueue_after_commit
from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.files import SIGNED_PDF, check_upload, pending_file, stored_upload
from eplus.core.money import eur
from eplus.projects.creation import create_project

from . import workflow
from .models import AgreementStatus, GrantAgreement
from .workflow import EvaluationError


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_agreement(case):
    """The grant agreement of a selected application; data from the submission, never retyped. Its PDF is
    rendered once, by a task after commit."""
    application = case.application
    if application.start_date is None or not application.duration_months or application.lump_sum is None:
        raise EvaluationError(_("The application has no start date, duration or lump sum; the agreement cannot "
                                "be prepared."))
    agreement = GrantAgreement.objects.filter(case=case).first()
    if agreement is not None:
        return agreement
    start = application.start_date
    end = add_months(start, application.duration_months) - timedelta(days=1)
    agreement = GrantAgreement(case=case, start_date=start, end_date=end, lump_sum=eur(application.lump_sum))
    agreement.save(audit_verb="issue-agreement")
    from .tasks import render_agreement_pdf

    enqueue_after_commit(render_agreement_pdf, agreement.pk)
    return agreement


def render_agreement(agreement_id):
    """Render the agreement's PDF with WeasyPrint and store it with its SHA-256, once (called by the task)."""
    from weasyprint import HTML

    agreement = GrantAgreement.objects.select_related("case__application").get(pk=agreement_id)
    if agreement.pdf:
        return agreement
    case = agreement.case
    participants = list(case.application.participations.select_related("organisation", "organisation__country"))
    with translation.override("en"):
        html = render_to_string("evaluation/pdf/agreement.html", {
            "agreement": agreement, "case": case, "application": case.application, "participants": participants})
    pdf = HTML(string=html).write_pdf()
    name = agreement.pdf.field.generate_filename(agreement, f"agreement-{case.application.number or case.pk}.pdf")
    with transaction.atomic():
        locked = GrantAgreement.objects.select_for_update().get(pk=agreement_id)
        if locked.pdf:  # rendered by another worker meanwhile
            return locked
        with pending_file(name, ContentFile(pdf), storage=locked.pdf.storage) as stored:
            locked.sha256 = hashlib.sha256(pdf).hexdigest()
            locked.pdf.name = stored.name
            locked.save(audit_verb="render-agreement")
    return locked


def _locked(agreement, user):
    """The agreement locked until commit, after checking that ``user`` signs for the coordinator (the
    ``evaluation.sign_agreement`` rule)."""
    if not user.has_perm("evaluation.sign_agreement", agreement):
        raise EvaluationError(_("Only the legal representative or contact person of the coordinator can sign."))
    return GrantAgreement.objects.select_for_update().get(pk=agreement.pk)


def accept_agreement(agreement, user):
    """The coordinator accepts the agreement online (the view asks for re-authentication first)."""
    with acting_as(user), transaction.atomic():
        locked = _locked(agreement, user)
        if locked.status == AgreementStatus.ACCEPTED:  # a second click: already done
            return workflow.mirror(agreement, locked)
        workflow.require("accept", locked.status, workflow.AGREEMENT_TRANSITIONS)
        locked.status, locked.accepted_at, locked.accepted_by = AgreementStatus.ACCEPTED, clock.now(), user
        locked.save(audit_verb="accept-agreement")
    return workflow.mirror(agreement, locked)


def upload_signed(agreement, uploaded, user):
    """Or the coordinator uploads it signed: a PDF, checked by its content."""
    checked = check_upload(uploaded, uploaded.name, SIGNED_PDF, field="file")
    with stored_upload(uploaded, checked, f"evaluation/agreements/{agreement.case_id}") as stored, \
            acting_as(user), transaction.atomic():
        locked = _locked(agreement, user)
        if locked.signed_sha256 == checked.sha256 and locked.status == AgreementStatus.ACCEPTED:
            stored.discard()
            return workflow.mirror(agreement, locked)  # the same file again
        workflow.require("accept", locked.status, workflow.AGREEMENT_TRANSITIONS)
        locked.signed_pdf.name = stored.name
        locked.signed_sha256 = checked.sha256
        locked.status, locked.accepted_at, locked.accepted_by = AgreementStatus.ACCEPTED, clock.now(), user
        locked.save(audit_verb="upload-signed-agreement")
    return workflow.mirror(agreement, locked)


def _agreement_file(agreement):
    document = agreement.signed_pdf or agreement.pdf
    if not document:
        return None
    with document.open("rb") as handle:
        return ContentFile(handle.read(), name=f"grant-agreement-{agreement.case.application.number}.pdf")


def countersign(agreement, user):
    """The agency countersigns; the project is created in the beneficiary module with its payment schedule.

    Under a lock on the agreement: two officers at once create exactly one project; countersigning again
    returns that project."""
    from eplus.projects.models import Project

    with acting_as(user), transaction.atomic():
        locked = GrantAgreement.objects.select_for_update().select_related("case__application").get(pk=agreement.pk)
        if locked.status == AgreementStatus.COUNTERSIGNED:
            workflow.mirror(agreement, locked)
            return Project.objects.get(pk=locked.project_id)
        workflow.require("countersign", locked.status, workflow.AGREEMENT_TRANSITIONS)
        signed_on = clock.to_brussels(clock.now()).date()
        locked.status, locked.countersigned_at, locked.countersigned_by = (
            AgreementStatus.COUNTERSIGNED, clock.now(), user)
        project = create_project(locked.case.application, signed_on=signed_on, start_date=locked.start_date,
                                 end_date=locked.end_date, lump_sum=locked.lump_sum,
                                 agreement_pdf=_agreement_file(locked), created_by=user)
        locked.project_id = project.pk
        locked.save(audit_verb="countersign-agreement")
    workflow.mirror(agreement, locked)
    return project
