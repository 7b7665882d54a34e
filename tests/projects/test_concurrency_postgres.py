"""Two officers act on the same payment or final report at the same moment (real PostgreSQL transactions
in two threads): the payment is marked paid exactly once, the final report approved exactly once (one
balance, one recovery, one decision e-mail), and neither officer gets an error."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from eplus.core.audit import history
from eplus.projects import payments, workflow
from eplus.projects.models import FinalAssessment, Payment, PaymentKind, PaymentStatus, Report, ReportKind
from tests.concurrency import run_at_once

from .conftest import make_officer
from .test_services import fill, mark_results_submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def test_two_officers_mark_the_same_payment_paid_exactly_once(ka210, people):
    colleague = make_officer("LV01")
    payment = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    results = run_at_once([lambda: payments.mark_paid(Payment.objects.get(pk=payment.pk), people["officer"]),
                     lambda: payments.mark_paid(Payment.objects.get(pk=payment.pk), colleague)])
    assert [r.status for r in results] == [PaymentStatus.PAID, PaymentStatus.PAID]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.paid_on is not None
    assert history(payment).filter(verb="mark-paid").count() == 1


def test_two_officers_approve_the_same_final_report_exactly_once(ka210, people):
    colleague = make_officer("LV01")
    payments.mark_paid(ka210.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    workflow.save_assessment(final, people["officer"], overall_score=Decimal("42"))
    mark_results_submitted(ka210)
    mail.outbox.clear()
    results = run_at_once([lambda: workflow.approve_assessment(Report.objects.get(pk=final.pk), people["officer"]),
                     lambda: workflow.approve_assessment(Report.objects.get(pk=final.pk), colleague)])
    assert [r.status for r in results] == ["approved", "approved"]
    assessment = FinalAssessment.objects.get(report=final)
    assert history(assessment).filter(verb="approve-final-report").count() == 1
    assert ka210.payments.filter(kind=PaymentKind.RECOVERY).count() == 1
    assert ka210.payments.get(kind=PaymentKind.RECOVERY).amount == Decimal("3000.00")
    assert history(ka210).filter(verb="finalise").count() == 1
    decisions = [m for m in mail.outbox if people["coordinator"].email in m.to]
    assert len(decisions) == 1
