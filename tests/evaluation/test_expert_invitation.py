"""A newly registered expert gets an e-mail whose link confirms the address and sets the password (then
two-factor set-up is required); an existing account is told to log in; editing an expert sends nothing."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from eplus.accounts.models import User
from eplus.evaluation.experts import register_expert
from eplus.programme.models import Agency, AgencyMembership
from tests.accounts.conftest import STRONG_PASSWORD as PASSWORD
from tests.accounts.conftest import link_from, path_of

from . import factories as f

pytestmark = pytest.mark.django_db


def _link(message):
    return path_of(link_from(message))


def test_a_new_expert_sets_the_password_from_the_e_mail_and_must_set_up_mfa(client, programme):
    agency = Agency.objects.get(code="LV01")
    register_expert(agency, email="Vera.Reviewer@experts.example", first_name="Vera", last_name="Reviewer",
                             languages=["en"], sectors=["VET"], by=f.officer())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vera.reviewer@experts.example"]
    assert agency.name in message.subject and "Hello Vera" in message.body
    assert "two-factor authentication" in message.body

    page = client.get(_link(message))
    assert page.status_code == 200 and 'name="password1"' in page.content.decode()
    done = client.post(_link(message), {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    expert = User.objects.get(email="vera.reviewer@experts.example")
    assert expert.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=expert).verified is True
    assert client.session["_auth_user_id"] == str(expert.pk)
    # Experts must use two-factor authentication: their own pages send them to its set-up first.
    blocked = client.get(reverse("evaluation:expert_assignments"))
    assert blocked.status_code == 302 and "/2fa/" in blocked["Location"]


def test_editing_an_expert_sends_nothing_and_an_existing_account_is_told_to_log_in(programme):
    agency = Agency.objects.get(code="LV01")
    person = f.user(email_language="lv")
    register_expert(agency, email=person.email, first_name="E", last_name="X", sectors=["VET"])
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "/accounts/confirm-email/" not in body  # the account has a password: no link to set one
    assert reverse("account_login") in body
    assert "Sveiki" in body  # in the language the person chose for e-mails

    register_expert(agency, email=person.email, first_name="E", last_name="X", sectors=["VET", "ADU"])
    assert len(mail.outbox) == 1  # an edit

    AgencyMembership.objects.filter(user=person, role="expert").update(active=False)
    register_expert(agency, email=person.email, first_name="E", last_name="X", sectors=["VET"])
    assert len(mail.outbox) == 2  # re-activated: told again
