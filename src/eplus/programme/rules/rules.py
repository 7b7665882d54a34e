"""The eligibility rules: one small pure function per rule, registered with a stable id.

Each rule function takes a ``Context`` and returns ``(passed, message)``; ``passed`` is ``None`` when
an input it needs is absent. The engine adds id, severity, source and the field/section hint. Rules
are listed in ``RULES`` in the order their checks are reported. Every figure comes from ``CallRules``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.core.money import CENT
from eplus.core.time import format_brussels, is_before_deadline, to_brussels

from .model import (
    ACTIVITIES, APPLICANT, ASSOCIATED_PARTNER, ERROR, FULL_ROLES, SUBMITTED, WARNING, WORK_PACKAGES,
)

SEED_002 = "DOMAIN §4, seed 002 (LV01 KA2 info session, 2026 call)"
GUIDE = "DOMAIN §4, Erasmus+ Programme Guide 2026"
SECONDARY = "DOMAIN §4 (secondary source, configurable per call)"
DEADLINES = "DOMAIN §5, seed 002"
REFERENCE = "Programme reference data (countries)"


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


# ---------------------------------------------------------------- organisations and composition


@rule("countries.known", source=REFERENCE, field="organisations", section="partners")
def countries_known(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    unknown = [o for o in ctx.orgs if ctx.info(o) is None]
    if unknown:
        return False, _("The country of %(orgs)s is not a known country code; choose the country where "
                        "the organisation is legally established.") % {"orgs": refs(unknown)}
    return True, _("Every organisation's country is known.")


@rule("composition.one-applicant", source=SEED_002, field="organisations", section="partners")
def one_applicant(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    count = len(ctx.applicants())
    if count != 1:
        return False, _("An application has exactly one applicant organisation (the coordinator); "
                        "yours has %(count)d. Give exactly one organisation the role of applicant.") % {
            "count": count}
    return True, _("The application has one applicant organisation.")


@rule("composition.distinct-organisations", source=SEED_002, field="organisations", section="partners")
def distinct_organisations(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    counts = Counter(o.oid for o in ctx.orgs if o.oid)
    repeated = sorted(oid for oid, n in counts.items() if n > 1)
    if repeated:
        return False, _("These organisations appear more than once: %(oids)s. List each organisation "
                        "only once.") % {"oids": both(repeated)}
    return True, _("Each organisation appears only once.")


@rule("composition.excluded-countries", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: bool(call.excluded_countries))
def excluded_countries(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    bad = [o for o in ctx.orgs if o.country in ctx.call.excluded_countries]
    if bad:
        return False, _("Organisations from %(countries)s cannot take part in any role; remove %(orgs)s.") % {
            "countries": both(sorted({ctx.name(o.country) for o in bad})), "orgs": refs(bad)}
    return True, _("No organisation comes from an excluded country (%(countries)s).") % {
        "countries": both(ctx.name(c) for c in ctx.call.excluded_countries)}


@rule("composition.third-countries", source=SEED_002, field="organisations", section="partners")
def third_countries(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    call = ctx.call
    problems = []
    for org in sorted(ctx.orgs, key=lambda o: o.ref):
        info = ctx.info(org)
        if info is None or info.is_programme_country or org.country in call.excluded_countries:
            continue  # unknown and excluded countries have their own rules
        if org.role not in call.third_country_roles:
            problems.append(_("%(org)s from %(country)s, a third country not associated to the programme, "
                              "cannot take part as %(role)s") % {
                "org": org.ref, "country": ctx.name(org.country), "role": role_label(org.role)})
        elif call.third_country_regions is not None and info.region not in call.third_country_regions:
            problems.append(_("%(org)s from %(country)s (region %(region)s) is outside the regions allowed "
                              "(%(regions)s)") % {
                "org": org.ref, "country": ctx.name(org.country), "region": info.region or "?",
                "regions": both(call.third_country_regions) or "—"})
    if problems:
        return False, _("%(problems)s. Replace these organisations with organisations from EU member states "
                        "or third countries associated to the programme.") % {"problems": "; ".join(problems)}
    if call.third_country_roles:
        return True, _("Organisations from third countries not associated to the programme take part only "
                       "as %(roles)s from allowed regions.") % {
            "roles": either(role_label(r) for r in call.third_country_roles)}
    return True, _("All organisations come from EU member states or third countries associated to the "
                   "programme.")


@rule("composition.minimum", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: call.min_organisations > 0 or call.min_countries > 0)
def minimum_composition(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    call = ctx.call
    counted = [o for o in ctx.full() if ctx.info(o) is not None and ctx.info(o).is_programme_country
               and o.country not in call.excluded_countries]
    countries = sorted({o.country for o in counted})
    values = {"action": call.action, "min_orgs": call.min_organisations, "min_countries": call.min_countries,
              "orgs": len(counted), "countries": len(countries),
              "list": both(sorted(ctx.name(c) for c in countries)) or "—"}
    if len(counted) < call.min_organisations or len(countries) < call.min_countries:
        return False, _("A %(action)s project needs at least %(min_orgs)d organisations from %(min_countries)d "
                        "different programme countries; associated partners and organisations from third "
                        "countries not associated to the programme do not count. Yours has %(orgs)d from "
                        "%(countries)d (%(list)s): add partners from other EU member states or associated "
                        "third countries.") % values
    return True, _("The consortium has %(orgs)d organisations from %(countries)d programme countries "
                   "(%(list)s); at least %(min_orgs)d from %(min_countries)d are needed.") % values


@rule("associated-partners.allowed", source=SECONDARY, field="organisations", section="partners",
      applies=lambda call: not call.associated_partners_allowed)
def associated_partners_allowed(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    bad = [o for o in ctx.orgs if o.role == ASSOCIATED_PARTNER]
    if bad:
        return False, _("This action has no associated partners; remove %(orgs)s or make them full "
                        "partners.") % {"orgs": refs(bad)}
    return True, _("There are no associated partners.")


@rule("composition.applicant-type", source=SECONDARY, field="organisations", section="partners",
      applies=lambda call: bool(call.applicant_types))
def applicant_type(ctx):
    if ctx.orgs is None or len(ctx.applicants()) != 1:
        return None, _("Choose one applicant organisation to check its type.")
    applicant = ctx.applicants()[0]
    if applicant.type is None:
        return None, _("Give the applicant's organisation type to check this rule.")
    allowed = either(type_label(t) for t in ctx.call.applicant_types)
    if applicant.type not in ctx.call.applicant_types:
        return False, _("The applicant must be of type %(allowed)s; %(org)s is of type %(type)s. Choose an "
                        "eligible organisation as applicant.") % {
            "allowed": allowed, "org": applicant.ref, "type": type_label(applicant.type)}
    return True, _("The applicant is of an eligible type (%(allowed)s).") % {"allowed": allowed}


@rule("composition.school-development", source=SECONDARY, field="organisations", section="partners",
      applies=lambda call: call.school_development is not None)
def school_development(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    sd = ctx.call.school_development
    full = ctx.full()
    if any(o.type is None for o in full):
        return None, _("Give every organisation's type to check the composition of schools and authorities.")
    authorities = Counter(o.country for o in full if o.type in sd.authority_types)
    schools = Counter(o.country for o in full if o.type in sd.school_types)
    short = sorted(c for c, n in authorities.items() if schools[c] < n * sd.min_schools_per_authority)
    values = {"countries": sd.min_authority_countries, "schools": sd.min_schools_per_authority,
              "found": len(authorities), "short": both(short)}
    if len(authorities) < sd.min_authority_countries:
        return False, _("The consortium needs school authorities or school coordinating bodies from at least "
                        "%(countries)d countries, each with at least %(schools)d schools of its country; "
                        "yours has them from %(found)d. Add an authority from another country with its "
                        "schools.") % values
    if short:
        return False, _("Each school authority or coordinating body needs at least %(schools)d schools of its "
                        "own country in the consortium; add schools from %(short)s.") % values
    return True, _("The consortium brings together school authorities from %(found)d countries, each with "
                   "its schools.") % values


@rule("agency.applicant-country", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: bool(call.agency_country))
def applicant_country(ctx):
    if ctx.orgs is None or len(ctx.applicants()) != 1:
        return None, _("Choose one applicant organisation to check where the application goes.")
    applicant = ctx.applicants()[0]
    values = {"agency": ctx.call.agency_code or ctx.call.agency_country, "country": ctx.call.agency_country,
              "org": applicant.ref, "org_country": applicant.country}
    if applicant.country != ctx.call.agency_country:
        return False, _("Applications go to the National Agency of the applicant's country; %(agency)s receives "
                        "applications from %(country)s, but the applicant %(org)s is from %(org_country)s. "
                        "Apply to the agency of %(org_country)s.") % values
    return True, _("The applicant is established in %(country)s, the country of %(agency)s.") % values


@rule("coordinator.established", source=SEED_002, field="organisations", section="partners",
      applies=lambda call: bool(call.coordinator_min_years) and call.deadline is not None)
def coordinator_established(ctx):
    if ctx.orgs is None or len(ctx.applicants()) != 1:
        return None, _("Choose one applicant organisation to check when it was established.")
    applicant = ctx.applicants()[0]
    if applicant.established_on is None:
        return None, _("Give the date the applicant was legally established to check this rule.")
    deadline_day = to_brussels(ctx.call.deadline).date()
    latest = years_before(deadline_day, ctx.call.coordinator_min_years)
    values = {"years": ctx.call.coordinator_min_years, "latest": latest.isoformat(),
              "established": applicant.established_on.isoformat(), "org": applicant.ref}
    if applicant.established_on > latest:
        return False, _("The applicant must have been legally established at least %(years)d years before the "
                        "deadline, that is on or before %(latest)s; %(org)s was established on %(established)s. "
                        "Choose an older organisation as applicant.") % values
    return True, _("The applicant was established on %(established)s, at least %(years)d years before the "
                   "deadline.") % values


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
    if not is_before_deadline(at, ctx.call.deadline):
        return False, _("The deadline was %(deadline)s (Brussels time); a submission at %(at)s is too late. If "
                        "technical problems stopped you, send screenshots to your National Agency within "
                        "2 hours.") % values
    return True, _("Submitted at %(at)s, before the deadline of %(deadline)s (Brussels time).") % values


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
