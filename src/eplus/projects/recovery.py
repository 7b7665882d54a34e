"""Recovery as a procedure (DOMAIN §7; issue 14, item 3): the debit note of what a project must pay back,
offsetting, repayments, write-off, revision by a newer final decision, and the reminders' days.

- **Issued on approval.** When the approved final assessment leaves a negative balance,
  :func:`eplus.projects.payments.settle_balance` raises the recovery (a :class:`Payment` of kind recovery)
  and :func:`eplus.projects.workflow.approve_assessment` calls :func:`issue_debit_note` in the same
  transaction: nobody has to remember a second step, and the decision e-mail and the debit note go out
  together. :func:`issue_debit_note` is also the officer's action for a recovery that has no debit note
  (one raised before this procedure existed, or by another procedure such as a termination).
- **Offsetting first.** Payments still due to the beneficiary (status due, any kind but a recovery) of the
  projects the same coordinator has with the same agency — this one included — are kept back against the
  recovery, oldest due date first. A payment keeps its amount (it counts as paid to its project once made)
  and records in its reason how much less is transferred; a payment offset whole is settled (paid) by the
  offset. Each offset is an :class:`Offset` row and an audit event on the payment. The debit note asks for
  the rest (``amount``; 0 when everything was offset: the note is then paid at once).
- **The note.** Its due date is the notification day plus the call's ``debit_note_payment_days``
  (:mod:`eplus.projects.figures`); its payment reference is ``RC-<project number>-<sequence>``; its language is
  the final report's (else the application's). The PDF is rendered once, off the request path
  (:func:`eplus.projects.tasks.render_debit_note`), stored with its SHA-256 and served by a permission-checked
  view.
- **States.** issued → partly paid → paid (the repayments reach the amount; a repayment above what is still
  outstanding is refused), issued/partly paid → written off (with a reason), any → cancelled or reduced by
  :func:`revise_recovery`. The recovery payment mirrors the note (due / paid / cancelled).
- Every transition runs under the project's and the note's row locks, is idempotent (the same call again
  changes nothing) and is audited (the models are audited; the verbs name the transition).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.core.money import eur, format_eur
from eplus.core.tasks import enqueue_after_commit

from . import figures
from .base import ProjectError, today
from .models import (
    OPEN_DEBIT_NOTE_STATUSES, DebitNote, DebitNoteStatus, Offset, Payment, PaymentKind, PaymentStatus, Project,
    Repayment, ReportKind, ReportLanguage,
)
from .notify import edit_recipients, notify
from .payments import letters_after_commit, payment_due_date

ZERO = Decimal("0.00")
LANGUAGES = {code for code, _label in ReportLanguage.choices}


def _require(user, project):
    if not user.has_perm("projects.manage_recovery", project):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError(_("Give a reason; it is sent to the beneficiary."))
    return reason


def reference(project, sequence):
    """The payment reference of a project's ``sequence``-th debit note (deterministic, unique)."""
    return f"RC-{project.number}-{sequence:02d}"


def note_language(project):
    """The final report's language, else the application's, else the site's."""
    final = project.reports.filter(kind=ReportKind.FINAL).exclude(language="").first()
    for language in (final.language if final else "", getattr(project.application, "language", "")):
        if language in LANGUAGES:
            return language
    return settings.LANGUAGE_CODE


def _returned(note):
    """What the beneficiary has already given back on ``note``: offsets and repayments."""
    return note.offset_amount + note.repaid


def _settle(note):
    """The note's status from what was repaid (an open note only), and the recovery payment mirrored."""
    if note.status in OPEN_DEBIT_NOTE_STATUSES or note.status == DebitNoteStatus.PAID:
        if note.repaid >= note.amount:
            note.status = DebitNoteStatus.PAID
        else:
            note.status = DebitNoteStatus.PARTLY_PAID if note.repaid > 0 else DebitNoteStatus.ISSUED


def _mirror(note, verb, reason=""):
    """Keep the recovery payment in step with the note (the payments list, the exports, the envelopes).
    A written-off note's payment is what was received on it (repayments and offsets): paid when more than 0
    (so it counts as recovered), else cancelled; the note keeps its full figures."""
    payment = Payment.objects.select_for_update().get(pk=note.payment_id)
    payment.amount = note.amount + note.offset_amount
    if note.status == DebitNoteStatus.WRITTEN_OFF:
        payment.amount = _returned(note)
        if payment.amount > 0:
            last = note.repayments.order_by("-received_on").values_list("received_on", flat=True).first()
            payment.status, payment.paid_on = PaymentStatus.PAID, last or note.notified_on
        else:
            payment.status, payment.paid_on = PaymentStatus.CANCELLED, None
    elif note.status == DebitNoteStatus.PAID:
        last = note.repayments.order_by("-received_on").values_list("received_on", flat=True).first()
        payment.status, payment.paid_on = PaymentStatus.PAID, last or note.notified_on
    elif note.status in OPEN_DEBIT_NOTE_STATUSES:
        payment.status, payment.paid_on = PaymentStatus.DUE, None
        payment.due = note.due_on
    else:
        payment.status, payment.paid_on = PaymentStatus.CANCELLED, None
    payment.status_reason = reason or payment.status_reason
    payment.save(audit_verb=verb, audit_reason=reason)


# --- issuing --------------------------------------------------------------------------------------

def _offset(note, project, remaining, on):
    """Keep back payments still due to the beneficiary against ``remaining``; what is left to ask for.

    Only payments whose amount is final: not a further pre-financing (cancelled at the final approval, or
    blocked) nor an at-most payment. The other projects are locked first (pk order, skipping one another
    transaction holds, e.g. being approved at this moment: no deadlock, no double payment), and only their
    payments are offset."""
    others = list(Project.objects.select_for_update(skip_locked=True)
                  .filter(coordinator_id=project.coordinator_id, agency_id=project.agency_id)
                  .exclude(pk=project.pk).order_by("pk").values_list("pk", flat=True))
    candidates = (Payment.objects.select_for_update(of=("self",)).select_related("project")
                  .filter(project_id__in=[project.pk, *others], status=PaymentStatus.DUE, at_most=False)
                  .exclude(kind__in=(PaymentKind.RECOVERY, PaymentKind.FURTHER))
                  .order_by("due", "project_id", "sequence"))
    for payment in candidates:
        if remaining <= 0:
            break
        kept = Offset.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"] or ZERO
        available = payment.amount - kept
        if available <= 0:
            continue
        take = min(remaining, available)
        Offset.objects.create(debit_note=note, payment=payment, amount=take)
        values = {"amount": format_eur(take), "reference": note.payment_reference,
                  "transfer": format_eur(available - take)}
        if take == available:
            payment.status, payment.paid_on = PaymentStatus.PAID, on
            payment.status_reason = _("Settled by offsetting %(amount)s against the debit note %(reference)s.") % values
            payment.save(audit_verb="offset-settled", audit_reason=payment.status_reason)
        else:
            payment.status_reason = _("%(amount)s offset against the debit note %(reference)s: %(transfer)s to "
                                      "transfer.") % values
            payment.save(audit_verb="offset", audit_reason=payment.status_reason)
        remaining -= take
    return remaining


def reverse_offsets(payment, reason):
    """``payment`` (locked by the caller) is cancelled, blocked or reduced: the amounts kept back from it go
    back on their debit notes (``offset_amount`` down, ``amount`` up, status and recovery payment in step),
    each audited. Notes already cancelled or written off are left alone. Returns the offsets reversed."""
    reversed_ = []
    for offset in Offset.objects.select_for_update().filter(payment=payment).order_by("pk"):
        note = DebitNote.objects.select_for_update().get(pk=offset.debit_note_id)
        if not (note.is_open or note.status == DebitNoteStatus.PAID):
            continue
        note.offset_amount -= offset.amount
        note.amount += offset.amount
        _settle(note)
        audit_reason = _("%(amount)s no longer offset against payment %(payment)s: %(reason)s") % {
            "amount": format_eur(offset.amount), "payment": payment.pk, "reason": reason}
        note.save(audit_verb="offset-reversed", audit_reason=audit_reason)
        offset.delete()
        _mirror(note, "offset-reversed", audit_reason)
        _clear_pdf(note)
        reversed_.append(offset)
    return reversed_


def _clear_pdf(note):
    """The note's figures changed: its PDF is rendered again after commit."""
    DebitNote.objects.filter(pk=note.pk).update(pdf="", sha256="")
    note.pdf, note.sha256 = "", ""
    _render_after_commit(note)


def _basis(project, assessment, total):
    if assessment is None:
        return _("%(recovery)s to be returned.") % {"recovery": format_eur(total)}
    return _("Final grant %(grant)s, %(paid)s already paid: %(recovery)s to be returned.") % {
        "grant": format_eur(assessment.final_grant), "paid": format_eur(assessment.paid),
        "recovery": format_eur(total)}


def issue_debit_note(project, user, *, assessment=None, reason="", send=True):
    """The debit note of the project's due recovery (offsetting first); the note already issued for it when
    there is one. None when the project has no recovery due. ``send``: e-mail it to the beneficiary (the
    final decision's e-mail carries it instead)."""
    _require(user, project)
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().select_related("call", "agency", "application").get(
            pk=project.pk)
        payment = (Payment.objects.select_for_update().filter(project=project, kind=PaymentKind.RECOVERY,
                                                              status=PaymentStatus.DUE).order_by("-sequence").first())
        if payment is None:
            return None
        existing = DebitNote.objects.filter(payment=payment).first()
        if existing is not None:
            return existing
        on = today()
        sequence = DebitNote.objects.filter(project=project).count() + 1
        total = eur(payment.amount)
        note = DebitNote(
            project=project, assessment=assessment, payment=payment, sequence=sequence, amount=total,
            reason=(reason or "").strip() or _basis(project, assessment, total), notified_on=on,
            due_on=on + timedelta(days=figures.debit_note_payment_days(project.call)),
            payment_reference=reference(project, sequence), language=note_language(project), issued_by=user)
        note.save(audit_verb="issue-debit-note")
        rest = _offset(note, project, total, on)
        note.offset_amount, note.amount = total - rest, rest
        _settle(note)
        note.save(audit_verb="offset" if rest != total else "", update_fields=[
            "offset_amount", "amount", "status", "updated_at"])
        _mirror(note, "debit-note-issued", note.reason)
        _render_after_commit(note)
        if send:
            notify(edit_recipients(project), "debit_note_issued", {"project": project, "note": note})
    return note


def _render_after_commit(note):
    from .tasks import render_debit_note

    enqueue_after_commit(render_debit_note, note.pk)


# --- repayments and write-off ------------------------------------------------------------------

def _locked_note(note, user):
    _require(user, note.project)
    Project.objects.select_for_update().filter(pk=note.project_id).first()
    return DebitNote.objects.select_for_update().select_related("project").get(pk=note.pk)


def record_repayment(note, user, amount, received_on, request_ref):
    """Record money received on an open debit note: partly paid, or paid once the repayments reach its
    amount. More than is outstanding is refused. The same ``request_ref`` again records nothing more."""
    amount = eur(amount)
    if amount <= 0:
        raise ProjectError(_("Give the amount received, more than 0."))
    if received_on > today():
        raise ProjectError(_("The day the money was received cannot be in the future."))
    request_ref = (request_ref or "").strip()[:64]
    if not request_ref:
        raise ProjectError(_("The form has expired; open the page again and repeat the entry."))
    with acting_as(user), transaction.atomic():
        note = _locked_note(note, user)
        if note.repayments.filter(request_ref=request_ref).exists():
            return note
        if not note.is_open:
            raise ProjectError(_("This debit note is no longer open: nothing more can be received on it."))
        if amount > note.outstanding:
            raise ProjectError(_("%(amount)s is more than the %(outstanding)s still outstanding on this debit note; "
                                 "record at most the amount outstanding.") % {
                "amount": format_eur(amount), "outstanding": format_eur(note.outstanding)})
        Repayment(debit_note=note, amount=amount, received_on=received_on, recorded_by=user,
                  request_ref=request_ref).save(audit_verb="record-repayment")
        note.repaid += amount
        _settle(note)
        verb = "debit-note-paid" if note.status == DebitNoteStatus.PAID else "debit-note-partly-paid"
        note.save(audit_verb=verb)
        _mirror(note, verb)
    return note


def write_off(note, user, reason):
    """Give up what is still outstanding on an open debit note, with the reason."""
    reason = _reason(reason)
    with acting_as(user), transaction.atomic():
        note = _locked_note(note, user)
        if note.status == DebitNoteStatus.WRITTEN_OFF:
            return note
        if not note.is_open:
            raise ProjectError(_("Only an open debit note can be written off."))
        note.status = DebitNoteStatus.WRITTEN_OFF
        note.status_reason = reason
        note.save(audit_verb="write-off", audit_reason=reason)
        _mirror(note, "write-off", _("Written off: %(reason)s") % {"reason": reason})
    return note


# --- a newer final decision ----------------------------------------------------------------------

def revise_recovery(project, new_balance, user, reason):
    """Follow a newer final decision (a claim, a check): ``new_balance`` is the new final grant less what
    has been paid to the project (negative: a recovery). Against the project's latest debit note:

    - what the beneficiary would be owed, ``new_balance`` plus what they already gave back (offsets and
      repayments), is positive: the note is cancelled and that amount becomes the balance due;
    - otherwise the note is reduced (or raised) to the new recovery less its offsets, and its status follows
      the repayments (paid when they cover it).

    Without a debit note, a negative ``new_balance`` raises a new recovery and its debit note. Returns the
    note (or None). The same call again changes nothing."""
    reason = _reason(reason)
    new_balance = eur(new_balance)
    _require(user, project)
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().select_related("call", "agency").get(pk=project.pk)
        notes = list(DebitNote.objects.select_for_update().filter(project=project).order_by("-sequence"))
        note = notes[0] if notes else None
        # Everything given back on the project's notes (cancelled ones included): ``new_balance`` counts only
        # the payments made to the project, so what was returned must be netted here.
        returned = sum((_returned(each) for each in notes), ZERO)
        owed = new_balance + returned
        if note is not None and note.status == DebitNoteStatus.CANCELLED:
            if note.status_reason == reason:
                return note  # the same revision again
            note = None
        if note is None:
            if not notes and owed >= 0:
                return None  # nothing recovered yet: the caller pays the balance
            return _new_recovery(project, owed, user, reason)
        if new_balance >= 0 or owed > 0:
            _cancel(note, project, owed, reason)
        else:
            amount = -owed + _returned(note) - note.offset_amount
            if amount == note.amount:
                return note
            raised = amount > note.amount
            verb = "reduce-debit-note" if not raised else "raise-debit-note"
            note.amount = amount
            if raised:
                note.notified_on = today()
                note.due_on = note.notified_on + timedelta(days=figures.debit_note_payment_days(project.call))
            _settle(note)
            note.status_reason = reason
            note.save(audit_verb=verb, audit_reason=reason)
            _mirror(note, "debit-note-revised", reason)
            _clear_pdf(note)
        notify(edit_recipients(project), "debit_note_revised", {"project": project, "note": note, "reason": reason})
    return note


def _cancel(note, project, owed, reason):
    note.status = DebitNoteStatus.CANCELLED
    note.status_reason = reason
    note.save(audit_verb="cancel-debit-note", audit_reason=reason)
    _mirror(note, "debit-note-cancelled", reason)
    if owed <= 0:
        return
    _balance_due(project, owed, reason, _("New final decision: %(owed)s to pay, the recovery %(reference)s "
                                          "cancelled (%(returned)s already given back included).") % {
        "owed": format_eur(owed), "reference": note.payment_reference, "returned": format_eur(_returned(note))})


def _balance_due(project, owed, reason, status_reason):
    """``owed`` becomes the project's balance due (the open balance payment, else a new one)."""
    balance = (Payment.objects.select_for_update().filter(project=project, kind=PaymentKind.BALANCE)
               .order_by("-sequence").first())
    if balance is None or balance.status == PaymentStatus.PAID:
        balance = Payment(project=project, kind=PaymentKind.BALANCE, sequence=project.payments.count() + 1)
    elif balance.pk and balance.amount != owed:
        reverse_offsets(balance, reason)
    balance.amount, balance.at_most, balance.status = owed, False, PaymentStatus.DUE
    balance.due = payment_due_date(project)
    balance.status_reason = status_reason
    balance.letter = ""
    balance.save(audit_verb="balance-after-revision", audit_reason=reason)
    letters_after_commit([balance])


def _new_recovery(project, owed, user, reason):
    """No open debit note: ``owed`` (the new balance net of everything already given back) is a balance due
    when positive, else a new recovery and its debit note (the open balance cancelled)."""
    if owed > 0:
        _balance_due(project, owed, reason, _("New final decision: %(owed)s to pay (what was already given back "
                                              "on the debit notes included).") % {"owed": format_eur(owed)})
        return None
    for payment in Payment.objects.select_for_update().filter(project=project, kind=PaymentKind.BALANCE).exclude(
            status__in=(PaymentStatus.PAID, PaymentStatus.CANCELLED)):
        payment.status, payment.status_reason = PaymentStatus.CANCELLED, reason
        payment.save(audit_verb="balance-cancelled", audit_reason=reason)
        reverse_offsets(payment, reason)
    if owed == 0:
        return None
    Payment(project=project, kind=PaymentKind.RECOVERY, sequence=project.payments.count() + 1, amount=-owed,
            due=today(), status=PaymentStatus.DUE, status_reason=reason).save(audit_verb="recovery-raised",
                                                                             audit_reason=reason)
    return issue_debit_note(project, user, reason=reason)


# --- reminders -------------------------------------------------------------------------------------

def due_reminders(note, on):
    """[(kind, day)] of the reminders of an open debit note due by ``on``: ``before`` from the call's
    ``recovery_reminder_days_before`` days before its due date up to that date, ``after`` from
    ``recovery_reminder_days_after`` days after it (until it is paid, written off or cancelled)."""
    if not note.is_open or note.outstanding <= 0:
        return []
    call = note.project.call
    found = []
    before = note.due_on - timedelta(days=figures.recovery_reminder_days_before(call))
    if before <= on <= note.due_on:
        found.append(("before", before))
    after = note.due_on + timedelta(days=figures.recovery_reminder_days_after(call))
    if on >= after:
        found.append(("after", after))
    return found


# --- the PDF ---------------------------------------------------------------------------------------

def store_pdf(note_id):
    """Render the debit note's PDF in its language and store it with its SHA-256, once (called by the task)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import translation

    from eplus.core.files import pending_file

    from .payments import render_pdf

    note = DebitNote.objects.select_related("project", "project__agency", "project__coordinator").get(pk=note_id)
    if note.pdf:
        return note
    offsets = list(note.offsets.select_related("payment", "payment__project"))
    with translation.override(note.language):
        pdf = render_pdf("projects/debit_note_pdf.html", {
            "note": note, "project": note.project, "offsets": offsets, "amount": format_eur(note.amount),
            "total": format_eur(note.amount + note.offset_amount), "offset": format_eur(note.offset_amount),
            "LANGUAGE_CODE": note.language})
    name = note.pdf.field.generate_filename(note, f"{note.payment_reference}.pdf")
    with transaction.atomic():
        locked = DebitNote.objects.select_for_update().get(pk=note_id)
        if locked.pdf:
            return locked
        with pending_file(name, ContentFile(pdf), storage=locked.pdf.storage) as stored:
            locked.sha256 = hashlib.sha256(pdf).hexdigest()
            locked.pdf.name = stored.name
            locked.save(audit_verb="render-debit-note")
    return locked
