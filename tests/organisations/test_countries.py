"""Every ISO country can be chosen when registering (issue 13, item 10), with its Latvian name on Latvian pages."""

from django.utils import translation

from eplus.organisations.forms import AddressForm
from eplus.organisations.registration import validate_registration


def test_registration_offers_every_country_with_its_latvian_name(programme):
    field = AddressForm().fields["country"]
    labels = dict((str(value), label) for value, label in field.choices)
    assert len(labels) >= 250  # every ISO 3166-1 country and Kosovo, plus the empty choice
    assert labels["RE"] == "Réunion" and labels["LV"] == "Latvia"
    with translation.override("lv"):
        labels = {str(value): label for value, label in AddressForm().fields["country"].choices}
    assert labels["LV"] == "Latvija" and labels["DE"] == "Vācija"


def test_an_organisation_of_a_country_in_no_programme_region_can_register(programme):
    data = validate_registration({
        "legal_name": "Fictional Saint-Denis College", "legal_form": "Association", "organisation_type": "ngo",
        "date_established": "2001-01-01", "country": "re", "street": "1 rue Exemple", "postcode": "97400",
        "city": "Saint-Denis", "registration_number": "RE-12345", "email": "info@example.org",
        "phone": "+262 262 000 000", "contact_name": "A. Example", "contact_email": "a@example.org",
    })
    assert data["country"].code == "RE" and data["country"].status == "not-eligible"
