"""Run every rule that applies to a call over one application and return the verdict."""

from __future__ import annotations

from .model import ERROR, Check, Verdict
from .rules import RULES, Context


def _country_map(countries):
    if isinstance(countries, dict):
        return dict(countries)
    return {c.code: c for c in countries}


def evaluate(application, call_rules, countries, other_applications=None):
    """Check ``application`` against ``call_rules``.

    ``countries``: a dict code -> ``CountryInfo`` or an iterable of ``CountryInfo``.
    ``other_applications``: the ``OtherApplication`` list for the rules across applications of the same
    deadline; ``None`` means unknown (those rules report passed=None), ``()`` means there are none.

    Checks come in the fixed order of ``rules.RULES`` whatever the order of the organisations;
    ``eligible`` is False exactly when an evaluated error check failed.
    """
    ctx = Context(
        app=application,
        call=call_rules,
        countries=_country_map(countries),
        others=None if other_applications is None else tuple(other_applications),
    )
    checks = []
    for rule in RULES:
        if not rule.applies(call_rules):
            continue
        passed, message = rule.func(ctx)
        checks.append(Check(
            rule=rule.id, severity=rule.severity, passed=passed, message=message,
            source=call_rules.sources.get(rule.id, rule.source), field=rule.field, section=rule.section,
        ))
    eligible = not any(c.severity == ERROR and c.passed is False for c in checks)
    return Verdict(eligible=eligible, checks=tuple(checks))


def rule_ids():
    """Every registered rule id, in report order (for documentation and the admin)."""
    return [r.id for r in RULES]


__all__ = ["evaluate", "rule_ids"]
