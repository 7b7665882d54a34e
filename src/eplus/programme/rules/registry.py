"""What every eligibility rule shares: the sources it cites, the wording helpers, the context it reads and
the registry it joins (``rule``). The rules themselves live in the ``checks_*`` modules.

Each rule function takes a ``Context`` and returns ``(passed, message)``; ``passed`` is ``None`` when
an input it needs is absent. The engine adds id, severity, source and the field/section hint. Rules
are listed in ``RULES`` in the order their checks are reported. Every figure comes from ``CallRules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.utils.translation import gettext as _


from .model import (
    APPLICANT, ASSOCIATED_PARTNER, ERROR, FULL_ROLES, SUBMITTED,
)

SEED_002 = "DOMAIN §4, seed 002 (LV01 KA2 info session, 2026 call)"
GUIDE = "DOMAIN §4, Erasmus+ Programme Guide 2026"
SECONDARY = "DOMAIN §4 (secondary source, configurable per call)"
DEADLINES = "DOMAIN §5, seed 002"
REFERENCE = "Programme reference data (countries)"
REFERENCE_ORGANISATIONS = "DOMAIN §3 (the national agency validates each organisation's registration)"


# ---------------------------------------------------------------- formatting helpers


def number(amount):
    """'250 000', '50 000.01' (narrow no-break space between thousands, cents only when there are any)."""
    text = f"{amount:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return text.replace(",", "\u202f")


def money(amount):
    return number(amount) + " EUR"


def either(items):
    """'a', 'a or b', 'a, b or c' — translatable."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s or %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def both(items):
    """'a', 'a and b', 'a, b and c' — translatable."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def role_label(role):
    return {APPLICANT: _("applicant"), "partner": _("partner"),
            ASSOCIATED_PARTNER: _("associated partner")}.get(role, role)


def type_label(kind):
    return {
        "school": _("School"), "school-authority": _("Local or regional school authority"),
        "school-coordinating-body": _("School coordinating body"),
        "vet-provider": _("Vocational education and training provider"),
        "higher-education": _("Higher education institution"), "adult-education": _("Adult education organisation"),
        "youth-organisation": _("Youth organisation"), "ngo": _("Non-governmental organisation"),
        "public-body": _("Public body"), "enterprise": _("Enterprise"), "other": _("Other"),
    }.get(kind, kind)


def refs(orgs):
    return both(sorted(f"{o.ref} ({o.country})" for o in orgs))


def years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


# ---------------------------------------------------------------- context and registry


@dataclass(frozen=True)
class Context:
    app: object
    call: object
    countries: dict  # code -> CountryInfo
    others: tuple | None  # OtherApplication list; None = unknown (rules across applications not checked)

    @property
    def orgs(self):
        return self.app.organisations

    def full(self):
        return [o for o in self.orgs if o.role in FULL_ROLES]

    def applicants(self):
        return [o for o in self.orgs if o.role == APPLICANT]

    def info(self, org):
        return self.countries.get(org.country)

    def name(self, code):
        info = self.countries.get(code)
        return info.name if info is not None and info.name else code

    def same_deadline(self):
        """Other submitted applications of the same action and deadline (not this one's own versions)."""
        call, app = self.call, self.app
        return [
            o for o in self.others
            if o.status == SUBMITTED and o.action == call.action and o.deadline == call.deadline
            and not (app.id is not None and o.id == app.id)
        ]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    source: str
    field: str
    section: str
    func: Callable
    applies: Callable


RULES: list[Rule] = []


def rule(rule_id, *, severity=ERROR, source, field, section, applies=lambda call: True):
    def register(func):
        RULES.append(Rule(rule_id, severity, source, field, section, func, applies))
        return func
    return register


def _needs_orgs(ctx):
    return _("Add the participating organisations to check this rule.")
