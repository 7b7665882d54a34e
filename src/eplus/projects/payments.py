"""Payments of a project: the further pre-financing decided on the interim report, the balance (or
recovery) of the final assessment, marking a payment paid, and the payment letters.

Every figure comes from the project's call (:mod:`eplus.projects.figures`). A payment letter is
rendered once, off the request path (:func:`eplus.projects.tasks.render_payment_letter`), when the
payment becomes due; pages only serve the stored letter.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from eplus.core.tasks import enqueue_after_commit
from eplus.core.audit import acting_as, record
from eplus.core.files import pending_file
from eplus.core.money import eur, format_eur

from . import figures, finance
from .base import ProjectError, today
from .models import Payment, PaymentKind, PaymentStatus

LETTER_STATUSES = (PaymentStatus.DUE, PaymentStatus.PAID)


def letters_after_commit(payments):
    """Render the letters of ``payments`` (now due) once the transaction that made them due commits."""
    from .tasks import render_payment_letter

    for payment in payments:
        enqueue_after_commit(render_payment_letter, payment.pk)


def mark_paid(payment, user, paid_on=None):
    """Mark a due payment paid, exactly once: under a row lock, a second call (double click, parallel
    request) finds it paid and changes nothing. Only the staff of the project's agency may."""
    if not user.has_perm("projects.mark_paid", payment):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    with acting_as(user), transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("project").get(pk=payment.pk)
        if locked.status == PaymentStatus.PAID:
            return locked
        if locked.status != PaymentStatus.DUE:
            raise ProjectError(_("Only a payment that is due can be marked as paid."))
        if locked.kind == PaymentKind.RECOVERY:
            raise ProjectError(_("A recovery is settled on its debit note: record the repayments there."))
        locked.status = PaymentStatus.PAID
        locked.paid_on = paid_on or today()
        locked.save(audit_verb="mark-paid")
    return locked


def payment_due_date(project):
    """The last day of a payment that becomes due today: the call's payment period from today."""
    return today() + timedelta(days=figures.first_prefinancing_days(project.call))


# --- further pre-financing -----------------------------------------------------------------------

def further_prefinancing_verdict(project, used):
    """``(allowed, reason)`` of a further pre-financing for ``used`` euros of the first one, with the
    call's own threshold; None when the project has no first pre-financing."""
    first = project.payments.filter(kind=PaymentKind.PREFINANCING).first()
    if first is None:
        return None
    threshold = figures.further_prefinancing_threshold(project.call)
    return finance.further_prefinancing_allowed(first.amount, used or 0, threshold)


def decide_further_prefinancing(project, report):
    """The further pre-financing becomes due when the interim report shows at least the call's threshold
    of the first pre-financing used, else it is blocked with the reason. Under the payment's row lock;
    a payment already decided the same way is left alone."""
    # A paid one is decided; a cancelled one (the project was terminated, or its final grant approved) stays so.
    further = (Payment.objects.select_for_update().filter(project=project, kind=PaymentKind.FURTHER)
               .exclude(status__in=[PaymentStatus.PAID, PaymentStatus.CANCELLED]).first())
    if further is None:
        return None
    allowed, reason = further_prefinancing_verdict(project, report.prefinancing_used)
    status = PaymentStatus.DUE if allowed else PaymentStatus.BLOCKED
    if further.status == status and further.status_reason == reason:
        return further
    further.status = status
    further.status_reason = reason
    if allowed:
        further.due = payment_due_date(project)
        further.save(audit_verb="further-prefinancing-allowed", audit_reason=reason)
        letters_after_commit([further])
    else:
        further.save(audit_verb="further-prefinancing-refused", audit_reason=reason)
        _reverse_offsets(further, reason)
    return further


def _reverse_offsets(payment, reason):
    """A payment cancelled, blocked or reduced: what was offset against it goes back on its debit notes."""
    from .recovery import reverse_offsets

    return reverse_offsets(payment, reason)


# --- the balance of the final assessment ---------------------------------------------------------

def settle_balance(project, grant, bal):
    """Once the final grant is approved: unpaid further pre-financing is cancelled, the balance becomes
    due (or is cancelled when nothing is left to pay) and a recovery is raised for what was overpaid."""
    for payment in project.payments.select_for_update().filter(kind=PaymentKind.FURTHER).exclude(
            status=PaymentStatus.PAID):
        payment.status = PaymentStatus.CANCELLED
        payment.status_reason = _("Replaced by the balance computed at the final assessment.")
        payment.save(audit_verb="cancel-unpaid-prefinancing")
        _reverse_offsets(payment, payment.status_reason)
    due = payment_due_date(project)
    balance_payment = project.payments.select_for_update().filter(kind=PaymentKind.BALANCE).first()
    if balance_payment is None:
        balance_payment = Payment(project=project, kind=PaymentKind.BALANCE,
                                  sequence=project.payments.count() + 1, amount=0)
    before = (balance_payment.amount, balance_payment.status) if balance_payment.pk else None
    balance_payment.at_most = False
    now_due = []
    if bal.kind == "payment":
        balance_payment.amount, balance_payment.status, balance_payment.due = bal.to_pay, PaymentStatus.DUE, due
        balance_payment.status_reason = _("Final grant %(grant)s minus %(paid)s already paid.") % {
            "grant": format_eur(grant.amount), "paid": format_eur(bal.paid)}
        now_due.append(balance_payment)
    else:
        balance_payment.amount, balance_payment.status = eur(0), PaymentStatus.CANCELLED
        balance_payment.status_reason = _("No balance: the final grant is not more than what was paid.")
    balance_payment.save(audit_verb="balance-computed")
    if before is not None and (balance_payment.amount, balance_payment.status) != before:
        _reverse_offsets(balance_payment, balance_payment.status_reason)
    if bal.kind == "recovery":  # its letter is the debit note (eplus.projects.recovery.issue_debit_note)
        Payment.objects.create(
            project=project, kind=PaymentKind.RECOVERY, sequence=project.payments.count() + 1,
            amount=bal.recovery, due=due, status=PaymentStatus.DUE,
            status_reason=_("Final grant %(grant)s, %(paid)s already paid: %(recovery)s to be returned.") % {
                "grant": format_eur(grant.amount), "paid": format_eur(bal.paid),
                "recovery": format_eur(bal.recovery)})
    letters_after_commit(now_due)


# --- letters -------------------------------------------------------------------------------------

def render_pdf(template, context):
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR) if hasattr(settings, "BASE_DIR") else None).write_pdf()


def store_letter(payment):
    """Render the payment (or recovery) letter of a due or paid payment and store it on the payment, once.
    Returns the payment (with ``letter`` set), or None when the payment has no letter (not due)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("project", "project__agency",
                                                                     "project__coordinator").get(pk=payment.pk)
        if payment.letter:
            return payment
        if payment.status not in LETTER_STATUSES:
            return None
        project = payment.project
        pdf = render_pdf("projects/payment_letter.html", {
            "payment": payment, "project": project, "amount": format_eur(payment.amount), "today": today()})
        name = payment.letter.field.generate_filename(payment, f"{project.number}-{payment.kind}-{payment.sequence}.pdf")
        with pending_file(name, ContentFile(pdf), storage=payment.letter.storage) as stored:
            payment.letter.name = stored.name
            Payment.objects.filter(pk=payment.pk).update(letter=stored.name)
            record(payment, "event", verb="payment-letter")
    return payment
