"""Read-side questions about projects, asked by the pages, the domain modules and other layers."""

from decimal import Decimal

from eplus.core.money import eur
from eplus.organisations.models import Membership
from eplus.results.models import ProjectCard
from eplus.results.workflow import results_entered

from .models import PaymentKind, PaymentStatus, ProjectAccess, ReportStatus


def application_snapshot(application):
    """The application as submitted (the current submission's snapshot), else its sections as they are."""
    submission = application.submissions.filter(is_current=True).first()
    if submission is not None:
        return submission.snapshot
    return {"sections": {s.key: {"data": s.data} for s in application.sections.all()}}


def project_card(project):
    """The project's public card on the results platform (None before it is published)."""
    return ProjectCard.objects.filter(identifier=project.number).first()


def results_submitted(project):
    """True once the project's results were submitted on the results platform (under review or approved)."""
    card = project_card(project)
    if card is None:
        return False
    return results_entered(card)


def project_locked(project):
    """Submitting a report locks the project data until the agency decides on it."""
    return project.reports.filter(status=ReportStatus.SUBMITTED).exists()


def paid_total(project):
    """What has been paid to the project so far (recoveries excluded)."""
    return sum((p.amount for p in project.payments.filter(status=PaymentStatus.PAID)
                if p.kind != PaymentKind.RECOVERY), Decimal("0.00"))


def scored_work_packages(project):
    """Work-package numbers to score: KA220 each WP except WP1 (when the amounts make up the lump sum);
    otherwise (KA210) the project is scored overall and this is empty."""
    if project.budget_kind != "work-packages" or len(project.budget_items) < 2:
        return []
    total = sum((eur(i["amount"]) for i in project.budget_items), Decimal("0.00"))
    if total != project.lump_sum:
        return []
    return [i["number"] for i in project.budget_items if i["number"] != 1]


def active_partners(project):
    """The project's current partner organisations (the coordinator excluded), in order."""
    return [p.organisation for p in project.partners.filter(active=True).select_related("organisation")]


def participating_organisation_ids(project):
    return [project.coordinator_id, *project.partners.filter(active=True).values_list("organisation_id", flat=True)]


def people_and_rights(project):
    """One row per person who acts for a participating organisation (the coordinator first, then the
    partners): {"user", "organisations": [(Organisation, role label)], "level", "is_coordinator"}.
    Two queries whatever the number of people."""
    organisation_ids = participating_organisation_ids(project)
    memberships = (Membership.objects.filter(organisation_id__in=organisation_ids)
                   .select_related("user", "organisation")
                   .order_by("user__last_name", "user__first_name", "user__email", "pk"))
    levels = dict(ProjectAccess.objects.filter(project=project).values_list("user_id", "level"))
    rows = {}
    for membership in memberships:
        if not membership.user.is_active:
            continue
        row = rows.setdefault(membership.user_id, {"user": membership.user, "organisations": [],
                                                   "level": levels.get(membership.user_id),
                                                   "is_coordinator": False})
        row["organisations"].append((membership.organisation, membership.get_role_display()))
        if membership.organisation_id == project.coordinator_id:
            row["is_coordinator"] = True
    return sorted(rows.values(), key=lambda r: not r["is_coordinator"])


def notes_for_export(notes):
    """Debit notes with what their pages and exports show (offsets with their payment, repayments)."""
    return (notes.select_related("project").prefetch_related("offsets__payment__project", "repayments")
            .order_by("project__number", "sequence"))


def project_notes(project):
    """The project's debit notes, for its payments page, its exports and its dossier."""
    from .models import DebitNote

    return notes_for_export(DebitNote.objects.filter(project=project))
