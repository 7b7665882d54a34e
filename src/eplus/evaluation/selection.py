"""Ranking and selection within a budget envelope (DOMAIN §6), as plain Python: no models.

The agency ranks the applications of one action and sector (the caller groups them), then selects
in rank order within its budget envelope (e.g. Latvia 2026 VET KA220: 839 394 EUR); the other
fundable applications go to the reserve list, the rest are rejected. Any later manual change needs a
reason (who made it is recorded by the caller's audit trail).

Decisions:

* :func:`rank` puts every fundable candidate before every non-fundable one, then orders by total
  score (highest first), then by the configured tie-breaks, then by ``id`` (ascending) so the order is
  deterministic and independent of the input order. Tie-break keys: a criterion code (higher score
  first; a candidate without that score comes last), ``"submitted_at"`` (earlier first; unknown
  last), ``"requested"`` (smaller request first), or a key of ``Candidate.extra`` (higher first).
  A ``"+"`` prefix forces ascending order, ``"-"`` descending (e.g. ``"+age"``).
* :func:`select` keeps the order it is given. Non-fundable -> rejected, whatever money remains.
  Fundable candidates are selected while their request fits in what remains of the envelope. At the
  first one that does not fit: without ``skip_to_fit`` selection stops and every further fundable
  candidate goes to the reserve list; with ``skip_to_fit`` that one goes to the reserve list and the
  next ones that still fit are selected. ``reserve_size`` caps the reserve list (None = no cap); the
  fundable candidates beyond it are rejected.
* :func:`apply_manual_change` refuses a change without a reason, refuses to select a non-fundable
  application, and refuses to select one whose request does not fit in what remains of the envelope
  (the envelope has to be raised first). It returns a new :class:`Selection` and a
  :class:`ManualChange` record.

Public API
----------
``Candidate(id, score, criteria, fundable, requested, submitted_at=None, extra={})``
``rank(candidates, tie_breaks=("relevance", "impact", "submitted_at")) -> [Candidate]``
``select(ranked, envelope, skip_to_fit=False, reserve_size=None) -> Selection``
``apply_manual_change(selection, candidate_id, new_outcome, reason) -> (Selection, ManualChange)``
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import total_ordering

from django.utils.translation import gettext as _

from eplus.core.money import eur, format_eur

SELECTED = "selected"
RESERVE = "reserve"
REJECTED = "rejected"
OUTCOMES = (SELECTED, RESERVE, REJECTED)

DEFAULT_TIE_BREAKS = ("relevance", "impact", "submitted_at")


class SelectionError(ValueError):
    """A manual change that the rules do not allow; the message says what to do."""


@dataclass(frozen=True)
class Candidate:
    id: object  # the application's id (ints or strings, all of one kind)
    score: Decimal  # the consolidated total
    criteria: dict = field(default_factory=dict)  # {criterion code: consolidated score}
    fundable: bool = True
    requested: Decimal = Decimal("0.00")  # the lump sum requested, EUR
    submitted_at: datetime | None = None
    extra: dict = field(default_factory=dict)  # further tie-break fields

    def __post_init__(self):
        if isinstance(self.score, float) or isinstance(self.requested, float):
            raise TypeError("scores and amounts are never floats; pass Decimals or strings")
        object.__setattr__(self, "score", Decimal(str(self.score)))
        object.__setattr__(self, "requested", eur(self.requested))


@total_ordering
class _Descending:
    """Wraps a value so that larger values sort first (works for numbers, dates and strings alike)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return self.value == other.value

    def __lt__(self, other):
        return other.value < self.value


def _tie_break_key(key):
    """A function candidate -> sortable tuple for one tie-break key (smaller sorts first)."""
    direction = None
    if key[:1] in "+-" and len(key) > 1:
        direction, key = key[0], key[1:]

    def value_of(candidate):
        if key == "submitted_at":
            return candidate.submitted_at
        if key == "requested":
            return candidate.requested
        if key in candidate.criteria:
            return Decimal(str(candidate.criteria[key]))
        return candidate.extra.get(key)

    if direction is None:
        direction = "+" if key in ("submitted_at", "requested") else "-"

    def sort_key(candidate):
        value = value_of(candidate)
        if value is None:
            return (1, 0)  # unknown values come last whatever the direction
        return (0, _Descending(value) if direction == "-" else value)

    return sort_key


def rank(candidates, tie_breaks=DEFAULT_TIE_BREAKS):
    """The candidates in rank order (see the module docstring); the input order never matters."""
    keys = [_tie_break_key(k) for k in tie_breaks]
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each candidate must have its own id")

    def sort_key(candidate):
        return (0 if candidate.fundable else 1, -candidate.score, *(k(candidate) for k in keys), candidate.id)

    return sorted(candidates, key=sort_key)


@dataclass(frozen=True)
class Selection:
    selected: tuple
    reserve: tuple
    rejected: tuple
    used: Decimal
    remaining: Decimal
    envelope: Decimal
    order: tuple = ()  # every candidate in rank order, to keep the lists ordered after manual changes
    changes: tuple = ()  # ManualChange records applied so far

    def outcome_of(self, candidate_id):
        for outcome, group in ((SELECTED, self.selected), (RESERVE, self.reserve), (REJECTED, self.rejected)):
            if any(c.id == candidate_id for c in group):
                return outcome
        raise KeyError(candidate_id)

    def outcomes(self):
        """``{candidate id: outcome}``."""
        result = {c.id: SELECTED for c in self.selected}
        result.update({c.id: RESERVE for c in self.reserve})
        result.update({c.id: REJECTED for c in self.rejected})
        return result


@dataclass(frozen=True)
class ManualChange:
    candidate_id: object
    old_outcome: str
    new_outcome: str
    reason: str
    requested: Decimal
    used_before: Decimal
    used_after: Decimal


def _build(order, outcomes, envelope, changes=()):
    selected = tuple(c for c in order if outcomes[c.id] == SELECTED)
    used = sum((c.requested for c in selected), Decimal("0.00"))
    return Selection(
        selected=selected,
        reserve=tuple(c for c in order if outcomes[c.id] == RESERVE),
        rejected=tuple(c for c in order if outcomes[c.id] == REJECTED),
        used=used, remaining=envelope - used, envelope=envelope, order=tuple(order), changes=tuple(changes),
    )


def select(ranked, envelope, skip_to_fit=False, reserve_size=None):
    """Select ``ranked`` (already in rank order) within ``envelope`` EUR; see the module docstring."""
    envelope = eur(envelope)
    if envelope < 0:
        raise ValueError("the budget envelope cannot be negative")
    if reserve_size is not None and reserve_size < 0:
        raise ValueError("the reserve list size cannot be negative")
    outcomes = {}
    remaining = envelope
    stopped = False
    reserved = 0
    for candidate in ranked:
        if not candidate.fundable:
            outcomes[candidate.id] = REJECTED
        elif not stopped and candidate.requested <= remaining:
            outcomes[candidate.id] = SELECTED
            remaining -= candidate.requested
        else:
            if not skip_to_fit:
                stopped = True
            if reserve_size is None or reserved < reserve_size:
                outcomes[candidate.id] = RESERVE
                reserved += 1
            else:
                outcomes[candidate.id] = REJECTED
    return _build(list(ranked), outcomes, envelope)


def apply_manual_change(selection, candidate_id, new_outcome, reason):
    """Move one candidate to ``new_outcome`` with a ``reason``; returns ``(Selection, ManualChange)``.

    Raises :class:`SelectionError` (with a message for the user) when the reason is missing, the
    outcome unknown or unchanged, the candidate unknown, or the change would select a non-fundable
    application or go over the envelope.
    """
    if not reason or not str(reason).strip():
        raise SelectionError(_("Give the reason for changing the selection."))
    if new_outcome not in OUTCOMES:
        raise SelectionError(_("Choose selected, reserve list or rejected."))
    outcomes = selection.outcomes()
    if candidate_id not in outcomes:
        raise SelectionError(_("This application is not part of the selection."))
    old_outcome = outcomes[candidate_id]
    if old_outcome == new_outcome:
        raise SelectionError(_("The application already has this outcome; choose a different one."))
    candidate = next(c for c in selection.order if c.id == candidate_id)
    if new_outcome in (SELECTED, RESERVE) and not candidate.fundable:
        raise SelectionError(_("An application that is not fundable can only be rejected."))
    if new_outcome == SELECTED and candidate.requested > selection.remaining:
        raise SelectionError(_(
            "The envelope has %(remaining)s left but this application requests %(requested)s; "
            "free money by moving another application first or raise the envelope."
        ) % {"remaining": format_eur(selection.remaining), "requested": format_eur(candidate.requested)})
    outcomes[candidate_id] = new_outcome
    change_reason = str(reason).strip()
    provisional = _build(selection.order, outcomes, selection.envelope)
    change = ManualChange(
        candidate_id=candidate_id, old_outcome=old_outcome, new_outcome=new_outcome, reason=change_reason,
        requested=candidate.requested, used_before=selection.used, used_after=provisional.used,
    )
    return replace(provisional, changes=selection.changes + (change,)), change
