"""The rules across the applications of the same deadline (limits per organisation and consortium)."""

from __future__ import annotations


from django.utils.translation import gettext as _
from django.utils.translation import ngettext


from .registry import (
    SEED_002, _needs_orgs, both, rule,
)


# ---------------------------------------------------------------- across applications of the same deadline


def _cross_unknown(ctx):
    if ctx.others is None:
        return _("This rule is checked against the other applications of the same deadline when you submit.")
    if ctx.orgs is None:
        return _needs_orgs(ctx)
    return None


@rule("limits.applicant-once-per-round", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: call.applicant_max_per_round is not None and call.deadline is not None)
def applicant_once_per_round(ctx):
    missing = _cross_unknown(ctx)
    if missing:
        return None, missing
    if len(ctx.applicants()) != 1 or not ctx.applicants()[0].oid:
        return None, _("Give the applicant's OID to check how often it applies in this round.")
    applicant = ctx.applicants()[0]
    earlier = sum(1 for o in ctx.same_deadline() if o.applicant_oid == applicant.oid)
    values = {"max": ctx.call.applicant_max_per_round, "action": ctx.call.action, "oid": applicant.oid,
              "earlier": earlier}
    if earlier + 1 > ctx.call.applicant_max_per_round:
        return False, ngettext(
            "An organisation may be the applicant of at most %(max)d %(action)s application per round, all fields "
            "together; %(oid)s already is. Let another partner apply, or withdraw the other application.",
            "An organisation may be the applicant of at most %(max)d %(action)s applications per round, all fields "
            "together; %(oid)s already is. Let another partner apply, or withdraw one of the other applications.",
            ctx.call.applicant_max_per_round) % values
    return True, _("The applicant has not reached its limit of %(max)d applications per round.") % values


def _involvement_scope(call):
    return call.involvement_cap is not None and call.deadline is not None and \
        call.sector not in call.involvement_exempt_sectors


@rule("limits.involvement-cap", source=SEED_002, field="organisations", section="partners",
      applies=_involvement_scope)
def involvement_cap(ctx):
    missing = _cross_unknown(ctx)
    if missing:
        return None, missing
    call = ctx.call
    others = [o for o in ctx.same_deadline() if o.sector not in call.involvement_exempt_sectors]
    over, unknown = [], False
    for org in sorted(ctx.full(), key=lambda o: o.ref):
        if not org.oid:
            unknown = True
            continue
        count = 1 + sum(1 for o in others if org.oid in o.consortium)
        if count > call.involvement_cap:
            over.append(f"{org.ref} ({org.oid})")
    values = {"cap": call.involvement_cap, "action": call.action, "orgs": both(over),
              "exempt": both(call.involvement_exempt_sectors)}
    if over:
        return False, _("An organisation may be applicant or partner in at most %(cap)d %(action)s applications "
                        "per deadline, all fields together; %(orgs)s would exceed it. Replace it or withdraw one "
                        "of its other applications.") % values
    if unknown:
        return None, _("Give every organisation's OID to check how many applications it takes part in.")
    return True, _("No organisation exceeds %(cap)d %(action)s applications in this deadline.") % values


@rule("consortium.once-per-deadline", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: call.consortium_once_per_deadline and call.deadline is not None)
def consortium_once(ctx):
    missing = _cross_unknown(ctx)
    if missing:
        return None, missing
    full = ctx.full()
    if not full or any(not o.oid for o in full):
        return None, _("Give every organisation's OID to check whether this consortium has applied already.")
    mine = frozenset(o.oid for o in full)
    same = sorted((o for o in ctx.same_deadline() if o.consortium == mine),
                  key=lambda o: (o.agency_code or "", o.id or ""))
    if same:
        agencies = sorted({o.agency_code or "?" for o in same})
        return False, _("The same consortium may submit only one application, to one National Agency, per "
                        "deadline; it has already applied to %(agencies)s. Withdraw that application or change "
                        "the consortium.") % {"agencies": both(agencies)}
    return True, _("This consortium has no other application in this deadline.")
