"""Rate limits (eplus.core.ratelimit, allauth's for the accounts): a clear 429 with Retry-After on the
public search, the public API, the open-data downloads, invitations, sign-up, log-in and password reset;
counted per address in the shared cache (Redis in production), higher for signed-in agency staff."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from eplus.core import ratelimit
from tests.factories import make_officer, make_user


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tight(settings):
    settings.RATE_LIMITS = {"search": "3/60", "api": "2/60", "opendata": "1/60", "invite": "1/3600"}
    settings.RATE_LIMIT_TRUSTED_FACTOR = 2
    return settings


def _hits(client, url, n, **params):
    return [client.get(url, params, REMOTE_ADDR="203.0.113.7") for _ in range(n)]


@pytest.mark.django_db
def test_public_search_api_and_open_data_answer_429_with_retry_after_over_the_limit(tight):
    client = Client()
    search = _hits(client, reverse("results:search"), 4, q="welding")
    assert [r.status_code for r in search] == [200, 200, 200, 429]
    assert 0 < int(search[-1]["Retry-After"]) <= 60
    assert "too many requests" in search[-1].content.decode().lower()
    api = _hits(client, "/api/v1/public/projects", 3)
    assert [r.status_code for r in api] == [200, 200, 429]
    assert "too many requests" in json.loads(api[-1].content)["detail"] and api[-1]["Retry-After"]
    downloads = _hits(client, reverse("opendata_csv"), 2)
    assert [r.status_code for r in downloads] == [200, 429]
    # Another address has its own count; the project pages are not limited.
    assert client.get(reverse("results:search"), REMOTE_ADDR="198.51.100.1").status_code == 200
    assert all(r.status_code == 404 for r in _hits(client, "/results/p/2024-1-LV01-KA220-VET-000000001/", 5))


@pytest.mark.django_db
def test_signed_in_agency_staff_get_more(tight, lv01):
    client = Client()
    client.force_login(make_officer("LV01"))
    assert [r.status_code for r in _hits(client, "/api/v1/public/projects", 5)] == [200, 200, 200, 200, 429]


def test_the_window_starts_again(tight, rf, monkeypatch):
    now = [1_000_040.0]  # 20 s into a minute
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert [ratelimit.retry_after(request, "api") for _ in range(3)] == [None, None, 40]
    now[0] += 40
    assert ratelimit.retry_after(request, "api") is None


def test_the_count_is_shared_through_redis(tight, rf, settings):
    """What several workers share in production: the counter lives in Redis (one round trip per hit)."""
    settings.CACHES = {"default": {"BACKEND": "eplus.core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/14"}}
    from django.core.cache import cache as redis_cache

    redis_cache.clear()
    request = rf.get("/", REMOTE_ADDR="203.0.113.10")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert [ratelimit.retry_after(request, "api") is None for _ in range(3)] == [True, True, False]
    key = redis_cache.make_and_validate_key(f"ratelimit:api:203.0.113.10:{int(ratelimit.time.time()) // 60}")
    client = redis_cache._cache.get_client(write=True)
    assert int(client.get(key)) == 3 and 0 < client.ttl(key) <= 61
    redis_cache.clear()


@pytest.mark.django_db
def test_sign_up_log_in_and_password_reset_are_limited_by_allauth_with_the_same_page(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip", "login": "2/m/ip",
                                    "reset_password": "2/m/ip"}
    client = Client()
    for url, data in ((reverse("account_signup"), {"email": "x@school.example"}),
                      (reverse("account_login"), {"login": "x@school.example", "password": "wrong"}),
                      (reverse("account_reset_password"), {"email": "x@school.example"})):
        answers = [client.post(url, data) for _ in range(3)]
        assert answers[-1].status_code == 429, url
        assert answers[-1]["Retry-After"] == "60" and "Too many requests" in answers[-1].content.decode()


@pytest.mark.django_db
def test_invitations_are_limited_per_address(tight, client, programme):
    from eplus.applications.creation import create_application
    from eplus.programme.models import Call
    from tests.factories import make_organisation

    coordinator = make_user()
    organisation = make_organisation("LV", member=coordinator)
    call = Call.objects.filter(action__code="KA220").order_by("-deadline").first()
    application = create_application(coordinator, organisation, call, "VET")
    client.force_login(coordinator)
    url = reverse("applications:share", args=[application.pk])
    first = client.post(url, {"email": "a@school.example", "level": "view"})
    second = client.post(url, {"email": "b@school.example", "level": "view"})
    assert first.status_code == 302 and second.status_code == 429 and second["Retry-After"]
