"""The eligibility rules: one small pure function per rule, registered with a stable id.

Each rule function takes a ``Context`` and returns ``(passed, message)``; ``passed`` is ``None`` when
an input it needs is absent. The engine adds id, severity, source and the field/section hint. Rules
are listed in ``RULES`` in the order their checks are reported (the order of the imports below).
Every figure comes from ``CallRules``.
"""

# Importing a checks module registers its rules; the order here is the order of the checks in a verdict.
from . import checks_partners  # noqa: F401, I001
from . import checks_project  # noqa: F401
from . import checks_relevance  # noqa: F401
from . import checks_limits  # noqa: F401
from .registry import RULES, Context, Rule, rule

__all__ = ["RULES", "Context", "Rule", "rule"]
