import time
from datetime import date

import pytest
from django.core import mail

from eplus.accounts.models import User
from eplus.organisations.models import Membership, Organisation, Role
from eplus.organisations.services import issue_oid
from eplus.programme.models import Agency, AgencyMembership, Country

VALID_LV_VAT = "LV40003245752"
VALID_LV_REG = "40003245752"


def make_country(code, name):
    return Country.objects.get_or_create(code=code, defaults={"name": name, "status": "eu-member"})[0]


_counter = {"n": 0}


def make_user(email=None, **extra):
    _counter["n"] += 1
    email = email or f"person{_counter['n']}@example.org"
    extra.setdefault("first_name", "Ilze")
    extra.setdefault("last_name", f"Tester{_counter['n']}")
    return User.objects.create_user(email, password="Correct-Horse-9", **extra)


def make_organisation(country, *, legal_name="Riga Technical School", member=None, role=Role.LEGAL_REPRESENTATIVE, **extra):
    _counter["n"] += 1
    fields = dict(
        legal_name=legal_name, legal_form="Association", organisation_type="vet-provider",
        date_established=date(2010, 1, 1), street="Brivibas iela 1", postcode="LV-1010", city="Riga",
        registration_number=f"REG{_counter['n']:06d}", email="info@example.org", phone="+371 67 000 000",
        contact_name="Ilze Tester", contact_email="contact@example.org",
    )
    fields.update(extra)
    organisation = Organisation.objects.create(oid=issue_oid(), country=country, **fields)
    if member is not None:
        Membership.objects.create(organisation=organisation, user=member, role=role)
    return organisation


def make_officer(agency):
    officer = make_user()
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    # Agency staff must use MFA (accounts middleware): give them an authenticator.
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=officer, type=Authenticator.Type.TOTP, data={"secret": "test"})
    return officer


def mark_reauthenticated(client, user):
    """Make allauth consider the session recently (re-)authenticated."""
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email,
                                                   "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def lv(db):
    return make_country("LV", "Latvia")


@pytest.fixture
def lt(db):
    return make_country("LT", "Lithuania")


@pytest.fixture
def lv01(lv):
    return Agency.objects.create(code="LV01", name="Latvian agency (fictional)", country=lv)


@pytest.fixture
def lt01(lt):
    return Agency.objects.create(code="LT01", name="Lithuanian agency (fictional)", country=lt)


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
