"""The PIC beside the OID (issue 13, item 7): 9 digits, validated with a clear message, recorded by the
organisation's managers on its page (audited), shown there, used for the centralised actions."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eplus.core.models import AuditEvent
from eplus.organisations.forms import PicForm, SearchForm
from eplus.organisations.models import Role
from eplus.organisations.pic import set_pic
from eplus.organisations.templatetags.organisations_tags import identifier_for
from eplus.programme.identifiers import is_oid, normalise_oid, validate_oid, validate_pic
from tests.factories import make_organisation, make_user

PIC = "949123456"


@pytest.mark.parametrize("value, fragment", [
    ("94912345", "exactly 9 digits"),       # 8 digits
    ("9491234567", "exactly 9 digits"),     # 10 digits
    ("94912345A", "digits only"),           # a letter
    ("PIC949123", "digits only"),
])
def test_pic_validation_refuses_with_a_clear_message(value, fragment):
    with pytest.raises(ValidationError) as info:
        validate_pic(value)
    assert fragment in " ".join(info.value.messages)
    form = PicForm({"pic": value})
    assert not form.is_valid() and fragment in " ".join(form.errors["pic"])


def test_pic_validation_accepts_nine_digits_with_spaces():
    assert validate_pic(" 949 123 456 ") == PIC
    assert PicForm({"pic": "949-123-456"}).is_valid()


def test_one_oid_rule():
    assert normalise_oid(" e1023 4567") == "E10234567"
    assert validate_oid("e10234567") == "E10234567" and is_oid("e10234567")
    for bad in ("E1234567", "E123456789", "X10234567", "", None):
        assert not is_oid(bad)
    with pytest.raises(ValidationError):
        validate_oid("E1234")
    form = SearchForm({"oid": "e10234567"})
    assert form.is_valid() and form.cleaned_data["oid"] == "E10234567"


@pytest.mark.django_db
def test_set_pic_is_audited_and_unique(lv):
    user = make_user()
    organisation = make_organisation(member=user)
    set_pic(organisation, "949 123 456", user)
    organisation.refresh_from_db()
    assert organisation.pic == PIC
    event = AuditEvent.objects.filter(verb="set-pic", object_id=str(organisation.pk)).get()
    assert event.actor == user and event.changes["pic"][1] == PIC
    other = make_organisation()
    with pytest.raises(ValidationError) as info:
        set_pic(other, PIC, user)
    assert PIC in " ".join(info.value.message_dict["pic"])
    set_pic(organisation, "", user)
    organisation.refresh_from_db()
    assert organisation.pic == ""


@pytest.mark.django_db
def test_pic_form_on_the_organisations_page(client, lv):
    user = make_user()
    organisation = make_organisation(member=user, role=Role.CONTACT_PERSON)
    client.force_login(user)
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert reverse("organisations:pic", args=[organisation.oid]) in page and 'name="pic"' in page
    url = reverse("organisations:pic", args=[organisation.oid])
    response = client.post(url, {"pic": "94912345"})
    content = response.content.decode()
    assert response.status_code == 200 and "error-summary" in content and "exactly 9 digits" in content
    assert 'value="94912345"' in content  # what was typed is kept
    response = client.post(url, {"pic": PIC})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.pic == PIC
    client.logout()
    assert PIC in client.get(organisation.get_absolute_url()).content.decode()  # shown on its public page


@pytest.mark.django_db
def test_only_managers_record_the_pic(client, lv):
    organisation = make_organisation(member=make_user())
    member = make_user()
    organisation.memberships.create(user=member, role=Role.MEMBER)
    client.force_login(member)
    response = client.post(reverse("organisations:pic", args=[organisation.oid]), {"pic": PIC})
    assert response.status_code in (403, 404)
    organisation.refresh_from_db()
    assert organisation.pic == ""


@pytest.mark.django_db
def test_centralised_actions_show_the_pic(lv):
    class Action:
        def __init__(self, centralised):
            self.is_centralised = centralised

    organisation = make_organisation(pic=PIC)
    assert identifier_for(organisation, Action(True)) == f"PIC {PIC}"
    assert identifier_for(organisation, Action(False)) == organisation.oid
    assert identifier_for(make_organisation(), Action(True)).startswith("E")  # no PIC recorded: its OID
