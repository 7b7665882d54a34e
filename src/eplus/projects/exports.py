"""The payments of one project or of an agency as CSV (streamed text) or XLSX (openpyxl, write-only)."""

from django.utils.translation import gettext as _

from eplus.core.exports import XlsxSheet, csv_text

PAYMENT_COLUMNS = ("project", "kind", "sequence", "amount", "at_most", "due", "status", "reason", "paid_on")


def payments_csv(payments):
    return csv_text([PAYMENT_COLUMNS, *(
        [p.project.number, p.kind, p.sequence, f"{p.amount:.2f}", "yes" if p.at_most else "no",
         p.due.isoformat() if p.due else "", p.status, p.status_reason, p.paid_on.isoformat() if p.paid_on else ""]
        for p in payments)])


def payments_xlsx(payments):
    """The payments as an XLSX workbook (bytes), written row by row (openpyxl write-only mode); the
    same columns as :func:`payments_csv`, amounts as numbers with two decimals, dates as dates."""
    sheet = XlsxSheet(_("Payments"))
    sheet.append(PAYMENT_COLUMNS)
    formats = {3: "#,##0.00", 5: "yyyy-mm-dd", 8: "yyyy-mm-dd"}
    for p in payments:
        sheet.append([p.project.number, p.kind, p.sequence, p.amount, "yes" if p.at_most else "no", p.due, p.status,
                      p.status_reason, p.paid_on], formats)
    return sheet.to_bytes()
