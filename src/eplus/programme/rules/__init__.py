"""Eligibility engine (DOMAIN §4–5): pure functions over plain data, driven by the call's reference data.

A plain Python package (no models, no app config):

    from eplus.programme.rules import CallRules, evaluate, parse_request
    application, errors = parse_request(payload)        # public API JSON -> Application, {path: message}
    verdict = evaluate(application, CallRules.from_dict(call_data), countries, other_applications)
    verdict.eligible, verdict.checks                    # Check(rule, severity, passed, message, source, …)
"""

from .engine import evaluate, rule_ids
from .model import (
    Activity, Application, CallRules, Check, CountryInfo, Organisation, OtherApplication, SchoolDevelopment,
    Verdict, WorkPackage,
)
from .parse import parse_request

__all__ = [
    "Activity", "Application", "CallRules", "Check", "CountryInfo", "Organisation", "OtherApplication",
    "SchoolDevelopment", "Verdict", "WorkPackage", "evaluate", "parse_request", "rule_ids",
]
