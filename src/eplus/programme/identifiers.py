"""The programme's identifiers of organisations (DOMAIN §2): one rule for each, used everywhere.

- OID (organisation ID, actions managed by national agencies): ``E`` + 8 digits, e.g. ``E10234567``.
- PIC (participant identification code, centralised actions): 9 digits, e.g. ``949123456``.

Every form, API router, search and the eligibility engine's input parser normalises and checks these
with the functions below, so ``e12345678`` and `` E1234 5678 `` are the same OID everywhere.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

OID_RE = re.compile(r"^E\d{8}$")
PIC_RE = re.compile(r"^\d{9}$")
_SPACES = re.compile(r"[\s\-]")


def normalise_oid(value):
    """The OID as stored: upper-case, without spaces or dashes (``" e1023-4567"`` → ``"E10234567"``).

    Does not check the shape; see :func:`is_oid` and :func:`validate_oid`.
    """
    return _SPACES.sub("", value if isinstance(value, str) else "").upper()


def is_oid(value):
    """Whether ``value`` is an OID once normalised."""
    return bool(OID_RE.match(normalise_oid(value)))


def oid_message():
    return gettext("An OID is the letter E followed by 8 digits, for example E10234567.")


def validate_oid(value):
    """The normalised OID, or a ValidationError saying what an OID looks like."""
    oid = normalise_oid(value)
    if not OID_RE.match(oid):
        raise ValidationError(oid_message(), code="invalid_oid")
    return oid


def normalise_pic(value):
    """The PIC as stored: digits without spaces or dashes (``"949 123 456"`` → ``"949123456"``)."""
    return _SPACES.sub("", value if isinstance(value, str) else "")


def is_pic(value):
    """Whether ``value`` is a PIC once normalised."""
    return bool(PIC_RE.match(normalise_pic(value)))


def validate_pic(value):
    """The normalised PIC (9 digits), or a ValidationError saying what is wrong."""
    pic = normalise_pic(value)
    if not pic.isdigit():
        raise ValidationError(
            gettext("A PIC has digits only (9 of them, for example 949123456); remove the letters and other signs."),
            code="invalid_pic",
        )
    if len(pic) != 9:
        raise ValidationError(
            gettext("A PIC has exactly 9 digits (for example 949123456); you typed %(count)s.") % {"count": len(pic)},
            code="invalid_pic",
        )
    return pic
