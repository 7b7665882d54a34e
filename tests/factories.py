"""Test data shared by every app's tests: people, organisations and agency staff (factory_boy), and a PDF.

``make_user``/``make_organisation``/``make_officer`` are the short forms the tests call; the factories
hold the defaults. Every user, organisation number and e-mail is unique within the session.
"""

import time
from datetime import date

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory

from eplus.accounts.models import User
from eplus.organisations.models import Membership, Organisation, Role
from eplus.organisations.registration import issue_oid
from tests.samples import PDF  # the apps' tests take it from here

PASSWORD = "Correct-Horse-9"


def pdf_file(name="declaration.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = PASSWORD
    first_name = "Ilze"
    last_name = factory.Sequence(lambda n: f"Tester{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)  # hashes the password, normalises the e-mail


class OrganisationFactory(DjangoModelFactory):
    """An organisation under validation (``certified=True``: certified) in Latvia unless told otherwise;
    ``member=user`` (and ``member__role``) makes the user its legal representative."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    class Params:
        certified = factory.Trait(status=Organisation.Status.CERTIFIED)

    oid = factory.LazyFunction(issue_oid)
    country_id = "LV"
    legal_name = factory.Sequence(lambda n: f"Fictional VET School {n}")
    legal_form = "Association"
    organisation_type = "vet-provider"
    date_established = date(2010, 1, 1)
    street = "Brivibas iela 1"
    postcode = "LV-1010"
    city = "Riga"
    registration_number = factory.Sequence(lambda n: f"REG{n:06d}")
    email = factory.Sequence(lambda n: f"org{n}@example.org")
    phone = "+371 67 000 000"
    contact_name = "Ilze Tester"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.org")

    @factory.post_generation
    def member(organisation, create, user, role=Role.LEGAL_REPRESENTATIVE, **_kwargs):
        if user is not None:
            Membership.objects.create(organisation=organisation, user=user, role=role)


def make_user(email=None, **fields):
    if email is not None:
        fields["email"] = email
    return UserFactory(**fields)


def make_organisation(country="LV", legal_name=None, member=None, role=Role.LEGAL_REPRESENTATIVE, **fields):
    """``country``: a code or a Country."""
    if legal_name is not None:
        fields["legal_name"] = legal_name
    return OrganisationFactory(country_id=getattr(country, "pk", country), member=member, member__role=role,
                               **fields)


def make_country(code, name):
    """A country for tests without the programme's reference data."""
    from eplus.programme.models import Country

    return Country.objects.get_or_create(code=code, defaults={"name": name, "status": "eu-member"})[0]


def with_mfa(person):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={"secret": "test"})
    return person


def make_officer(agency="LV01", email=None):
    """An officer of ``agency`` (a code or an Agency) with an authenticator: agency staff must use MFA."""
    from eplus.programme.models import Agency, AgencyMembership

    if isinstance(agency, str):
        agency = Agency.objects.get(code=agency)
    officer = make_user(email)
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    return with_mfa(officer)


def mark_reauthenticated(client, user):
    """Make allauth consider the session recently (re-)authenticated: the sensitive actions then run."""
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email,
                                                   "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def log_in_reauthenticated(client, user):
    """Log ``client`` in as ``user`` with a fresh (re-)authentication."""
    client.force_login(user)
    mark_reauthenticated(client, user)
    return client
