import re

import pytest
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.core.management import CommandError, call_command
from io import StringIO

from eplus.demo.loader import DEMO_TOTP_SECRET


def test_demo_code_prints_a_code_the_demo_authenticator_accepts(settings):
    settings.PRODUCTION = False
    out = StringIO()
    call_command("demo_code", stdout=out)
    text = out.getvalue()
    match = re.match(r"(\d{6})  \(TOTP of secret (\S+), valid about 30 seconds\)", text)
    assert match, text
    assert match.group(2) == DEMO_TOTP_SECRET
    # the printed code is the one a demo staff member can type at the MFA prompt
    assert validate_totp_code(DEMO_TOTP_SECRET, match.group(1))


def test_demo_code_refuses_in_production_and_prints_no_code(settings):
    settings.PRODUCTION = True
    out = StringIO()
    with pytest.raises(CommandError, match="demo only"):
        call_command("demo_code", stdout=out)
    assert out.getvalue() == ""
