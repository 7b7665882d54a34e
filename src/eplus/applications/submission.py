"""Submitting and withdrawing: the deadline checked on the server inside the committing transaction, the
eligibility engine satisfied, the snapshot stored once with its number, then the PDF and the confirmation
e-mail after the commit. A second identical submission (a double click, ten parallel requests) finds
the same snapshot already current and changes nothing, sends nothing."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, record
from eplus.core.mail import language_of, queue_templated_mail
from eplus.core.tasks import enqueue_after_commit
from eplus.programme import rules as engine
from eplus.programme.models import Call

from . import tasks, workflow
from .eligibility import call_rules, country_infos, eligibility_input, other_applications
from .errors import ApplicationError, NotEligible
from .local_time import format_local
from .models import Application, NumberSeries, Status, Submission, SubmissionParty, Withdrawal
from .queries import current_submission, participants, sections
from .rules import late_window, require, require_open
from .snapshots import build_snapshot, record_parties, sha256_of
from .statuses import blocking_problems

# What changes between two submissions of the same content (not the content itself).
VOLATILE = ("number", "submitted_at", "submitted_by")


def _next_number(application):
    call, series_name = application.call, str(application.call.year)
    series = NumberSeries.objects.select_for_update().filter(name=series_name).first()
    if series is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(name=series_name, last=0)
        except IntegrityError:
            pass
        series = NumberSeries.objects.select_for_update().get(name=series_name)
    series.last += 1
    series.save(update_fields=["last"])
    return (f"{call.year}-{call.round}-{application.agency.code}-{application.action.code}-"
            f"{application.sector or 'GEN'}-{series.last:09d}")


def _read(application):
    """The application's participants, sections and annexes, read once."""
    return participants(application), sections(application), list(application.annexes.select_related("organisation"))


def _verdict(application, at, parts, section_map):
    data = {key: (section.data, section.version) for key, section in section_map.items()}
    return engine.evaluate(eligibility_input(application, at, section_data=data, parts=parts), call_rules(application),
                           country_infos(application),
                           other_applications(application, [p.organisation.oid for p in parts]))


def _refuse_unless_ready(application, verdict, parts, section_map, annexes):
    problems = blocking_problems(application, verdict, parts, section_map, annexes)
    if problems or not verdict.eligible:
        raise NotEligible(_("The application cannot be submitted yet; correct the problems listed."), problems)


def _unchanged(application, snapshot):
    """The current submission when it already holds exactly ``snapshot``'s content, else None."""
    if application.status != Status.SUBMITTED:
        return None
    current = current_submission(application)
    if current is None:
        return None
    content = {key: value for key, value in current.snapshot.items() if key not in VOLATILE}
    return current if content == {key: value for key, value in snapshot.items() if key not in VOLATILE} else None


def submit(application, user):
    """Submit (or resubmit) before the deadline: checked on the server inside the committing transaction.

    The application row is locked first (one submission of it at a time) and everything about the
    application alone — its sections, forms, annexes, the snapshot — is read and checked under that lock;
    when the current submission already holds the same content, it is returned and nothing else happens.
    Only then the per-call lock is taken (two submissions cannot both slip under a cap), and under it just
    the rules across applications are re-checked against the submissions committed meanwhile, the
    deadline read and the rows inserted, so the serialised part stays short.
    """
    require(user, "applications.submit_application", application)
    with acting_as(user), transaction.atomic():
        application = Application.objects.select_for_update(of=("self",)).select_related(
            "call", "action", "agency", "applicant").get(pk=application.pk)
        require_open(application)
        parts, section_map, annexes = _read(application)
        snapshot = build_snapshot(application, clock.now(), user, parts, section_map, annexes)
        same = _unchanged(application, snapshot)
        if same is not None:
            return same
        verdict = _verdict(application, clock.now(), parts, section_map)
        _refuse_unless_ready(application, verdict, parts, section_map, annexes)

        # One lock per call (= action and deadline): from here to the commit, submissions of the call queue.
        list(Call.objects.select_for_update().filter(pk=application.call_id).values_list("pk", flat=True))
        now = clock.now()
        require_open(application, now)
        final = _verdict(application, now, parts, section_map)
        if final.checks != verdict.checks:
            _refuse_unless_ready(application, final, parts, section_map, annexes)
        # After the deadline only in the window of an accepted incident report: the submission names it.
        late = None if clock.is_before_deadline(now, application.call.deadline) else late_window(application, now)
        submission = _store(application, user, snapshot, parts, now, late)
        # The receipt's PDF task and the confirmation e-mail are written with the submission: both happen
        # exactly when it commits, also if this process dies right after the commit.
        enqueue_after_commit(tasks.render_submission_pdf, submission.pk)
        send_confirmation(submission)
    return submission


def _store(application, user, snapshot, parts, now, incident=None):
    """Number the application (on first submission), store the current Submission, its parties, the
    audit event and the application's status."""
    if not application.number:
        application.number = _next_number(application)
    snapshot["number"], snapshot["submitted_at"] = application.number, now.isoformat()
    Submission.objects.filter(application=application, is_current=True).update(is_current=False)
    submission = Submission.objects.create(
        application=application, number=application.number, submitted_at=now, submitted_by=user,
        snapshot=snapshot, sha256=sha256_of(snapshot), is_current=True, incident=incident)
    record_parties(submission, application, parts)
    changes = {"sha256": [None, submission.sha256]}
    if incident is not None:
        changes["incident"] = [None, incident.pk]
    record(submission, "create", verb="submit-under-incident" if incident else "submit", changes=changes,
           agency_code=application.agency.code)
    application.status = Status.SUBMITTED
    application.submitted_at = now
    application.save(audit_verb="submit")
    return submission


def send_confirmation(submission):
    application, user = submission.application, submission.submitted_by
    if user is None or not user.email:
        return
    context = {
        "submission": submission, "application": application, "user": user,
        "brussels": f"{clock.to_brussels(submission.submitted_at):%d %b %Y, %H:%M:%S %Z}",
        "local": format_local(submission.submitted_at, application.applicant.country_id),
        "link": settings.SITE_URL.rstrip("/") + application.get_absolute_url(),
    }
    queue_templated_mail("applications/email/submitted", context, user.email, language_of(user), related=submission,
                         agency_code=application.agency.code)


def withdraw(application, user, reason=""):
    """Withdraw a submitted application before the deadline; it no longer counts for assessment."""
    require(user, "applications.withdraw_application", application)
    with acting_as(user), transaction.atomic():
        application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        require_open(application)
        if application.status == Status.WITHDRAWN:
            return application  # withdrawn already (a second click): nothing changes
        if not workflow.allowed("withdraw", application.status):
            raise ApplicationError(_("Only a submitted application can be withdrawn."))
        current = current_submission(application)
        Submission.objects.filter(application=application, is_current=True).update(is_current=False)
        SubmissionParty.objects.filter(application=application).delete()
        Withdrawal(application=application, submission=current, withdrawn_at=clock.now(), withdrawn_by=user,
                   reason=reason).save(audit_verb="withdraw")
        application.status = Status.WITHDRAWN
        application.save(audit_verb="withdraw", audit_reason=reason)
    return application

