from eplus.programme.rules import evaluate

from .calls import COUNTRIES


def run(application, call_rules, others=None):
    return evaluate(application, call_rules, COUNTRIES, others)


def check(verdict, rule_id):
    found = [c for c in verdict.checks if c.rule == rule_id]
    assert len(found) == 1, f"{rule_id} reported {len(found)} times: {[c.rule for c in verdict.checks]}"
    return found[0]


def passed(application, call_rules, rule_id, others=None):
    return check(run(application, call_rules, others), rule_id).passed
