"""Real PostgreSQL transactions in threads: two people save the same section from the same base version
at the same moment (exactly one wins, the other gets a Conflict with both versions); ten clicks on Submit
at once give one snapshot, one PDF task and one confirmation e-mail."""

import threading
from unittest import mock

import pytest
from django.db import connection

from eplus.applications import sections as section_saving
from eplus.applications import snapshots
from eplus.applications import submission as submitting
from eplus.applications.models import Application, Section, SectionVersion, Submission, SubmissionParty
from eplus.core.models import OutgoingMail
from eplus.organisations.models import Role
from tests.factories import make_user

from .conftest import make_ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _race(application, payloads):
    barrier = threading.Barrier(len(payloads))
    results, errors = [None] * len(payloads), []

    def run(index, user, data):
        from django.db import connection as thread_connection

        try:
            fresh = Application.objects.select_related("call", "action", "agency", "applicant").get(pk=application.pk)
            barrier.wait()
            results[index] = section_saving.save_section(fresh, "impact", data, 0, user)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, user, data)) for i, (user, data) in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return results


def test_two_concurrent_saves_one_wins_the_other_gets_both_versions(application, coordinator, applicant_org):
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    mine, theirs = {"impact": "written by the coordinator"}, {"impact": "written by the colleague"}
    for _round in range(3):
        Section.objects.filter(application=application, key="impact").update(data={}, version=0)
        SectionVersion.objects.filter(section__application=application).delete()
        results = _race(application, [(coordinator, mine), (colleague, theirs)])
        winners = [r for r in results if not r.conflict]
        losers = [r for r in results if r.conflict]
        assert len(winners) == 1 and len(losers) == 1
        section = Section.objects.get(application=application, key="impact")
        assert section.version == 1 and section.data == winners[0].section.data
        loser = losers[0]
        assert loser.theirs == section.data and loser.theirs_version == 1
        assert {loser.yours["impact"], loser.theirs["impact"]} == {mine["impact"], theirs["impact"]}
        assert SectionVersion.objects.filter(section=section).count() == 1


def test_ten_parallel_submissions_give_one_snapshot_one_pdf_task_and_one_mail(
        clock, application, coordinator, partners, mailoutbox):
    make_ready(application, coordinator, partners)
    clicks = 10
    barrier = threading.Barrier(clicks)
    results, errors = [None] * clicks, []

    def run(index):
        from django.db import connection as thread_connection

        try:
            fresh = Application.objects.select_related("call", "action", "agency", "applicant").get(pk=application.pk)
            barrier.wait()
            results[index] = submitting.submit(fresh, coordinator)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    rendered = []
    real_store = snapshots.store_pdf

    def counting_store(submission, pdf):
        rendered.append(submission.pk)
        return real_store(submission, pdf)

    with mock.patch("eplus.applications.tasks.store_pdf", side_effect=counting_store):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(clicks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    submission = Submission.objects.get(application=application)
    assert {result.pk for result in results} == {submission.pk}
    assert submission.is_current and submission.number
    assert rendered == [submission.pk]  # one PDF, rendered by the one task the one submission queued
    assert OutgoingMail.objects.filter(kind="applications/email/submitted").count() == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [coordinator.email]
    assert SubmissionParty.objects.filter(application=application).count() == 1 + len(partners)


def test_five_parallel_acceptances_of_an_invitation_give_one_access_and_one_acceptance(
        application, coordinator, partners, partner_user):
    from eplus.applications import partners as partnering
    from eplus.applications.models import ApplicationAccess
    from eplus.applications.sharing import accept_invitation, invite
    from eplus.core.models import AuditEvent
    from tests.concurrency import run_at_once

    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    invitation = invite(application, partner_user.email, "edit", coordinator)
    accesses = run_at_once([lambda: accept_invitation(type(invitation).objects.get(pk=invitation.pk), partner_user)
                            for _ in range(5)])
    assert {access.pk for access in accesses} == {ApplicationAccess.objects.get(user=partner_user).pk}
    assert AuditEvent.objects.filter(verb="accept-invitation").count() == 1


def test_ten_parallel_decisions_on_an_incident_report_decide_it_once(clock, application, coordinator):
    from datetime import timedelta

    from eplus.applications import incidents
    from eplus.applications.models import IncidentReport
    from eplus.core.models import AuditEvent
    from tests.concurrency import run_at_once
    from tests.factories import make_officer

    clock(application.call.deadline + timedelta(minutes=20))
    report = incidents.report_incident(coordinator, application, "The portal answered with an error.")
    officer = make_officer(application.agency)
    results = run_at_once([lambda: incidents.decide_incident(IncidentReport.objects.get(pk=report.pk), officer,
                                                             accept=True) for _ in range(10)])
    assert len({r.late_until for r in results}) == 1
    assert AuditEvent.objects.filter(verb="accept-incident", object_id=str(report.pk)).count() == 1
    assert OutgoingMail.objects.filter(kind="applications/email/incident_accepted").count() == 1
