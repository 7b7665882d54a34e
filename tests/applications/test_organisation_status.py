"""The organisation's registration status in the rules (issue 13, item 7): a rejected organisation neither
applies nor is added as a partner; a call can require certified OIDs (KA220-HED); partners by PIC."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eplus.applications.creation import create_application
from eplus.applications.models import Application, Participation
from eplus.applications.partners import add_participant
from eplus.organisations.models import Organisation
from eplus.programme.models import Call
from eplus.programme.services import certified_oid_roles, requires_certified_oid
from tests.factories import make_organisation

REJECTED = Organisation.Status.REJECTED


def _reject(organisation, reason="The registration number belongs to another organisation."):
    organisation.status, organisation.status_reason = REJECTED, reason
    organisation.save(audit_verb="reject")
    return organisation


# --- a rejected organisation ----------------------------------------------------------------------

def test_rejected_organisation_cannot_apply(clock, ka220, applicant_org, coordinator):
    _reject(applicant_org)
    with pytest.raises(ValidationError) as info:
        create_application(coordinator, applicant_org, ka220, "VET")
    message = " ".join(info.value.message_dict["organisation"])
    assert "Fictional Riga VET School" in message and applicant_org.oid in message
    assert "rejected its registration" in message
    assert "belongs to another organisation" in message  # its own members read the agency's reason
    assert not Application.objects.exists()


def test_rejected_organisation_cannot_be_added_as_partner(application, coordinator, partners):
    rejected = _reject(partners[1])
    for role in ("partner", "associated-partner"):
        with pytest.raises(ValidationError) as info:
            add_participant(application, rejected.oid, role, coordinator)
        message = " ".join(info.value.message_dict["oid"])
        assert "Fictional Tartu Centre" in message and rejected.oid in message and "rejected" in message
        assert "belongs to another organisation" not in message  # the agency's reason stays with the organisation
    assert not Participation.objects.filter(organisation=rejected).exists()
    # an organisation under validation may still be a partner (DOMAIN §3)
    assert add_participant(application, partners[0].oid, "partner", coordinator).organisation == partners[0]


def test_rejected_applicant_refused_by_the_create_page(client, clock, ka220, applicant_org, coordinator):
    _reject(applicant_org)
    client.force_login(coordinator)
    response = client.post(reverse("applications:create"), {"organisation": applicant_org.oid, "call": f"{ka220.pk}:VET"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content and "rejected its registration" in content
    assert "Fictional Riga VET School" in content
    assert not Application.objects.exists()


def test_rejected_partner_refused_by_the_organisations_page(client, application, coordinator, partners):
    rejected = _reject(partners[1])
    client.force_login(coordinator)
    url = reverse("applications:section", args=[application.pk, "organisations"])
    response = client.post(url, {"oid": rejected.oid.lower(), "role": "partner"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content and "rejected its registration" in content and rejected.oid in content
    assert 'value="%s"' % rejected.oid.lower() in content  # what was typed is kept
    assert not Participation.objects.filter(organisation=rejected).exists()


def test_partner_oid_typed_in_lower_case_is_found(application, coordinator, partners):
    participation = add_participant(application, " " + partners[0].oid.lower(), "partner", coordinator)
    assert participation.organisation == partners[0]


# --- a call requiring certified OIDs ------------------------------------------------------------

@pytest.fixture
def hed_university(programme):
    return make_organisation("LT", legal_name="Fictional Kaunas University", organisation_type="higher-education")


def test_ka220_hed_data_requires_certified_oids(ka220):
    assert set(certified_oid_roles(ka220, "HED")) == {"applicant", "partner"}
    assert certified_oid_roles(ka220, "VET") == ()
    assert requires_certified_oid(ka220, "HED", "partner", "higher-education", "LT")
    assert not requires_certified_oid(ka220, "HED", "associated-partner", "higher-education", "LT")
    assert not requires_certified_oid(ka220, "HED", "partner", "ngo", "LT")
    assert not requires_certified_oid(ka220, "HED", "partner", "higher-education", "UA")  # not a programme country


def test_call_requiring_certified_oids_refuses_an_uncertified_partner(clock, ka220, coordinator, hed_university):
    applicant = make_organisation("LV", member=coordinator, legal_name="Fictional Riga University",
                                  organisation_type="higher-education", certified=True)
    application = create_application(coordinator, applicant, ka220, "HED")
    with pytest.raises(ValidationError) as info:
        add_participant(application, hed_university.oid, "partner", coordinator)
    message = " ".join(info.value.message_dict["oid"])
    assert "Fictional Kaunas University" in message and "certified" in message and "under validation" in message
    assert not Participation.objects.filter(organisation=hed_university).exists()
    # once the agency certifies it, it may take part
    hed_university.status = Organisation.Status.CERTIFIED
    hed_university.save(audit_verb="certify")
    assert add_participant(application, hed_university.oid, "partner", coordinator).organisation == hed_university


def test_call_requiring_certified_oids_refuses_an_uncertified_applicant(clock, ka220, coordinator):
    applicant = make_organisation("LV", member=coordinator, legal_name="Fictional Riga University",
                                  organisation_type="higher-education")
    with pytest.raises(ValidationError) as info:
        create_application(coordinator, applicant, ka220, "HED")
    assert "certified" in " ".join(info.value.message_dict["organisation"])
    # the same organisation may apply in a field where the call has no such rule
    assert create_application(coordinator, applicant, ka220, "ADU").applicant == applicant


def test_certified_oid_rule_is_data_of_each_call(clock, ka220, coordinator, hed_university):
    """Changing the call's data (as an administrator would) changes the rule: here every role, every field."""
    ka220.composition = dict(ka220.composition, certified_oid={"roles": ["applicant", "partner", "associated-partner"]})
    ka220.full_clean()
    ka220.save(audit_verb="edit")
    applicant = make_organisation("LV", member=coordinator, certified=True)
    application = create_application(coordinator, applicant, Call.objects.get(pk=ka220.pk), "VET")
    ngo = make_organisation("EE", legal_name="Fictional Tallinn Association", organisation_type="ngo")
    with pytest.raises(ValidationError):
        add_participant(application, ngo.oid, "associated-partner", coordinator)


def test_invalid_certified_oid_rule_is_refused_by_the_call_check(ka220):
    ka220.composition = dict(ka220.composition, certified_oid={"roles": ["coordinator"]})
    with pytest.raises(ValidationError) as info:
        ka220.full_clean()
    assert "certified_oid" in str(info.value)


# --- the same rules at submission (the engine's checks) ------------------------------------------

def test_a_partner_rejected_after_it_was_added_blocks_the_submission(application, coordinator, partners):
    from eplus.applications.eligibility import evaluate

    add_participant(application, partners[1].oid, "partner", coordinator)
    check = next(c for c in evaluate(application).checks if c.rule == "organisations.not-rejected")
    assert check.passed is True
    _reject(partners[1])
    check = next(c for c in evaluate(Application.objects.get(pk=application.pk)).checks
                 if c.rule == "organisations.not-rejected")
    assert check.passed is False and check.severity == "error" and "Fictional Tartu Centre" in check.message


def test_certified_oid_check_at_submission(clock, ka220, coordinator, hed_university):
    from eplus.applications.eligibility import evaluate

    applicant = make_organisation("LV", member=coordinator, legal_name="Fictional Riga University",
                                  organisation_type="higher-education", certified=True)
    application = create_application(coordinator, applicant, ka220, "HED")
    check = next(c for c in evaluate(application).checks if c.rule == "organisations.certified-oid")
    assert check.passed is True
    # the applicant's certification withdrawn by an administrator's edit: the check now fails
    Organisation.objects.filter(pk=applicant.pk).update(status=Organisation.Status.UNDER_VALIDATION)
    check = next(c for c in evaluate(Application.objects.get(pk=application.pk)).checks
                 if c.rule == "organisations.certified-oid")
    assert check.passed is False and "Fictional Riga University" in check.message
    vet = create_application(coordinator, make_organisation("LV", member=coordinator, certified=True), ka220, "VET")
    assert "organisations.certified-oid" not in {c.rule for c in evaluate(vet).checks}  # not a rule of VET
