"""The rules on money, dates and the deadline, and on the activities or work packages."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.core.money import CENT
from eplus.core.time import format_brussels, is_before_deadline

from .model import (
    ACTIVITIES, WARNING, WORK_PACKAGES,
)
from .registry import (
    DEADLINES, GUIDE, SEED_002, either, money, number, rule,
)


# ---------------------------------------------------------------- money, dates, deadline


@rule("lump-sum.allowed", source=SEED_002, field="lump_sum", section="budget",
      applies=lambda call: bool(call.lump_sum_options) or call.lump_sum_max is not None)
def lump_sum_allowed(ctx):
    amount = ctx.app.lump_sum
    if amount is None:
        return None, _("Choose the lump sum to check this rule.")
    call = ctx.call
    if call.lump_sum_options:
        values = {"options": either(number(o) for o in call.lump_sum_options) + " EUR",
                  "amount": money(amount)}
        if amount not in call.lump_sum_options:
            return False, _("The lump sum must be one of %(options)s; you chose %(amount)s.") % values
        return True, _("The lump sum of %(amount)s is one of %(options)s.") % values
    values = {"max": money(call.lump_sum_max), "amount": money(amount)}
    if not Decimal(0) < amount <= call.lump_sum_max:
        return False, _("The grant requested must be more than 0 and at most %(max)s; you asked for "
                        "%(amount)s.") % values
    return True, _("The grant requested, %(amount)s, is within the maximum of %(max)s.") % values


@rule("duration.range", source=SEED_002, field="duration_months", section="project",
      applies=lambda call: call.duration_min_months is not None or call.duration_max_months is not None)
def duration_range(ctx):
    months = ctx.app.duration_months
    if months is None:
        return None, _("Give the project duration to check this rule.")
    low, high = ctx.call.duration_min_months or 1, ctx.call.duration_max_months
    values = {"min": low, "max": high, "months": months}
    if months < low or (high is not None and months > high):
        if high == low:
            return False, _("The project must last exactly %(min)d months; you chose %(months)d.") % values
        if high is None:
            return False, _("The project must last at least %(min)d months; you chose %(months)d.") % values
        return False, _("The project must last between %(min)d and %(max)d months; you chose %(months)d.") % values
    return True, _("The duration of %(months)d months is allowed.") % values


@rule("start-window", source=SEED_002, field="start_date", section="project",
      applies=lambda call: call.start_from is not None or call.start_to is not None)
def start_window(ctx):
    start = ctx.app.start_date
    if start is None:
        return None, _("Give the project start date to check this rule.")
    low, high = ctx.call.start_from or date.min, ctx.call.start_to or date.max
    values = {"from": ctx.call.start_from.isoformat() if ctx.call.start_from else "—",
              "to": ctx.call.start_to.isoformat() if ctx.call.start_to else "—", "start": start.isoformat()}
    if not low <= start <= high:
        return False, _("Projects of this call start between %(from)s and %(to)s; you chose %(start)s. "
                        "Choose a start date in that window.") % values
    return True, _("The start date %(start)s is within %(from)s – %(to)s.") % values


@rule("deadline.on-time", source=DEADLINES, field="submitted_at", section="submission",
      applies=lambda call: call.deadline is not None)
def deadline_on_time(ctx):
    at = ctx.app.submitted_at
    if at is None:
        return None, _("The deadline is checked when the application is submitted.")
    values = {"deadline": format_brussels(ctx.call.deadline), "at": format_brussels(at)}
    if is_before_deadline(at, ctx.call.deadline):
        return True, _("Submitted at %(at)s, before the deadline of %(deadline)s (Brussels time).") % values
    late = ctx.app.late_until
    if late is not None and at < late:
        return True, _("Submitted at %(at)s, after the deadline of %(deadline)s but within the time the National "
                       "Agency gave by accepting technical-incident report %(report)s (until %(until)s, Brussels "
                       "time).") % {**values, "report": ctx.app.late_reference, "until": format_brussels(late)}
    hours = ctx.call.incident_report_hours
    if hours:
        return False, ngettext(
            "The deadline was %(deadline)s (Brussels time); a submission at %(at)s is too late. If technical "
            "problems stopped you, report them with screenshots to your National Agency within %(hours)d hour "
            "of the deadline.",
            "The deadline was %(deadline)s (Brussels time); a submission at %(at)s is too late. If technical "
            "problems stopped you, report them with screenshots to your National Agency within %(hours)d hours "
            "of the deadline.", hours) % {**values, "hours": hours}
    return False, _("The deadline was %(deadline)s (Brussels time); a submission at %(at)s is too late.") % values


# ---------------------------------------------------------------- structure: activities


def _is_activities(call):
    return call.structure == ACTIVITIES


@rule("activities.present", source=GUIDE, field="activities", section="activities", applies=_is_activities)
def activities_present(ctx):
    if ctx.app.activities is None:
        return None, _("Add the project activities to check this rule.")
    if not ctx.app.activities:
        return False, _("Add at least one activity to the project.")
    count = len(ctx.app.activities)
    return True, ngettext("The project has %(count)d activity.", "The project has %(count)d activities.",
                          count) % {"count": count}


@rule("activities.sum", source=GUIDE, field="activities", section="activities", applies=_is_activities)
def activities_sum(ctx):
    acts = ctx.app.activities
    if acts is None or not acts or ctx.app.lump_sum is None or any(a.amount is None for a in acts):
        return None, _("Choose the lump sum and give every activity's amount to check that they add up.")
    total = sum((a.amount for a in acts), Decimal("0.00"))
    values = {"total": money(total), "lump_sum": money(ctx.app.lump_sum),
              "diff": money(abs(ctx.app.lump_sum - total))}
    if total != ctx.app.lump_sum:
        return False, _("The activity amounts add up to %(total)s but the lump sum is %(lump_sum)s; change the "
                        "amounts by %(diff)s so that they add up exactly.") % values
    return True, _("The activity amounts add up exactly to the lump sum of %(lump_sum)s.") % values


# ---------------------------------------------------------------- structure: work packages


def _is_wps(call):
    return call.structure == WORK_PACKAGES


def _management(wps):
    return [w for w in wps if w.management]


def _further(wps):
    return [w for w in wps if not w.management]


@rule("wp.management", source=SEED_002, field="work_packages", section="work-packages", applies=_is_wps)
def wp_management(ctx):
    wps = ctx.app.work_packages
    if wps is None:
        return None, _("Add the work packages to check this rule.")
    mgmt = _management(wps)
    if len(mgmt) != 1 or mgmt[0].number != 1:
        return False, _("Work package 1 must be the project management work package, and it must be the only "
                        "one; mark exactly work package 1 as project management.")
    return True, _("Work package 1 is the project management work package.")


@rule("wp.management-cap", source=SEED_002, field="work_packages", section="work-packages",
      applies=lambda call: _is_wps(call) and call.management_max_percent is not None)
def wp_management_cap(ctx):
    wps, lump_sum = ctx.app.work_packages, ctx.app.lump_sum
    mgmt = _management(wps or ())
    if lump_sum is None or len(mgmt) != 1 or mgmt[0].amount is None:
        return None, _("Choose the lump sum and give the amount of the project management work package to "
                       "check this rule.")
    pct = ctx.call.management_max_percent
    cap = (lump_sum * pct / 100).quantize(CENT, rounding=ROUND_DOWN)
    values = {"percent": f"{pct:g}", "cap": money(cap), "amount": money(mgmt[0].amount),
              "lump_sum": money(lump_sum)}
    if mgmt[0].amount * 100 > lump_sum * pct:  # exact: no rounding before comparing
        return False, _("Project management may take at most %(percent)s %% of the lump sum of %(lump_sum)s, "
                        "that is %(cap)s; work package 1 has %(amount)s. Move the difference to other work "
                        "packages.") % values
    return True, _("Project management takes %(amount)s, within %(percent)s %% of the lump sum (%(cap)s).") % values


@rule("wp.count", source=SEED_002, field="work_packages", section="work-packages",
      applies=lambda call: _is_wps(call) and (call.wp_min is not None or call.wp_max is not None))
def wp_count(ctx):
    wps = ctx.app.work_packages
    if wps is None:
        return None, _("Add the work packages to check this rule.")
    count = len(_further(wps))
    low, high = ctx.call.wp_min or 0, ctx.call.wp_max
    values = {"min": low, "max": high, "count": count}
    if count < low or (high is not None and count > high):
        return False, _("Besides project management, the project needs between %(min)d and %(max)d work "
                        "packages; yours has %(count)d.") % values
    return True, ngettext("Besides project management, the project has %(count)d work package.",
                          "Besides project management, the project has %(count)d work packages.", count) % values


@rule("wp.count-recommended", severity=WARNING, source=SEED_002, field="work_packages", section="work-packages",
      applies=lambda call: _is_wps(call) and call.wp_recommended_max is not None)
def wp_count_recommended(ctx):
    wps = ctx.app.work_packages
    if wps is None:
        return None, _("Add the work packages to check this rule.")
    values = {"max": ctx.call.wp_recommended_max, "count": len(_further(wps))}
    if values["count"] > values["max"]:
        return False, _("We recommend at most %(max)d work packages besides project management; yours has "
                        "%(count)d. Consider merging some of them.") % values
    return True, _("The number of work packages is within the recommended %(max)d.") % values


@rule("wp.sum", source=SEED_002, field="work_packages", section="work-packages", applies=_is_wps)
def wp_sum(ctx):
    wps = ctx.app.work_packages
    if wps is None or not wps or ctx.app.lump_sum is None or any(w.amount is None for w in wps):
        return None, _("Choose the lump sum and give every work package's amount to check that they add up.")
    total = sum((w.amount for w in wps), Decimal("0.00"))
    values = {"total": money(total), "lump_sum": money(ctx.app.lump_sum),
              "diff": money(abs(ctx.app.lump_sum - total))}
    if total != ctx.app.lump_sum:
        return False, _("The work package amounts add up to %(total)s but the lump sum is %(lump_sum)s; change "
                        "the amounts by %(diff)s so that they add up exactly.") % values
    return True, _("The work package amounts add up exactly to the lump sum of %(lump_sum)s.") % values
