"""The rules on the participating organisations: countries, composition, types, agency, establishment."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.core.time import to_brussels

from .model import (
    ASSOCIATED_PARTNER, CERTIFIED, NOT_ELIGIBLE, REJECTED,
)
from .registry import (
    GUIDE, REFERENCE, REFERENCE_ORGANISATIONS, SECONDARY, SEED_002, _needs_orgs, both, either, refs, role_label,
    rule, type_label, years_before,
)


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
        if info.status == NOT_ELIGIBLE:
            problems.append(_("%(org)s from %(country)s cannot take part: the programme places this country in "
                              "none of its regions") % {"org": org.ref, "country": ctx.name(org.country)})
        elif org.role not in call.third_country_roles:
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


@rule("organisations.not-rejected", source=REFERENCE_ORGANISATIONS, field="organisations", section="partners")
def not_rejected(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    rejected = [o for o in ctx.orgs if o.status == REJECTED]
    if rejected:
        return False, ngettext(
            "The national agency rejected the registration of %(orgs)s: a rejected organisation cannot take part "
            "in any role. Remove it from the application.",
            "The national agency rejected the registrations of %(orgs)s: rejected organisations cannot take part "
            "in any role. Remove them from the application.",
            len(rejected)) % {"orgs": refs(rejected)}
    return True, _("No organisation's registration has been rejected.")


def _needs_certified_oid(call, org, info):
    if org.role not in call.certified_oid_roles:
        return False
    if call.certified_oid_types and org.type not in call.certified_oid_types:
        return False
    return not call.certified_oid_programme_only or (info is not None and info.is_programme_country)


@rule("organisations.certified-oid", source=GUIDE, field="organisations", section="partners",
      applies=lambda call: bool(call.certified_oid_roles))
def certified_oid(ctx):
    if ctx.orgs is None:
        return None, _needs_orgs(ctx)
    needed = [o for o in ctx.orgs if _needs_certified_oid(ctx.call, o, ctx.info(o))]
    if any(o.status is None for o in needed):
        return None, _("Give the registration status of the organisations to check whether their OIDs are "
                       "certified.")
    uncertified = [o for o in needed if o.status != CERTIFIED]
    if uncertified:
        return False, ngettext(
            "This call requires an OID certified by the national agency for %(orgs)s, and its registration is "
            "not certified yet. Ask the national agency to validate it, or replace the organisation.",
            "This call requires OIDs certified by the national agency for %(orgs)s, and their registrations are "
            "not certified yet. Ask the national agency to validate them, or replace the organisations.",
            len(uncertified)) % {"orgs": refs(uncertified)}
    return True, _("Every organisation that needs a certified OID in this call has one.")


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
