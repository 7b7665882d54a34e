"""Properties of the engine over generated consortia (hypothesis)."""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from eplus.core.time import brussels
from eplus.programme.rules import Organisation, OtherApplication, evaluate
from eplus.programme.rules.model import ORGANISATION_TYPES, ROLES

from .calls import COUNTRIES, KA210_VET, KA220_VET, KA240_SCH, call, ka210_application, ka220_application

CALLS = {"KA210": (call(KA210_VET), ka210_application), "KA220": (call(KA220_VET), ka220_application),
         "KA240": (call(KA240_SCH), ka220_application)}
POOL = ["LV", "LT", "EE", "PL", "DE", "TR", "UA", "AL", "RU", "BY", "CH", "QQ"]  # QQ: unknown to the data
OIDS = [f"E1000000{i}" for i in range(8)]

countries = st.sampled_from(POOL[:5]) | st.sampled_from(POOL)  # programme countries more often
oids = st.none() | st.sampled_from(OIDS)
established = st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 1, 1))
types = st.none() | st.sampled_from(ORGANISATION_TYPES)


@st.composite
def organisations(draw, min_size=1, max_size=7):
    size = draw(st.integers(min_size, max_size))
    orgs = []
    for i in range(size):
        role = "applicant" if i == 0 and draw(st.booleans()) else draw(st.sampled_from(ROLES))
        orgs.append(Organisation(ref=f"O{i}", country=draw(countries), role=role, type=draw(types),
                                 established_on=draw(established), oid=draw(oids)))
    return tuple(orgs)


@st.composite
def good_consortia(draw):
    """Consortia that meet the composition rules of KA210/KA220: LV applicant + partners elsewhere."""
    ids = draw(st.permutations(OIDS))
    partners = draw(st.lists(st.sampled_from(["LT", "EE", "PL", "DE", "TR"]), min_size=1, max_size=4, unique=True))
    orgs = [Organisation("O0", "LV", "applicant", "vet-provider", date(2001, 5, 4), ids[0])]
    orgs += [Organisation(f"O{i + 1}", c, "partner", draw(types), None, ids[i + 1]) for i, c in enumerate(partners)]
    return tuple(orgs)


others = st.none() | st.lists(st.builds(
    OtherApplication,
    id=st.none() | st.just("x"), action=st.sampled_from(["KA210", "KA220", "KA240"]),
    sector=st.sampled_from(["VET", "SCH", "HED", None]),
    deadline=st.sampled_from([brussels(2026, 3, 5), brussels(2026, 4, 9)]),
    agency_code=st.sampled_from(["LV01", "EE01"]), status=st.sampled_from(["submitted", "withdrawn"]),
    applicant_oid=st.sampled_from(OIDS), partner_oids=st.lists(st.sampled_from(OIDS), max_size=3).map(tuple),
), max_size=14)


@st.composite
def cases(draw):
    action = draw(st.sampled_from(sorted(CALLS)))
    rules, base = CALLS[action]
    app = base(
        organisations=draw(good_consortia() | organisations()),
        duration_months=draw(st.sampled_from([None, 12, 24, 36, 40])),
        start_date=draw(st.sampled_from([None, date(2026, 9, 1), date(2027, 2, 1)])),
    )
    lump_sum = draw(st.sampled_from(["keep", None, Decimal("200000.00")]))
    if lump_sum != "keep":
        app = app.__class__(**{**app.__dict__, "lump_sum": lump_sum})
    return app, rules, draw(st.none() | st.just(()) | others)


def verdict(app, rules, other_apps):
    return evaluate(app, rules, COUNTRIES, other_apps)


@settings(max_examples=400, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_the_verdict_never_depends_on_the_order_of_organisations(case, rnd):
    app, rules, other_apps = case
    shuffled = list(app.organisations)
    rnd.shuffle(shuffled)
    before = verdict(app, rules, other_apps)
    after = verdict(app.__class__(**{**app.__dict__, "organisations": tuple(shuffled)}), rules, other_apps)
    assert after == before  # same eligibility, same checks in the same order, same messages


@settings(max_examples=400, deadline=None)
@given(cases(), countries, oids, types, established, st.integers(0, 7))
def test_adding_an_associated_partner_never_makes_an_ineligible_consortium_eligible(
        case, country, oid, kind, est, position):
    app, rules, other_apps = case
    before = verdict(app, rules, other_apps)
    partner = Organisation(ref="NEW", country=country, role="associated-partner", type=kind,
                           established_on=est, oid=oid)
    orgs = list(app.organisations)
    orgs.insert(min(position, len(orgs)), partner)
    after = verdict(app.__class__(**{**app.__dict__, "organisations": tuple(orgs)}), rules, other_apps)
    if not before.eligible:
        assert not after.eligible, [c for c in before.errors]


@settings(max_examples=200, deadline=None)
@given(cases())
def test_eligible_exactly_when_no_evaluated_error_failed(case):
    result = verdict(*case)
    assert result.eligible == (not any(c.severity == "error" and c.passed is False for c in result.checks))
    assert all(c.passed in (True, False, None) and c.message and c.source for c in result.checks)


def test_generated_cases_cover_both_verdicts():
    """Guard against vacuous properties: the generator yields eligible and ineligible consortia."""
    seen = set()

    @settings(max_examples=300, deadline=None)
    @given(cases())
    def collect(case):
        seen.add(verdict(*case).eligible)

    collect()
    assert seen == {True, False}
