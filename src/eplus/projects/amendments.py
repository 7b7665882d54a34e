"""Amendments of a project: the beneficiary requests a change of the dates, the partners or the split
of the budget; the agency approves or rejects it. Both are transitions under the project's row lock
and idempotent: the same request twice makes one amendment, the same decision twice decides once."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.money import eur, format_eur
from eplus.organisations.models import MANAGER_ROLES, Membership, Organisation
from eplus.programme.identifiers import normalise_oid

from . import figures, finance
from .base import ProjectError
from .creation import refresh_card
from .models import (
    CLOSED_STATUSES, AccessLevel, Amendment, AmendmentKind, AmendmentStatus, Project, ProjectAccess, ProjectPartner,
    ReportKind, ReportStatus,
)
from .notify import agency_staff, edit_recipients, notify
from .queries import participating_organisation_ids, project_locked
from .rules import forget_level

CLOSED = CLOSED_STATUSES


def find_organisation(oid):
    return Organisation.objects.filter(oid=normalise_oid(oid)).first()


def check_partner_change(project, proposed):
    """(action, Organisation) of a requested change of partners, or ProjectError with what to fix."""
    action = (proposed or {}).get("partner_action")
    if action not in ("add", "remove"):
        raise ProjectError(_("Choose whether a partner is added or removed."))
    organisation = find_organisation((proposed or {}).get("partner_oid"))
    if organisation is None:
        raise ProjectError(_("No organisation has this OID; give the OID of the organisation, for example "
                             "E10000001."))
    if organisation.pk == project.coordinator_id:
        raise ProjectError(_("The coordinator cannot be added or removed as a partner."))
    is_partner = project.partners.filter(organisation=organisation, active=True).exists()
    if action == "add" and is_partner:
        raise ProjectError(_("%(name)s is already a partner of the project.") % {"name": organisation.legal_name})
    if action == "remove" and not is_partner:
        raise ProjectError(_("%(name)s is not a partner of the project.") % {"name": organisation.legal_name})
    return action, organisation


def check_budget_split(project, proposed):
    """The new amounts {number: Decimal} of the work packages or activities: every item given, in euros
    to the cent, adding up exactly to the lump sum; ProjectError with what to fix otherwise."""
    amounts = {}
    for item in project.budget_items:
        raw = str((proposed or {}).get(f"amount_{item['number']}", "")).strip()
        try:
            amount = Decimal(raw.replace(",", "."))
            exact = amount.is_finite() and amount >= 0 and amount == amount.quantize(Decimal("0.01"))
        except ArithmeticError:  # not a number, or too large to be an amount
            exact = False
        if not exact:
            raise ProjectError(_("Give the new amount of “%(item)s” in euros, for example 50000.00.") % {
                "item": item.get("title") or item["number"]})
        amounts[item["number"]] = eur(amount)
    if not amounts:
        raise ProjectError(_("The project has no work packages or activities whose budget could be split."))
    total = sum(amounts.values(), Decimal("0.00"))
    if total != project.lump_sum:
        raise ProjectError(_("The new amounts add up to %(total)s but the lump sum is %(lump_sum)s; change them so "
                             "that they add up exactly to the lump sum.") % {
            "total": format_eur(total), "lump_sum": format_eur(project.lump_sum)})
    return amounts


def apply_partner_change(project, action, organisation, reason=""):
    """Add (or re-activate) or remove a partner, with the rights of its people: an added partner's legal
    representatives and contact persons get view rights; on removal everyone who acted on the project only
    for that organisation loses their rights."""
    partner = ProjectPartner.objects.filter(project=project, organisation=organisation).first()
    if action == "add":
        if partner is None:
            order = (project.partners.order_by("-order").values_list("order", flat=True).first() or 0) + 1
            ProjectPartner(project=project, organisation=organisation, role="partner", order=order).save(
                audit_verb="amend-partners", audit_reason=reason)
        elif not partner.active:
            partner.active = True
            partner.save(audit_verb="amend-partners", audit_reason=reason)
        existing = set(project.accesses.values_list("user_id", flat=True))
        for membership in Membership.objects.filter(organisation=organisation, role__in=MANAGER_ROLES).select_related("user"):
            if membership.user_id not in existing:
                ProjectAccess(project=project, user=membership.user, level=AccessLevel.VIEW,
                              organisation=organisation).save(audit_verb="amend-partners", audit_reason=reason)
    else:
        partner.active = False
        partner.save(audit_verb="amend-partners", audit_reason=reason)
        staying = set(Membership.objects.filter(organisation_id__in=participating_organisation_ids(project))
                      .values_list("user_id", flat=True))
        leaving = set(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
        for access in project.accesses.filter(user_id__in=leaving - staying):
            access.delete()
        forget_level(project)
    refresh_card(project)


def apply_budget_split(project, amounts, reason=""):
    """Set the amounts of the work packages or activities (already checked) and the planned amounts of
    the reports that can still be changed."""
    project.budget_items = [{**item, "amount": str(amounts[item["number"]])} for item in project.budget_items]
    project.save(audit_verb="amend-budget", audit_reason=reason)
    for report in project.reports.filter(status__in=[ReportStatus.DRAFT, ReportStatus.UPDATE_REQUESTED]):
        budget = (report.sections or {}).get("budget")
        if not budget:
            continue
        report.sections = dict(report.sections, budget=[
            {**row, "planned": str(amounts[row["number"]])} if row.get("number") in amounts else row
            for row in budget])
        report.save(audit_verb="amend-budget", audit_reason=reason)


# --- the transitions -----------------------------------------------------------------------------

def _checked_proposal(project, kind, description, proposed):
    """The proposal as stored, or ProjectError with what to fix."""
    if project.status in CLOSED:
        raise ProjectError(_("The project is closed; no amendment can be requested."))
    if project_locked(project):
        raise ProjectError(_("A report is with the agency, which locks the project data; request the amendment "
                             "once the agency has decided on the report."))
    if kind not in AmendmentKind.values:
        raise ProjectError(_("Choose what the amendment changes."))
    if not (description or "").strip():
        raise ProjectError(_("Describe the change and why it is needed."))
    proposed = dict(proposed or {})
    if kind == AmendmentKind.DATES:
        start, end = proposed.get("start_date"), proposed.get("end_date")
        if not start or not end or str(end) < str(start):
            raise ProjectError(_("Give the new start and end dates; the end date must be after the start date."))
    elif kind == AmendmentKind.PARTNERS:
        action, organisation = check_partner_change(project, proposed)
        proposed = {"partner_action": action, "partner_oid": organisation.oid, "partner_name": organisation.legal_name}
    elif kind == AmendmentKind.BUDGET:
        amounts = check_budget_split(project, proposed)
        proposed = {f"amount_{number}": amount for number, amount in amounts.items()}
    return {k: str(v) for k, v in proposed.items()}


def request_amendment(project, user, *, kind, description, proposed=None):
    """Request an amendment (edit rights). The same request again while it waits returns the waiting one
    and notifies nobody a second time."""
    if not user.has_perm("projects.request_amendment", project):
        raise PermissionDenied(_("You can only view this project; ask the coordinator for edit rights."))
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        proposed = _checked_proposal(project, kind, description, proposed)
        description = description.strip()
        waiting = Amendment.objects.filter(project=project, kind=kind, description=description, proposed=proposed,
                                           requested_by=user, status=AmendmentStatus.REQUESTED).first()
        if waiting is not None:
            return waiting
        amendment = Amendment.objects.create(project=project, kind=kind, description=description, proposed=proposed,
                                             requested_by=user)
        notify(agency_staff(project), "amendment_requested", {"project": project, "amendment": amendment})
    return amendment


def _apply_dates(project, amendment):
    project.start_date = date.fromisoformat(amendment.proposed["start_date"])
    project.end_date = date.fromisoformat(amendment.proposed["end_date"])
    project.save(audit_verb="amend-dates", audit_reason=amendment.description)
    final = project.reports.filter(kind=ReportKind.FINAL).first()
    if final is not None and final.is_editable:
        final.period_end = project.end_date
        final.due = finance.report_due_dates(project.end_date, progress_days=figures.progress_report_days(project.call),
                                             final_days=figures.final_report_days(project.call))[-1].due
        final.save(audit_verb="amend-dates")
    refresh_card(project)


def _apply(project, amendment):
    """Check the approved change again against the project as it is now, then make it."""
    if project_locked(project):
        raise ProjectError(_("A report is with the agency, which locks the project data; decide on the report "
                             "before approving the amendment."))
    if amendment.kind == AmendmentKind.PARTNERS:
        apply_partner_change(project, *check_partner_change(project, amendment.proposed), reason=amendment.description)
    elif amendment.kind == AmendmentKind.BUDGET:
        apply_budget_split(project, check_budget_split(project, amendment.proposed), amendment.description)
    else:
        _apply_dates(project, amendment)


def decide_amendment(amendment, user, *, approve, reason=""):
    """Approve (and make the change) or reject (with the reason) a requested amendment: the agency's staff.
    The same decision again changes nothing and sends nothing."""
    if not user.has_perm("projects.decide_amendment", amendment):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ProjectError(_("Give the reason for rejecting the amendment; it is sent to the beneficiary."))
    decided = AmendmentStatus.APPROVED if approve else AmendmentStatus.REJECTED
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().get(pk=amendment.project_id)
        Amendment.objects.select_for_update().filter(pk=amendment.pk).exists()
        amendment.refresh_from_db()  # the caller's object, as it is now that its row is locked
        amendment.project = project
        if amendment.status == decided:
            return amendment
        if amendment.status != AmendmentStatus.REQUESTED:
            raise ProjectError(_("This amendment has already been decided."))
        if approve:
            _apply(project, amendment)
        amendment.status, amendment.reason = decided, reason
        amendment.decided_by, amendment.decided_at = user, clock.now()
        amendment.save(audit_verb="approve-amendment" if approve else "reject-amendment", audit_reason=reason)
        notify(edit_recipients(project), "amendment_decided", {"project": project, "amendment": amendment})
    return amendment
