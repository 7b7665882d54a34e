"""Budget envelopes of an agency per call (action and round) and field: set by the agency's administrators,
money moved between envelopes as recorded movements, and the figures every page shows (DOMAIN §6).

**What an envelope holds.** ``BudgetEnvelope.amount`` is the *set* amount: what the programme data or an
administrator decided for that call and field. Transfers never edit it; each is an :class:`EnvelopeMovement`
row, and the money the envelope holds now is::

    current = set amount + movements in - movements out

so the history explains every euro, reloading the programme data (which may set the amount again) never
erases a transfer, and a transfer is one new row rather than two edits that could disagree. ``committed``
is what the selection has given away: the grants of the group's applications whose outcome is *selected*
(staged or released alike); ``left = current - committed``. A selected application's grant is, in turn
(:func:`granted`): what was paid to its project, net of recoveries, once the project is terminated (a grant
withdrawn after the countersignature frees what was not paid); else its project's lump sum; else its grant
agreement's (which the agency may have reduced before the countersignature); else the lump sum it requests.
A declined grant is no longer *selected*, so it frees all of it.

**Locks.** Every change of what an envelope holds or commits takes a row lock on the envelope(s): a
transfer locks both, always in primary-key order so that two opposite transfers cannot deadlock; the
selection (:mod:`.ranking`) locks the group's cases and then its envelope. What is left is read after the
lock, so two transfers at the same moment never take more than is left.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case as Choose
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, record
from eplus.core.input import forbidden_character
from eplus.core.money import MAX_AMOUNT, eur, format_eur
from eplus.programme.models import Agency, BudgetEnvelope
from eplus.projects.models import TERMINATED_STATUSES, Payment, PaymentKind, PaymentStatus, Project

from .models import Case, EnvelopeMovement, Outcome
from .rules import administers_agency
from .workflow import EvaluationError

ZERO = Decimal("0.00")
REASON_MAX = 2000


@dataclass(frozen=True)
class Figures:
    """What one envelope holds: the set amount, the movements in and out, the current amount, the committed
    grants and what is left."""

    set_amount: Decimal
    moved_in: Decimal
    moved_out: Decimal
    committed: Decimal

    @property
    def current(self):
        return self.set_amount + self.moved_in - self.moved_out

    @property
    def left(self):
        return self.current - self.committed


# --- reading ----------------------------------------------------------------------------------------------

def find(agency, call, sector, lock=False):
    """The envelope of ``agency`` in ``call`` and ``sector``, or None; locked until commit when ``lock``."""
    queryset = BudgetEnvelope.objects.select_related("agency", "call__action")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.filter(agency=agency, call=call, sector=sector).first()


def _paid(recovery):
    money = DecimalField(max_digits=14, decimal_places=2)
    payments = Payment.objects.filter(project__application_id=OuterRef("application_id"), status=PaymentStatus.PAID)
    payments = payments.filter(kind=PaymentKind.RECOVERY) if recovery else payments.exclude(kind=PaymentKind.RECOVERY)
    total = payments.order_by().values("project").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


def granted():
    """The grant a (selected) case holds in its envelope, as an expression over ``Case`` rows (see the module's
    docstring for the order)."""
    projects = Project.objects.filter(application_id=OuterRef("application_id"))
    return Choose(
        When(Exists(projects.filter(status__in=TERMINATED_STATUSES)), then=_paid(False) - _paid(True)),
        When(Exists(projects), then=Subquery(projects.values("lump_sum")[:1])),
        When(agreement__isnull=False, then=F("agreement__lump_sum")),
        default=Coalesce(F("application__lump_sum"), Value(ZERO)),
        output_field=DecimalField(max_digits=14, decimal_places=2))


def committed(agency, call, sector):
    """The grants of the group's selected applications (staged or released): money the envelope has given."""
    total = (Case.objects.filter(agency=agency, call=call, sector=sector, outcome=Outcome.SELECTED)
             .annotate(grant=granted()).aggregate(total=Sum("grant"))["total"])
    return eur(total or 0)


def _moved(envelope_ids):
    """{envelope id: (moved in, moved out)} in two grouped queries."""
    result = {pk: [ZERO, ZERO] for pk in envelope_ids}
    for key, index in (("target_id", 0), ("source_id", 1)):
        rows = (EnvelopeMovement.objects.filter(**{f"{key}__in": envelope_ids}).values(key)
                .annotate(total=Sum("amount")).order_by())
        for row in rows:
            result[row[key]][index] = eur(row["total"])
    return {pk: tuple(v) for pk, v in result.items()}


def figures(envelope):
    """The :class:`Figures` of one envelope."""
    moved_in, moved_out = _moved([envelope.pk])[envelope.pk]
    return Figures(set_amount=eur(envelope.amount), moved_in=moved_in, moved_out=moved_out,
                   committed=committed(envelope.agency_id, envelope.call_id, envelope.sector))


def figures_of(envelopes):
    """{envelope id: Figures} for a list of envelopes, in three queries whatever their number."""
    envelopes = list(envelopes)
    if not envelopes:
        return {}
    moved = _moved([e.pk for e in envelopes])
    groups = Q()
    for e in envelopes:
        groups |= Q(agency_id=e.agency_id, call_id=e.call_id, sector=e.sector)
    rows = (Case.objects.filter(groups, outcome=Outcome.SELECTED).annotate(grant=granted())
            .values("agency_id", "call_id", "sector").annotate(total=Sum("grant")).order_by())
    given = {(r["agency_id"], r["call_id"], r["sector"]): eur(r["total"] or 0) for r in rows}
    return {e.pk: Figures(set_amount=eur(e.amount), moved_in=moved[e.pk][0], moved_out=moved[e.pk][1],
                          committed=given.get((e.agency_id, e.call_id, e.sector), ZERO))
            for e in envelopes}


def current_amount(envelope):
    """What the envelope holds now (set amount ± movements): the amount the selection works within."""
    moved_in, moved_out = _moved([envelope.pk])[envelope.pk]
    return eur(envelope.amount) + moved_in - moved_out


# --- checks -----------------------------------------------------------------------------------------------

def _amount(value, field="amount", positive=False):
    try:
        amount = eur(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Enter an amount in euros, for example 250000.00.")]}) from None
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field: [_("Enter an amount greater than zero.") if positive
                                       else _("The amount must not be negative.")]})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: [_("Enter an amount of at most %(max)s.") % {"max": format_eur(MAX_AMOUNT)}]})
    return amount


def _reason(value, required=True):
    reason = (value or "").strip()
    if required and not reason:
        raise ValidationError({"reason": [_("Give the reason; it is kept with the change.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX}]})
    if forbidden_character(reason):
        raise ValidationError({"reason": [_("The reason contains a character that cannot be stored.")]})
    return reason


def _require_admin(user, agency):
    if not administers_agency(user, agency):
        raise EvaluationError(_("Only an administrator of %(agency)s may change its budget envelopes.")
                              % {"agency": agency.code})


def _check_group(agency, call, sector):
    """The agency manages this call's action and field (else the envelope could never be used)."""
    action = call.action
    if sector not in (action.sectors or []):
        raise ValidationError({"sector": [_("The %(action)s action has no field %(sector)s.")
                                          % {"action": action.code, "sector": sector}]})
    if agency.fields and sector not in agency.fields:
        raise ValidationError({"sector": [_("%(agency)s does not manage the field %(sector)s.")
                                          % {"agency": agency.code, "sector": sector}]})
    if action.is_centralised and action.managing_agency_id != agency.pk:
        raise ValidationError({"call": [_("This call is managed by another agency.")]})
    if not action.is_centralised and agency.kind != Agency.Kind.NATIONAL:
        raise ValidationError({"call": [_("This call is managed by the national agencies.")]})


# --- changing ---------------------------------------------------------------------------------------------

def set_envelope(agency, call, sector, amount, by, reason=""):
    """Create the envelope of ``agency`` × ``call`` × ``sector`` or change its set amount; returns it.

    Administrators of the agency only. The amount is bounded (0 to ``MAX_AMOUNT``); a change may not leave
    the envelope holding less than its selection has committed. A change of an existing envelope needs a
    reason (audited with it); the first setting may give one (kept as the envelope's source)."""
    _require_admin(by, agency)
    amount = _amount(amount)
    with acting_as(by), transaction.atomic():
        envelope = find(agency, call, sector, lock=True)
        if envelope is None:
            _check_group(agency, call, sector)
            note = _reason(reason, required=False)
            try:
                with transaction.atomic():
                    envelope = BudgetEnvelope(agency=agency, call=call, sector=sector, amount=amount,
                                              source=note[:255])
                    envelope.save(audit_verb="set-envelope", audit_reason=note)
                return envelope
            except IntegrityError:  # another administrator created it a moment ago: change that one
                envelope = find(agency, call, sector, lock=True)
        note = _reason(reason)
        before = figures(envelope)
        if amount == before.set_amount:
            raise ValidationError({"amount": [_("The envelope already has this amount.")]})
        after = before.current - before.set_amount + amount
        if after < before.committed:
            raise ValidationError({"amount": [_(
                "The selection has already committed %(committed)s of this envelope; with this amount it would "
                "hold only %(after)s. Change the selection first.") % {
                    "committed": format_eur(before.committed), "after": format_eur(after)}]})
        envelope.amount = amount
        envelope.save(audit_verb="set-envelope", audit_reason=note)
    return envelope


def transfer(source, target, amount, reason, by):
    """Move ``amount`` EUR from ``source`` to ``target`` (envelopes of one agency) with a ``reason``.

    Recorded as an :class:`EnvelopeMovement` and in the audit trail of both envelopes; the set amounts do not
    change, so the total of the two envelopes is the same before and after. Refused when ``source`` has less
    left than ``amount`` (left = what it holds minus what its selection has committed), read under row locks
    on both envelopes taken in primary-key order."""
    if source.pk == target.pk:
        raise ValidationError({"target": [_("Choose two different envelopes.")]})
    if source.agency_id != target.agency_id:
        raise ValidationError({"target": [_("Money moves only between envelopes of the same agency.")]})
    _require_admin(by, source.agency)
    amount = _amount(amount, positive=True)
    reason = _reason(reason)
    with acting_as(by), transaction.atomic():
        locked = {e.pk: e for e in BudgetEnvelope.objects.select_for_update(of=("self",))
                  .select_related("agency", "call__action").filter(pk__in=[source.pk, target.pk]).order_by("pk")}
        source, target = locked[source.pk], locked[target.pk]
        before_source, before_target = figures(source), figures(target)
        if amount > before_source.left:
            raise ValidationError({"amount": [_(
                "%(envelope)s has %(left)s left that no selection has committed; %(amount)s cannot be moved "
                "from it.") % {"envelope": str(source), "left": format_eur(max(before_source.left, ZERO)),
                               "amount": format_eur(amount)}]})
        movement = EnvelopeMovement(source=source, target=target, amount=amount, reason=reason, moved_by=by,
                                    moved_at=clock.now())
        movement.save(audit_verb="transfer-envelope", audit_reason=reason)
        for envelope, before, sign, verb in ((source, before_source, -1, "transfer-out"),
                                             (target, before_target, 1, "transfer-in")):
            record(envelope, "event", verb=verb, reason=reason, changes={
                "current": [str(before.current), str(before.current + sign * amount)],
                "movement": [None, movement.pk]})
    return movement
