"""The payments of one project or of an agency as CSV (streamed text) or XLSX (openpyxl, write-only).

After the payments come the debit notes (kind ``debit-note``, the reason led by its payment reference),
the offsets kept back against them (kind ``offset``: the payment offset in the reason) and the repayments
received (kind ``repayment``, ``paid_on`` the day received), in the same columns."""

from django.utils.translation import gettext as _

from eplus.core.exports import XlsxSheet, csv_text

PAYMENT_COLUMNS = ("project", "kind", "sequence", "amount", "at_most", "due", "status", "reason", "paid_on")


def recovery_rows(notes):
    """The rows of ``notes`` (debit notes with ``project``), their offsets and repayments: the payment
    columns, amounts as Decimal and days as dates."""
    for note in notes:
        number = note.project.number
        yield [number, "debit-note", note.sequence, note.amount, "no", note.due_on, note.status,
               f"{note.payment_reference}: {note.reason}", None]
        for offset in note.offsets.all():
            yield [number, "offset", note.sequence, offset.amount, "no", None, "offset",
                   f"{note.payment_reference} ← {offset.payment.project.number} {offset.payment.kind} "
                   f"{offset.payment.sequence}", offset.created_at.date()]
        for index, repayment in enumerate(note.repayments.all(), start=1):
            yield [number, "repayment", index, repayment.amount, "no", None, "received", note.payment_reference,
                   repayment.received_on]


def _text(value):
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


def payments_csv(payments, notes=()):
    return csv_text([PAYMENT_COLUMNS, *(
        [p.project.number, p.kind, p.sequence, f"{p.amount:.2f}", "yes" if p.at_most else "no",
         p.due.isoformat() if p.due else "", p.status, p.status_reason, p.paid_on.isoformat() if p.paid_on else ""]
        for p in payments), *(
        [number, kind, seq, f"{amount:.2f}", *(_text(v) for v in rest)]
        for number, kind, seq, amount, *rest in recovery_rows(notes))])


def payments_xlsx(payments, notes=()):
    """The payments as an XLSX workbook (bytes), written row by row (openpyxl write-only mode); the
    same columns as :func:`payments_csv`, amounts as numbers with two decimals, dates as dates."""
    sheet = XlsxSheet(_("Payments"))
    sheet.append(PAYMENT_COLUMNS)
    formats = {3: "#,##0.00", 5: "yyyy-mm-dd", 8: "yyyy-mm-dd"}
    for p in payments:
        sheet.append([p.project.number, p.kind, p.sequence, p.amount, "yes" if p.at_most else "no", p.due, p.status,
                      p.status_reason, p.paid_on], formats)
    for row in recovery_rows(notes):
        sheet.append(row, formats)
    return sheet.to_bytes()
