"""Read replicas (eplus.core.replica) with a second PostgreSQL database standing in for the replica: a copy
of the primary taken with pg_dump, then left behind (the primary changes, the copy does not) — the way a
lagging replica looks. Public read-only pages, search, the API and open data read the copy; signed-in pages
and every write use the primary; right after a public change, public pages read the primary."""

import csv
import io
import subprocess

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.urls import reverse

from eplus.core import replica
from eplus.results.models import ProjectCard
from eplus.results.page_cache import bump_public_cache

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")]


def _dsn(name=None):
    db = connection.settings_dict
    return {"host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or 5432), "user": db["USER"],
            "dbname": name or db["NAME"]}


@pytest.fixture
def lagging_replica(settings, card):
    """A replica holding the primary's rows as of now; the primary's later changes do not reach it."""
    primary = _dsn()
    name = f"{primary['dbname']}_replica"
    with psycopg.connect(**_dsn("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    args = ["-h", primary["host"], "-p", primary["port"], "-U", primary["user"]]
    dump = subprocess.run(["pg_dump", *args, "--no-owner", primary["dbname"]], capture_output=True, check=True)
    subprocess.run(["psql", "-q", *args, "-v", "ON_ERROR_STOP=1", name], input=dump.stdout, capture_output=True,
                   check=True)
    # Kept open (CONN_MAX_AGE None): the test case allows only connections opened by the test itself.
    alias_settings = {**connection.settings_dict, "NAME": name, "CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": False}
    settings.DATABASES = {**settings.DATABASES, replica.REPLICA: alias_settings}
    connections.settings[replica.REPLICA] = alias_settings
    connections[replica.REPLICA].connect()
    cache.clear()
    try:
        yield name
    finally:
        connections[replica.REPLICA].close()
        del connections.settings[replica.REPLICA]
        with psycopg.connect(**_dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _csv_titles(response):
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [row[table[0].index("Project Title")] for row in table[1:]]


def test_public_pages_read_the_replica_and_signed_in_pages_the_primary(client, card, coordinator_user,
                                                                       lagging_replica):
    old_title = card.title
    ProjectCard.objects.filter(pk=card.pk).update(title="Renamed on the primary")  # not yet on the replica
    page = client.get(reverse("results:project", args=[card.identifier])).content.decode()
    assert old_title in page and "Renamed on the primary" not in page
    api = client.get(f"/api/v1/public/projects/{card.identifier}").json()
    assert api["title"] == old_title
    assert _csv_titles(client.get(reverse("opendata_csv"), {"country": "LT"})) == [old_title]  # streamed
    assert old_title in client.get(reverse("results:search"), {"q": "welding"}).content.decode()
    # A signed-in page reads the primary (and the user and session come from the primary).
    client.force_login(coordinator_user)
    edit = client.get(reverse("results:edit", args=[card.identifier])).content.decode()
    assert "Renamed on the primary" in edit


def test_after_a_public_change_public_pages_read_the_primary_until_the_replica_caught_up(
        client, card, lagging_replica, settings):
    ProjectCard.objects.filter(pk=card.pk).update(title="Renamed on the primary")
    bump_public_cache()
    page = client.get(reverse("results:project", args=[card.identifier])).content.decode()
    assert "Renamed on the primary" in page, "read from the primary: the replica may not have the change yet"
    # Once the lag allowance has passed, the (still lagging) replica is read again.
    bump_public_cache()
    cache.delete(replica._HOLD_KEY)
    assert "Renamed on the primary" not in client.get(reverse("results:project", args=[card.identifier])).content.decode()


def test_writes_always_go_to_the_primary():
    router = replica.ReplicaRouter()
    token = replica._read_alias.set(replica.REPLICA)
    try:
        assert router.db_for_read(ProjectCard) == replica.REPLICA
        assert router.db_for_write(ProjectCard) == "default"
        assert router.allow_migrate(replica.REPLICA, "results") is False
    finally:
        replica._read_alias.reset(token)
    assert router.db_for_read(ProjectCard) is None  # outside a replica-reading view: the primary
