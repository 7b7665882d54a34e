"""Country names in the reader's language (issue 13): a Latvian page names the countries in Latvian
(Country.name_lv), an English page in English — the reading view of an application, the expert's
declaration, the applicant's organisations section and the eligibility messages."""

import pytest
from django.urls import reverse
from django.utils import translation

from eplus.applications.creation import create_application
from eplus.applications.models import Participation
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign
from eplus.evaluation.models import AssignmentRole
from eplus.programme.models import Action, Call, Country
from eplus.programme.services import NoAgency, agency_for
from tests.factories import log_in_reauthenticated, make_organisation, make_user

from . import factories as f

pytestmark = pytest.mark.django_db
LV = {"HTTP_ACCEPT_LANGUAGE": "lv"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}



def test_display_name_follows_the_active_language(programme):
    estonia = Country.objects.get(code="EE")
    assert (estonia.name, estonia.name_lv) == ("Estonia", "Igaunija")
    assert estonia.display_name == "Estonia"
    with translation.override("lv"):
        assert estonia.display_name == "Igaunija"
        assert Country.names(["EE", "LT", "XX"]) == {"EE": "Igaunija", "LT": "Lietuva"}
        Country.objects.filter(code="EE").update(name_lv="")
        assert Country.names(["EE"]) == {"EE": "Estonia"}  # no Latvian name: the English one
    assert Country.names(["LT"]) == {"LT": "Lithuania"}


def test_the_reading_view_and_the_declaration_name_countries_in_the_readers_language(client, programme):
    case = f.opened_case()  # partners from Estonia and Lithuania
    officer = f.officer()
    confirm_formal_check(case, True, "Checked by hand in the test.", officer)
    expert = f.expert()
    assignment = assign(case, expert, AssignmentRole.FIRST, officer)
    log_in_reauthenticated(client, officer)
    url = reverse("evaluation:case_application", args=[case.pk])
    english, latvian = client.get(url, **EN).content.decode(), client.get(url, **LV).content.decode()
    assert "<td>Estonia</td>" in english and "<td>Lithuania</td>" in english and "Igaunija" not in english
    assert "<td>Igaunija</td>" in latvian and "<td>Lietuva</td>" in latvian and "<td>Estonia</td>" not in latvian
    log_in_reauthenticated(client, expert)
    url = reverse("evaluation:assessment", args=[assignment.pk])  # the declaration comes first
    english, latvian = client.get(url, **EN).content.decode(), client.get(url, **LV).content.decode()
    assert "<td>Estonia</td>" in english and "Igaunija" not in english
    assert "<td>Igaunija</td>" in latvian and "<td>Estonia</td>" not in latvian


def test_the_applicants_organisations_section_names_countries_in_the_readers_language(client, programme):
    user = make_user()
    applicant = make_organisation(member=user, certified=True)
    call = Call.objects.get(year=2027, action__code="KA220", round=1)
    application = create_application(user, applicant, call, "VET")
    Participation.objects.create(application=application, organisation=make_organisation("EE", certified=True),
                                 role="partner", order=1)
    client.force_login(user)
    url = reverse("applications:section", args=[application.pk, "organisations"])
    english, latvian = client.get(url, **EN).content.decode(), client.get(url, **LV).content.decode()
    assert "<td>Estonia</td>" in english and "<td>Latvia</td>" in english and "Igaunija" not in english
    assert "<td>Igaunija</td>" in latvian and "<td>Latvija</td>" in latvian and "<td>Estonia</td>" not in latvian


def test_the_eligibility_message_names_the_country_in_the_readers_language(programme):
    action = Action.objects.get(code="KA220")
    Country.objects.filter(code="DE").update(status=Country.Status.NON_ASSOCIATED)
    with translation.override("en"), pytest.raises(NoAgency, match="Germany"):
        agency_for("DE", action, "VET")
    with translation.override("lv"), pytest.raises(NoAgency, match="Vācija"):
        agency_for("DE", action, "VET")
