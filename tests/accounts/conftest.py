import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

STRONG_PASSWORD = "Kalns-Upe-2026"


def make_user(email="anna.berzina@school.example", password=STRONG_PASSWORD, verified=True, **extra):
    from eplus.accounts.models import User

    extra.setdefault("first_name", "Anna")
    extra.setdefault("last_name", "Bērziņa")
    user = User.objects.create_user(email=email, password=password, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def link_from(message):
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def path_of(url):
    from urllib.parse import urlsplit

    return urlsplit(url).path


@pytest.fixture
def user(db):
    return make_user()


@pytest.fixture
def outbox():
    """The e-mails sent (tests/conftest.py empties it and sends mail there for every test)."""
    return mail.outbox
