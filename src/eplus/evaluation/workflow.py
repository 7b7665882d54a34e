"""The transitions of a case and of a grant agreement: which state each one may start from.

Services call :func:`require` before changing a state; the message says what to do instead.
"""

from django.utils.translation import gettext_lazy as _

from .models import AgreementStatus, CaseState, DecisionStatus

CASE_TRANSITIONS = {
    "confirm-eligible": {CaseState.CHECKS, CaseState.CLOSED},
    "confirm-ineligible": {CaseState.CHECKS, CaseState.ASSESSMENT},
    "assign": {CaseState.ASSESSMENT, CaseState.CONSOLIDATION},
    "score": {CaseState.ASSESSMENT, CaseState.CONSOLIDATION},
    "consolidate": {CaseState.CONSOLIDATION},
    "select": {CaseState.SCORED, CaseState.CLOSED},
}

AGREEMENT_TRANSITIONS = {
    "accept": {AgreementStatus.ISSUED},
    "countersign": {AgreementStatus.ACCEPTED},
}


class EvaluationError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


class TransitionRefused(Exception):
    """A transition not allowed from the current state; ``str(exc)`` is the message for the user."""


def allowed(transition, state, table=CASE_TRANSITIONS):
    return state in table[transition]


def require(transition, state, table=CASE_TRANSITIONS):
    if not allowed(transition, state, table):
        raise TransitionRefused(MESSAGES.get(transition, _("This step is not possible at this stage.")))


def decision_editable(case):
    """The outcome can change only until the decision is released."""
    return case.decision_status != DecisionStatus.RELEASED


MESSAGES = {
    "confirm-eligible": _("The formal check can only be changed before the assessment is scored."),
    "confirm-ineligible": _("An application already scored can no longer be declared ineligible."),
    "assign": _("Experts can be assigned only to eligible applications that are still being assessed."),
    "score": _("This application is not being assessed at the moment."),
    "consolidate": _("This application does not need consolidation."),
    "select": _("Only scored or ineligible applications take part in the selection."),
    "accept": _("This grant agreement has already been accepted."),
    "countersign": _("The coordinator has to accept the grant agreement before the agency countersigns it."),
}


def mirror(target, locked):
    """Copy the fields of ``locked`` (the row read under ``select_for_update``) onto the caller's instance, so
    the caller sees the outcome of the transition; returns ``target``."""
    if target is not locked:
        for field in locked._meta.concrete_fields:
            setattr(target, field.attname, getattr(locked, field.attname))
    return target
