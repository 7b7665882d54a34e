"""The agency's external experts: registration (with the welcome e-mail), conflicts of interest,
assignment to cases (by hand or balanced automatically) and the expert's own declaration."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from eplus.applications.models import Participation
from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.mail import language_of, queue_templated_mail
from eplus.organisations.models import Membership
from eplus.programme.models import AgencyMembership

from . import workflow
from .models import Assignment, AssignmentRole, Case, CaseState, ExpertProfile
from .timing import assessment_open, require_assessment_open
from .workflow import EvaluationError


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
    profile.welcome_sent = welcome  # for the page's message: only a new or re-activated expert is mailed
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
    queue_templated_mail("evaluation/email/expert", context, user.email, language_of(user), related=user,
                         agency_code=agency.code if agency else "")


def is_conflicted(expert, application):
    """An expert who acts for a participating organisation can never assess the application."""
    organisations = Participation.objects.filter(application=application).values("organisation_id")
    return Membership.objects.filter(user=expert, organisation_id__in=organisations).exists()


def _refuse_assignment(case, expert, role):
    """What stops ``expert`` from being the ``role`` of ``case`` (raises ValidationError), on the locked case."""
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


def assign(case, expert, role, by):
    """Put ``expert`` on ``case`` as the first, second or consolidating expert.

    Under a lock on the case: two officers assigning at once cannot give it two first experts, and assigning
    the same expert in the same role again returns the existing assignment."""
    with acting_as(by), transaction.atomic():
        locked = Case.objects.select_for_update().select_related("application").get(pk=case.pk)
        existing = locked.assignments.filter(expert=expert, role=role).first()
        if existing is not None:
            return existing
        require_assessment_open(locked)
        workflow.require("assign", locked.state)
        _refuse_assignment(locked, expert, role)
        assignment = Assignment(case=locked, expert=expert, role=role, assigned_by=by)
        earlier = locked.assignments.filter(expert=expert, declared_at__isnull=False, no_conflict=True).first()
        if earlier is not None:  # the lead expert already declared no conflict on this application
            assignment.declared_at, assignment.no_conflict = earlier.declared_at, True
        assignment.save(audit_verb="assign-expert")
        _send_assignment_mail(assignment)
    return assignment


def _send_assignment_mail(assignment):
    """Tell the expert (in their language) what they have been given and where to declare and assess."""
    from django.urls import reverse

    case, expert = assignment.case, assignment.expert
    context = {"expert": expert, "assignment": assignment, "application": case.application, "agency": case.agency,
               "link": settings.SITE_URL.rstrip("/") + reverse("evaluation:assessment", args=[assignment.pk])}
    queue_templated_mail("evaluation/email/assignment", context, expert.email, language_of(expert),
                         related=assignment, agency_code=case.agency.code)


def may_unassign(case, assignment):
    """An expert can be taken off while the case is being assessed and their assessment is not submitted."""
    submitted = hasattr(assignment, "assessment") and assignment.assessment.submitted_at is not None
    return case.state in (CaseState.ASSESSMENT, CaseState.CONSOLIDATION) and not submitted


def unassign(assignment, by):
    """Take an expert off a case, unless their assessment is already submitted."""
    with acting_as(by), transaction.atomic():
        case = Case.objects.select_for_update().get(pk=assignment.case_id)
        if hasattr(assignment, "assessment") and assignment.assessment.submitted_at:
            raise EvaluationError(_("This expert has already submitted the assessment; it cannot be removed."))
        if not may_unassign(case, assignment):
            raise EvaluationError(_("The application is no longer being assessed; its experts stay on record."))
        Assignment.objects.filter(pk=assignment.pk).delete()


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
        if case.state != CaseState.ASSESSMENT or not assessment_open(case):
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
    """The expert's conflict-of-interest declaration, made once: it gates access to the application."""
    if assignment.expert_id != user.pk:
        raise EvaluationError(_("Only the assigned expert can make this declaration."))
    if not no_conflict and not (note or "").strip():
        raise ValidationError({"note": [_("Describe the conflict of interest so that the agency can reassign "
                                          "the application.")]})
    with acting_as(user), transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.declared_at is not None:
            raise EvaluationError(_("You have already made your declaration for this application."))
        locked.declared_at, locked.no_conflict = clock.now(), bool(no_conflict)
        locked.conflict_note = (note or "").strip()
        locked.save(audit_verb="declare-interests", audit_reason=locked.conflict_note)
    return workflow.mirror(assignment, locked)
