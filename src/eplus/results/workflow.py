"""Results review, one function per transition (validate, save with an audit verb, notify):

open → available (end date reached or final report in) → under-review (locked for the coordinator)
→ approved (public once the project is finalised) or returned (with comments) → under-review again.

Flags on finalised projects only: good practice (staff of the card's agency), success story
(users with the Commission role).
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.core.time import to_brussels

from .notify import agency_recipients, coordinator_recipients, send_card_mail
from .page_cache import bump_public_cache, public_changed
from .publishing import stamp_published_results
from .models import ProjectCard, ResultsStatus, ReviewEvent
from .rules import is_card_agency_staff, is_card_manager, is_commission

S = ResultsStatus


class TransitionError(Exception):
    """The transition is not possible now; ``str(exc)`` is the user's message."""


def _today(now):
    return to_brussels(now or timezone.now()).date()


def submission_open(card, now=None):
    """Results may be submitted once the project has ended (its end date reached) or its final report is in."""
    ended = card.end_date is not None and _today(now) >= card.end_date
    return ended or card.final_report_submitted


def submission_problems(card, now=None):
    """What stops a submission, as messages for the coordinator (empty when it may be submitted)."""
    problems = []
    if card.results_status == S.UNDER_REVIEW:
        problems.append(_("The results are already under review by the National Agency."))
    elif card.results_status == S.APPROVED:
        problems.append(_("The results have already been approved."))
    if card.results_status not in (S.UNDER_REVIEW, S.APPROVED) and not submission_open(card, now):
        problems.append(_("Results can be submitted for review only after the project's end date "
                          "(%(date)s) or once the final report is submitted.")
                        % {"date": card.end_date.isoformat() if card.end_date else "—"})
    results = list(card.results.prefetch_related("files"))
    if not results:
        problems.append(_("Add at least one result before submitting."))
    for result in results:
        if not result.link and not result.files.all():
            problems.append(_("The result \"%(title)s\" needs a file or a link.") % {"title": result.title})
    return problems


def submission_snapshot(card):
    """The submitted results as plain JSON and its SHA-256 (sorted keys, no spaces, UTF-8)."""
    data = {
        "identifier": card.identifier,
        "website": card.website,
        "logo_sha256": "",
        "results": [
            {"id": r.pk, "title": r.title, "type": r.result_type, "description_en": r.description_en,
             "link": r.link, "public": r.public,
             "files": [{"name": f.original_name, "size": f.size, "sha256": f.sha256} for f in r.files.all()]}
            for r in card.results.prefetch_related("files").order_by("pk")
        ],
        "contacts": [{"name": c.name, "published": c.published} for c in card.contacts.order_by("pk")],
    }
    if card.logo:
        digest = hashlib.sha256()
        with card.logo.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        data["logo_sha256"] = digest.hexdigest()
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return data, hashlib.sha256(canonical).hexdigest()


def _locked(card):
    return ProjectCard.objects.select_for_update(of=("self",)).select_related("agency", "coordinator").get(pk=card.pk)


def submit_for_review(card, user, now=None):
    with acting_as(user), transaction.atomic():
        card = _locked(card)
        if not is_card_manager(user, card):
            raise PermissionDenied("not a manager of the coordinating organisation")
        problems = submission_problems(card, now)
        if problems:
            raise TransitionError(" ".join(problems))
        card.results_status = S.UNDER_REVIEW
        card.submitted_at = now or timezone.now()
        card.save(audit_verb="submit-results")
        snapshot, digest = submission_snapshot(card)
        ReviewEvent.objects.create(card=card, kind=ReviewEvent.Kind.SUBMITTED, actor=user, snapshot=snapshot,
                                   snapshot_sha256=digest)
    send_card_mail(card, "submitted", agency_recipients(card))
    bump_public_cache()
    return card


def _check_reviewer(card, officer):
    if not is_card_agency_staff(officer, card):
        raise PermissionDenied("not staff of the card's agency")
    if card.results_status != S.UNDER_REVIEW:
        raise TransitionError(_("Only results under review can be approved or returned; these are: %(status)s.")
                              % {"status": card.get_results_status_display()})


def return_with_comments(card, officer, comment, now=None):
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Write what the beneficiary should change: they will read your comment.")]})
    with acting_as(officer), transaction.atomic():
        card = _locked(card)
        _check_reviewer(card, officer)
        card.results_status = S.RETURNED
        card.save(audit_verb="return-results", audit_reason=comment)
        ReviewEvent.objects.create(card=card, kind=ReviewEvent.Kind.RETURNED, comment=comment, actor=officer)
    send_card_mail(card, "returned", coordinator_recipients(card), {"comment": comment})
    bump_public_cache()
    return card


def approve(card, officer, comment="", now=None):
    with acting_as(officer), transaction.atomic():
        card = _locked(card)
        _check_reviewer(card, officer)
        card.results_status = S.APPROVED
        card.approved_at = now or timezone.now()
        card.save(audit_verb="approve-results", audit_reason=comment)
        ReviewEvent.objects.create(card=card, kind=ReviewEvent.Kind.APPROVED, comment=(comment or "").strip(),
                                   actor=officer)
        if card.results_may_be_public:
            stamp_published_results(card, now)
    send_card_mail(card, "approved", coordinator_recipients(card))
    public_changed(card)
    return card


def withdraw_result(result, officer, reason, now=None):
    """The agency takes a published result off the public pages (a complaint, a copyright or privacy problem):
    it is hidden, and its public address keeps a notice with the date instead of a bare 404
    (``links.note_removal``). Audited with the reason; a second call changes nothing."""
    from .links import note_removal

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason; it is kept in the audit trail and the beneficiary "
                                            "reads it.")]})
    card = result.card
    if not is_card_agency_staff(officer, card):
        raise PermissionDenied("not staff of the card's agency")
    with acting_as(officer), transaction.atomic():
        locked = type(result).objects.select_for_update().get(pk=result.pk)
        if not locked.public:
            return locked
        locked.public = False
        locked.save(audit_verb="withdraw-result", audit_reason=reason)
        note_removal(locked, now)
    send_card_mail(card, "result_withdrawn", coordinator_recipients(card), {"result": locked, "reason": reason})
    public_changed(card)
    return locked


def _flag(card, user, field, value, allowed, verb):
    with acting_as(user), transaction.atomic():
        card = _locked(card)
        if not allowed(user, card):
            raise PermissionDenied(f"may not {verb}")
        if not card.is_finalised:
            raise TransitionError(_("Only finalised projects can be flagged."))
        if getattr(card, field) == bool(value):
            return card  # already so: a second click changes nothing
        setattr(card, field, bool(value))
        card.save(audit_verb=verb if value else f"un{verb}")
    public_changed(card)
    return card


def flag_good_practice(card, user, value=True):
    return _flag(card, user, "good_practice", value, is_card_agency_staff, "flag-good-practice")


def flag_success_story(card, user, value=True):
    return _flag(card, user, "success_story", value, lambda u, c: is_commission(u), "flag-success-story")


def results_entered(card):
    """For the projects app: the results are in the platform (submitted or approved), a precondition
    for approving the final report (DOMAIN §7)."""
    return card.results_status in (S.UNDER_REVIEW, S.APPROVED)


def open_for_submission(card, now=None):
    """End date reached: open → available (used by the sweep). Returns True when it changed."""
    if card.results_status != S.OPEN:
        return False
    card.results_status = S.AVAILABLE
    card.save(audit_verb="results-available")
    return True
