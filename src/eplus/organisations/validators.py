"""Validators for organisation data: VAT and registration numbers, postcodes, websites.

Numbers are checked with python-stdnum where it knows the country; elsewhere only their shape is
checked (letters, digits and separators). Each validator returns the *normalised* value (compact
number, upper-case postcode) or raises a ``ValidationError`` whose message tells the user what to fix.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError as StdnumError

# Registration-number modules of python-stdnum, by ISO country code (only where stdnum has one).
REGISTRATION_MODULES = {
    "AT": "stdnum.at.businessid",
    "DK": "stdnum.dk.cvr",
    "EE": "stdnum.ee.registrikood",
    "FI": "stdnum.fi.ytunnus",
    "FR": "stdnum.fr.siren",
    "HR": "stdnum.hr.oib",
    "LV": "stdnum.lv.pvn",  # the 11-digit registration number of Latvian legal entities
    "NO": "stdnum.no.orgnr",
    "PL": "stdnum.pl.regon",
    "SE": "stdnum.se.orgnr",
    "SI": "stdnum.si.maticna",
}

# VAT prefixes that differ from the ISO country code.
VAT_PREFIX = {"GR": "EL"}
# Countries outside the EU VAT area whose VAT numbers stdnum can still check.
NON_EU_VAT_MODULES = {"NO": "stdnum.no.mva"}

# Postcode shapes where we know them: (regex on the normalised value, example shown to the user).
POSTCODES = {
    "LV": (r"LV-\d{4}", "LV-1050"),
    "LT": (r"LT-\d{5}", "LT-01100"),
    "EE": (r"\d{5}", "10111"),
    "DE": (r"\d{5}", "10115"),
    "FI": (r"\d{5}", "00100"),
    "FR": (r"\d{5}", "75001"),
    "IT": (r"\d{5}", "00184"),
    "ES": (r"\d{5}", "28001"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "SE": (r"\d{3} \d{2}", "111 22"),
    "NL": (r"\d{4} [A-Z]{2}", "1011 AB"),
    "AT": (r"\d{4}", "1010"),
    "BE": (r"\d{4}", "1000"),
    "DK": (r"\d{4}", "1050"),
    "NO": (r"\d{4}", "0150"),
    "CZ": (r"\d{3} \d{2}", "110 00"),
    "SK": (r"\d{3} \d{2}", "811 01"),
    "PT": (r"\d{4}-\d{3}", "1000-001"),
}

_GENERIC_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 ./\-]{0,39}$")


def compact(value):
    """Upper-case, without spaces, dots, dashes and slashes."""
    return re.sub(r"[\s.\-/]", "", (value or "")).upper()


def _module(path):
    import importlib

    return importlib.import_module(path)


def _stdnum_message(exc, what):
    if isinstance(exc, InvalidChecksum):
        return _("This %(what)s is not valid: its check digit does not match. Check for a typing mistake.") % {"what": what}
    if isinstance(exc, InvalidLength):
        return _("This %(what)s has the wrong number of characters.") % {"what": what}
    if isinstance(exc, InvalidComponent):
        return _("This %(what)s is not valid: some of its digits are not possible. Check for a typing mistake.") % {"what": what}
    if isinstance(exc, InvalidFormat):
        return _("This %(what)s is not in the expected format.") % {"what": what}
    return _("This %(what)s is not valid.") % {"what": what}


def validate_vat_number(value, country_code):
    """A VAT number of an organisation in ``country_code``; returns it compact with its prefix.

    The country prefix may be left out (it is added); a number of another country is refused.
    """
    number = compact(value)
    if not number:
        return ""
    country_code = (country_code or "").upper()
    prefix = VAT_PREFIX.get(country_code, country_code)
    what = _("VAT number")
    if country_code in NON_EU_VAT_MODULES:
        module = _module(NON_EU_VAT_MODULES[country_code])
        try:
            return module.validate(number)
        except StdnumError as exc:
            raise ValidationError(_stdnum_message(exc, what), code="invalid_vat") from exc
    from stdnum.eu import vat

    if country_code.lower() not in vat.MEMBER_STATES:
        if not _GENERIC_NUMBER.match(number):
            raise ValidationError(_("Use only letters and digits in the VAT number."), code="invalid_vat")
        return number
    if number[:2].isalpha():
        if number[:2] != prefix:
            raise ValidationError(
                _("This VAT number starts with %(given)s but the organisation is in %(country)s: "
                  "its VAT number starts with %(prefix)s.") % {"given": number[:2], "country": country_code, "prefix": prefix},
                code="vat_country",
            )
    else:
        number = prefix + number
    try:
        return vat.validate(number)
    except StdnumError as exc:
        raise ValidationError(_stdnum_message(exc, what), code="invalid_vat") from exc


def validate_registration_number(value, country_code):
    """A national registration number; checked with stdnum where it has a module for the country."""
    number = compact(value)
    if not number:
        raise ValidationError(_("Enter the registration number of the organisation."), code="required")
    path = REGISTRATION_MODULES.get((country_code or "").upper())
    if path is None:
        if not _GENERIC_NUMBER.match(number):
            raise ValidationError(
                _("Use only letters, digits, spaces, dots, dashes and slashes in the registration number."),
                code="invalid_registration_number",
            )
        return number
    try:
        return _module(path).compact(_module(path).validate(number))
    except StdnumError as exc:
        raise ValidationError(_stdnum_message(exc, _("registration number")), code="invalid_registration_number") from exc


def validate_postcode(value, country_code):
    """A postcode in the shape of the country where we know it (e.g. LV-1050); returns it normalised."""
    code = re.sub(r"\s+", " ", (value or "").strip().upper())
    if not code:
        raise ValidationError(_("Enter the postcode."), code="required")
    country_code = (country_code or "").upper()
    known = POSTCODES.get(country_code)
    if known is None:
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9 \-]{1,11}", code):
            raise ValidationError(_("Use only letters, digits, spaces and dashes in the postcode."), code="invalid_postcode")
        return code
    pattern, example = known
    candidate = code
    # Accept the Baltic postcodes without their country prefix ("1050" → "LV-1050").
    if country_code in ("LV", "LT") and re.fullmatch(r"\d+", code):
        candidate = f"{country_code}-{code}"
    elif country_code in ("LV", "LT") and re.fullmatch(rf"{country_code} ?\d+", code):
        candidate = f"{country_code}-{code[2:].strip()}"
    if not re.fullmatch(pattern, candidate):
        raise ValidationError(
            _("Enter a postcode in the form used in this country, for example %(example)s.") % {"example": example},
            code="invalid_postcode",
        )
    return candidate


def validate_website(value):
    """An http(s) address; "www.example.org" gets "https://" in front. Returns the normalised URL."""
    url = (value or "").strip()
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            _("Enter a website address such as https://www.example.org."), code="invalid_url"
        ) from None
    return url
