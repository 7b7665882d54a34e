"""Each demo person's home page has something to do at once (./run demo prints their log-ins)."""

import re

import pytest
from django.urls import reverse

from eplus.demo.loader import load_demo

pytestmark = pytest.mark.django_db

WAITING = re.compile(r'class="queue-item queue-item-waiting" data-queue="[\w-]+" data-count="[1-9]\d*"')


@pytest.fixture
def demo(programme):
    return {spec.key: user for spec, user in load_demo()}


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_every_demo_role_has_a_task_on_its_home_page(client, demo):
    for staff in ("officer", "admin"):
        assert WAITING.search(home(client, demo[staff])), f"the demo {staff} has nothing waiting"
    expert = home(client, demo["expert"])
    assert re.search(r'href="/agency/expert/\d+/"', expert), "the demo expert has no assignment"
    for person in ("applicant", "partner"):
        page = home(client, demo[person])
        assert re.search(r'href="/applications/\d+/"', page), f"the demo {person} has no application to work on"
