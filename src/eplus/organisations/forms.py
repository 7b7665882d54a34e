"""Forms of the registration wizard, search, members and agency validation.

Each wizard step has its own form; values are stored in the draft exactly as typed and validated
again, all together, when the registration is completed.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eplus.programme.identifiers import validate_oid, validate_pic
from eplus.programme.models import Country

from . import validators
from .models import OrganisationType, Role

STEPS = [
    ("identity", _("Identity")),
    ("address", _("Address and country")),
    ("numbers", _("Registration numbers and website")),
    ("contact", _("Contact")),
    ("review", _("Review and confirm")),
]
STEP_KEYS = [key for key, _label in STEPS]

PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,24}$")
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def validate_phone(value):
    if not PHONE.match((value or "").strip()):
        raise ValidationError(_("Enter a phone number using digits, spaces and an optional + in front, for example +371 67 123 456."))


class CountryField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Country.objects.all(), to_field_name="code", empty_label=_("Choose a country"),
            error_messages={
                "invalid_choice": _("Choose the country from the list."),
                "required": _("Choose the country where the organisation is legally established."),
            },
            **kwargs,
        )

    def label_from_instance(self, obj):
        return obj.display_name  # the Latvian name on Latvian pages


class IdentityForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=255,
                                 help_text=_("The full official name, as in the registration document."),
                                 error_messages={"required": _("Enter the legal name of the organisation.")})
    business_name = forms.CharField(label=_("Business name"), max_length=255, required=False,
                                    help_text=_("The name the organisation uses publicly, if different."))
    legal_form = forms.CharField(label=_("Legal form"), max_length=100,
                                 help_text=_("For example: association, foundation, limited company, municipal institution."),
                                 error_messages={"required": _("Enter the legal form of the organisation.")})
    organisation_type = forms.ChoiceField(
        label=_("Organisation type"), choices=[("", _("Choose a type"))] + list(OrganisationType.choices),
        error_messages={"required": _("Choose the type of organisation."),
                        "invalid_choice": _("Choose the type of organisation from the list.")},
    )
    public_private = forms.ChoiceField(
        label=_("Public or private"),
        choices=[("", _("Choose one")), ("public", _("Public body")), ("private", _("Private body"))],
        error_messages={"required": _("Say whether the organisation is a public or a private body.")},
    )
    non_profit = forms.ChoiceField(
        label=_("Is the organisation non-profit?"), choices=[("", _("Choose one"))] + YES_NO,
        error_messages={"required": _("Say whether the organisation is non-profit.")},
    )
    date_established = forms.DateField(
        label=_("Date of establishment"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The date the organisation was legally established. Pick it in the calendar or type it "
                    "as the field shows it."),
        error_messages={"required": _("Enter the date of establishment."),
                        "invalid": _("Enter the date of establishment as YYYY-MM-DD, for example 2015-09-01.")},
    )

    def clean_date_established(self):
        value = self.cleaned_data["date_established"]
        if value > timezone.localdate():
            raise ValidationError(_("The date of establishment cannot be in the future."))
        if value.year < 800:
            raise ValidationError(_("Check the year of establishment."))
        return value


class AddressForm(forms.Form):
    country = CountryField(label=_("Country"))
    street = forms.CharField(label=_("Street and number"), max_length=255,
                             error_messages={"required": _("Enter the street and number of the legal address.")})
    postcode = forms.CharField(label=_("Postcode"), max_length=16,
                               help_text=_("As it is written in the organisation's country, for example LV-1050 in Latvia or 10115 in "
                                           "Germany."),
                               error_messages={"required": _("Enter the postcode.")})
    city = forms.CharField(label=_("City"), max_length=100, error_messages={"required": _("Enter the city.")})
    region = forms.CharField(label=_("Region"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        country = data.get("country")
        if country is not None and data.get("postcode"):
            try:
                data["postcode"] = validators.validate_postcode(data["postcode"], country.pk)
            except ValidationError as exc:
                self.add_error("postcode", exc)
        return data


class NumbersForm(forms.Form):
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=40,
        help_text=_("The number in the national register of companies, associations or institutions."),
        error_messages={"required": _("Enter the registration number of the organisation.")},
    )
    vat_number = forms.CharField(label=_("VAT number"), max_length=40, required=False,
                                 help_text=_("Leave empty if the organisation has no VAT number. For example LV40003245752."))
    website = forms.CharField(label=_("Website"), max_length=200, required=False,
                              help_text=_("For example https://www.example.org."))

    def __init__(self, *args, country_code="", **kwargs):
        super().__init__(*args, **kwargs)
        self.country_code = country_code

    def clean_registration_number(self):
        value = self.cleaned_data["registration_number"]
        return validators.validate_registration_number(value, self.country_code) if self.country_code else validators.compact(value)

    def clean_vat_number(self):
        value = self.cleaned_data["vat_number"]
        return validators.validate_vat_number(value, self.country_code) if self.country_code else validators.compact(value)

    def clean_website(self):
        return validators.validate_website(self.cleaned_data["website"])


class ContactForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the organisation"),
                             help_text=_("A shared organisational mailbox keeps working when staff change."),
                             error_messages={"required": _("Enter the organisation's e-mail address."),
                                             "invalid": _("Enter an e-mail address such as info@example.org.")})
    phone = forms.CharField(label=_("Phone of the organisation"), max_length=40, validators=[validate_phone],
                            error_messages={"required": _("Enter the organisation's phone number.")})
    registrant_role = forms.ChoiceField(
        label=_("Your role in the organisation"),
        choices=[("", _("Choose one")), (Role.LEGAL_REPRESENTATIVE.value, Role.LEGAL_REPRESENTATIVE.label),
                 (Role.CONTACT_PERSON.value, Role.CONTACT_PERSON.label)],
        error_messages={"required": _("Say whether you are the legal representative or the contact person.")},
    )
    contact_is_me = forms.ChoiceField(
        label=_("Who is the contact person?"),
        choices=[("", _("Choose one")), ("me", _("I am the contact person")), ("other", _("Another person"))],
        error_messages={"required": _("Say who the contact person is.")},
    )
    contact_name = forms.CharField(label=_("Contact person's name"), max_length=200, required=False,
                                   help_text=_("Only if the contact person is another person."))
    contact_email = forms.EmailField(label=_("Contact person's e-mail"), required=False,
                                     error_messages={"invalid": _("Enter an e-mail address such as name@example.org.")})
    contact_phone = forms.CharField(label=_("Contact person's phone"), max_length=40, required=False)

    def clean(self):
        data = super().clean()
        if data.get("contact_is_me") == "other":
            if not data.get("contact_name"):
                self.add_error("contact_name", _("Enter the contact person's name."))
            if not data.get("contact_email") and "contact_email" not in self.errors:
                self.add_error("contact_email", _("Enter the contact person's e-mail address."))
        if data.get("contact_phone"):
            try:
                validate_phone(data["contact_phone"])
            except ValidationError as exc:
                self.add_error("contact_phone", exc)
        return data


class ReviewForm(forms.Form):
    confirm_correct = forms.BooleanField(
        label=_("I confirm that the information above is correct and that I may register this organisation."),
        error_messages={"required": _("Tick the box to confirm that the information is correct.")},
    )
    confirm_different = forms.BooleanField(
        label=_("My organisation is not one of the organisations listed above; register it anyway."), required=False,
    )

    def __init__(self, *args, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = list(duplicates)
        if not self.duplicates:
            del self.fields["confirm_different"]

    def clean_confirm_different(self):
        value = self.cleaned_data.get("confirm_different")
        if self.duplicates and not value:
            raise ValidationError(_("Similar organisations are already registered. Check them, and tick the box only if yours is a different one."))
        return value


STEP_FORMS = {"identity": IdentityForm, "address": AddressForm, "numbers": NumbersForm, "contact": ContactForm}


def country_code_of(draft_data):
    code = ((draft_data or {}).get("address") or {}).get("country", "")
    code = (code or "").strip().upper()
    return code if Country.objects.filter(pk=code).exists() else ""


def step_form(step, draft_data=None, data=None, initial=None):
    """The form of a wizard step, bound to ``data`` if given."""
    form_class = STEP_FORMS[step]
    kwargs = {"initial": initial}
    if form_class is NumbersForm:
        kwargs["country_code"] = country_code_of(draft_data)
    if data is not None:
        return form_class(data, **kwargs)
    return form_class(**kwargs)


def raw_values(step, post):
    """What the user typed on a step, field by field (unticked boxes/radios as empty)."""
    return {name: post.get(name, "") for name in STEP_FORMS[step].base_fields}


def collect_registration(draft, user):
    """Validate every step of a draft; returns (organisation fields, registrant role, {step: form with errors})."""
    fields, invalid, cleaned = {}, {}, {}
    for step in STEP_FORMS:
        form = step_form(step, draft.data, data=(draft.data or {}).get(step, {}))
        if form.is_valid():
            cleaned[step] = form.cleaned_data
        else:
            invalid[step] = form
    if invalid:
        return None, None, invalid
    identity, address, numbers, contact = (cleaned[s] for s in ("identity", "address", "numbers", "contact"))
    fields.update(
        legal_name=identity["legal_name"], business_name=identity["business_name"], legal_form=identity["legal_form"],
        organisation_type=identity["organisation_type"], is_public=identity["public_private"] == "public",
        non_profit=identity["non_profit"] == "yes", date_established=identity["date_established"],
        country=address["country"], street=address["street"], postcode=address["postcode"], city=address["city"],
        region=address["region"], registration_number=numbers["registration_number"],
        vat_number=numbers["vat_number"], website=numbers["website"], email=contact["email"], phone=contact["phone"],
    )
    if contact["contact_is_me"] == "me":
        fields.update(contact_name=user.get_full_name() or user.email, contact_email=user.email,
                      contact_phone=contact["contact_phone"])
    else:
        fields.update(contact_name=contact["contact_name"], contact_email=contact["contact_email"],
                      contact_phone=contact["contact_phone"])
    return fields, contact["registrant_role"], {}


class SearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False,
                           help_text=_("Small spelling mistakes are tolerated."))
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.all(), to_field_name="code", required=False,
        empty_label=_("Any country"), error_messages={"invalid_choice": _("Choose the country from the list.")},
    )
    oid = forms.CharField(label=_("Organisation ID (OID)"), max_length=12, required=False,
                          help_text=_("E followed by 8 digits, for example E10234567."))
    registration_number = forms.CharField(label=_("Registration number"), max_length=40, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=40, required=False)

    def clean_oid(self):
        value = self.cleaned_data["oid"]
        return validate_oid(value) if value.strip() else ""


class PicForm(forms.Form):
    pic = forms.CharField(
        label=_("Participant identification code (PIC)"), max_length=20, required=False,
        help_text=_("9 digits, for example 949123456. The centralised actions of the executive agency "
                    "identify organisations by their PIC. Leave empty to remove it."),
    )

    def clean_pic(self):
        value = self.cleaned_data["pic"]
        return validate_pic(value) if value.strip() else ""


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person to invite"),
                             error_messages={"required": _("Enter the e-mail address of the person to invite."),
                                             "invalid": _("Enter an e-mail address such as name@example.org.")})
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices,
                             error_messages={"invalid_choice": _("Choose a role from the list.")})


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices,
                             error_messages={"invalid_choice": _("Choose a role from the list.")})


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
        help_text=_("The organisation's members will read this reason in the e-mail."),
        error_messages={"required": _("Give the reason for the rejection: the organisation will read it.")},
    )
