"""The rules on priorities and topics."""

from __future__ import annotations


from django.utils.translation import gettext as _
from django.utils.translation import ngettext


from .registry import (
    GUIDE, SEED_002, both, rule,
)


# ---------------------------------------------------------------- priorities and topics


@rule("priorities.required", source=SEED_002, field="priorities", section="relevance",
      applies=lambda call: call.min_priorities > 0)
def priorities_required(ctx):
    chosen = ctx.app.priorities
    if chosen is None:
        return None, _("Choose the project's priorities to check this rule.")
    values = {"min": ctx.call.min_priorities, "count": len(chosen)}
    if len(chosen) < ctx.call.min_priorities:
        return False, ngettext(
            "Choose at least %(min)d horizontal priority or priority of your sector; you chose %(count)d.",
            "Choose at least %(min)d horizontal priorities or priorities of your sector; you chose %(count)d.",
            ctx.call.min_priorities) % values
    return True, ngettext("The project addresses %(count)d priority.", "The project addresses %(count)d priorities.",
                          len(chosen)) % values


@rule("priorities.known", source=GUIDE, field="priorities", section="relevance",
      applies=lambda call: bool(call.priorities))
def priorities_known(ctx):
    chosen = ctx.app.priorities
    if chosen is None:
        return None, _("Choose the project's priorities to check this rule.")
    unknown = sorted(set(chosen) - set(ctx.call.priorities))
    if unknown:
        return False, _("%(unknown)s is not a priority of this call; choose among the horizontal priorities and "
                        "the priorities of your sector.") % {"unknown": both(unknown)}
    return True, _("Every priority chosen belongs to this call.")


@rule("topics.max", source=GUIDE, field="topics", section="relevance",
      applies=lambda call: call.max_topics is not None)
def topics_max(ctx):
    chosen = ctx.app.topics
    if chosen is None:
        return None, _("Choose the project's topics to check this rule.")
    values = {"max": ctx.call.max_topics, "count": len(chosen)}
    if len(chosen) > ctx.call.max_topics:
        return False, _("Choose at most %(max)d topics; you chose %(count)d.") % values
    return True, ngettext("%(count)d topic chosen; at most %(max)d are allowed.",
                          "%(count)d topics chosen; at most %(max)d are allowed.", len(chosen)) % values
