import pytest

from eplus.accounts.models import User
from eplus.programme.scoping import for_agency_staff, is_agency_staff
from eplus.programme.models import Agency, AgencyMembership, Country


@pytest.mark.django_db
def test_agency_staff_only_query_their_own_agency():
    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    lt = Country.objects.create(code="LT", name="Lithuania", status="eu-member")
    lv01 = Agency.objects.create(code="LV01", name="LV agency", country=lv)
    lt01 = Agency.objects.create(code="LT01", name="LT agency", country=lt)
    officer = User.objects.create_user("o@example.org", first_name="O", last_name="O")
    expert = User.objects.create_user("e@example.org", first_name="E", last_name="E")
    applicant = User.objects.create_user("a@example.org", first_name="A", last_name="A")
    AgencyMembership.objects.create(user=officer, agency=lv01, role="officer")
    AgencyMembership.objects.create(user=expert, agency=lv01, role="expert")

    assert list(for_agency_staff(Agency.objects.all(), officer, agency_path="pk")) == [lv01]
    assert list(for_agency_staff(Country.objects.all(), officer, agency_path="agencies")) == [lv]
    assert lt01 not in for_agency_staff(Agency.objects.all(), officer, agency_path="pk")
    # Experts and applicants are not agency staff: they see nothing through the staff scope.
    assert not for_agency_staff(Agency.objects.all(), expert, agency_path="pk").exists()
    assert not for_agency_staff(Agency.objects.all(), applicant, agency_path="pk").exists()
    assert is_agency_staff(officer) and not is_agency_staff(expert)
