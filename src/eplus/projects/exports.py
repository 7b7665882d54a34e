"""The payments of one project or of an agency as CSV (streamed text) or XLSX (openpyxl, write-only)."""

import csv
import io

from django.utils.translation import gettext as _

PAYMENT_COLUMNS = ("project", "kind", "sequence", "amount", "at_most", "due", "status", "reason", "paid_on")


def payments_csv(payments):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PAYMENT_COLUMNS)
    for p in payments:
        writer.writerow([p.project.number, p.kind, p.sequence, f"{p.amount:.2f}", "yes" if p.at_most else "no",
                         p.due.isoformat() if p.due else "", p.status, p.status_reason,
                         p.paid_on.isoformat() if p.paid_on else ""])
    return buffer.getvalue()


def payments_xlsx(payments):
    """The payments as an XLSX workbook (bytes), written row by row (openpyxl write-only mode); the
    same columns as :func:`payments_csv`, amounts as numbers with two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Payments"))
    sheet.append(list(PAYMENT_COLUMNS))
    for p in payments:
        amount = WriteOnlyCell(sheet, value=p.amount)
        amount.number_format = "#,##0.00"
        due = WriteOnlyCell(sheet, value=p.due)
        due.number_format = "yyyy-mm-dd"
        paid_on = WriteOnlyCell(sheet, value=p.paid_on)
        paid_on.number_format = "yyyy-mm-dd"
        sheet.append([p.project.number, p.kind, p.sequence, amount, "yes" if p.at_most else "no", due, p.status,
                      p.status_reason, paid_on])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
