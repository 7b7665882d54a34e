import pytest
from django.urls import reverse
from freezegun import freeze_time

from eplus.programme.models import BudgetEnvelope, Call


@pytest.mark.django_db
@freeze_time("2026-01-10 09:00:00")
def test_calls_page_lists_open_calls_with_brussels_and_local_time(client, programme):
    response = client.get(reverse("programme:calls"))
    assert response.status_code == 200
    page = response.content.decode()
    open_part, _, closed_part = page.partition('id="closed-title"')
    assert '<time datetime="2026-03-05T11:00:00+00:00"' in open_part
    assert "5 Mar 2026, 12:00 CET" in open_part
    assert "1 Oct 2026, 12:00 CEST" in open_part
    assert "9 Apr 2026, 12:00 CEST" in open_part
    assert 'class="local-time"' in open_part
    assert "30\u202f000.00 EUR" in open_part and "400\u202f000.00 EUR" in open_part
    assert "European Universities" in closed_part and "European Universities" not in open_part
    # Each local-time slot has a unique id.
    ids = [chunk.split('"')[0] for chunk in page.split('id="deadline-')[1:]]
    assert len(ids) == len(set(ids)) == Call.objects.count()


@pytest.mark.django_db
@freeze_time("2028-06-01")  # after the last (provisional 2027) deadline
def test_calls_page_when_no_call_is_open(client, programme):
    page = client.get(reverse("programme:calls")).content.decode()
    assert "No call is open at the moment." in page


@pytest.mark.django_db
def test_calls_page_queries_do_not_grow_with_the_number_of_calls(client, programme, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("programme:calls"))
    BudgetEnvelope.objects.all().delete()
    Call.objects.exclude(pk=Call.objects.first().pk).delete()
    with django_assert_num_queries(len(many.captured_queries)):
        client.get(reverse("programme:calls"))


@pytest.mark.django_db
@freeze_time("2026-01-10 09:00:00")
def test_dashboard_shows_upcoming_deadlines(client, programme):
    from eplus.accounts.models import User

    user = User.objects.create_user("anna@school.example", password="Str0ng-Passw0rd!", first_name="Anna",
                                    last_name="Ozola")
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "KA210" in page and "5 Mar 2026, 12:00 CET" in page
