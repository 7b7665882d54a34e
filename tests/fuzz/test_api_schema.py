"""schemathesis against the OpenAPI schema the app serves (/api/v1/openapi.json, the NinjaAPI of
eplus.api.urls): every operation, with schema-conforming (positive) and schema-violating (negative) data from
the examples, coverage and fuzzing phases, sent in-process to the Django WSGI application — no server to start.

Checks: no server error, every status code documented, the documented content type, the response body
conforms to the documented schema, and schema-violating input is refused. The operations behind a log-in
run signed in as the world's person for them (the API has no tokens of its own: its signed-in clients use the
session, with the CSRF token in ``X-CSRFToken`` for writes), so they reach the real objects as well as
random identifiers. Bounded and deterministic: a fixed seed, derandomised, ``MAX_EXAMPLES`` per operation.
"""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_schema_conformance, status_code_conformance,
)

from .world import log_in

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
CSRF = "FuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz"  # a 32-character secret: the cookie and the header carry it alike
CONFIG = {
    "seed": 20261125,
    # The session cookie is not generated: the test sends the world's (see `sessions`); signed out, every
    # operation behind a log-in is called once by test_signed_out_every_protected_operation_answers_401.
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
}
# Who calls which operation (by path prefix): the person whose objects it lists; the rest anonymously.
CALLERS = {"/api/v1/applications/": "coordinator", "/api/v1/projects/": "coordinator",
           "/api/v1/agency/cases": "officer", "/api/v1/agency/assignments": "expert"}


class InProcess:
    """The project's WSGI application, as gunicorn serves it. Like Django's test client, it keeps the test's
    database connection open between requests (the request signals would close it, and the test's
    transaction with it): see :func:`keep_the_connection`."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        from django.core import signals
        from django.db import close_old_connections

        environ.setdefault("REMOTE_ADDR", "127.0.0.1")  # as gunicorn sets it (the rate limits count by address)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            return self.handler(environ, start_response)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


# Loaded when the tests are collected (Django is set up then): one test per operation of the served schema.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", InProcess(),
                                        config=schemathesis.Config.from_dict(CONFIG))
REAL = {}  # path parameters of the world's own objects, set by the `sessions` fixture before generation


def _real(params):
    """The world's own object for each path parameter of the right type (a value of another type is what a
    negative case is about, so it is kept)."""
    if not isinstance(params, dict):
        return params
    return {name: REAL[name] if name in REAL and type(value) is type(REAL[name]) else value
            for name, value in params.items()}


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the identifiers are the world's own objects, so that the operations find something."""
    return st.one_of(strategy, strategy.map(_real))


@pytest.fixture
def sessions(api_world):
    """Session cookie per role, made by logging the world's people in; the world's object identifiers."""
    from django.test import Client

    world = api_world
    REAL.update(pk=world.objects["draft"].pk, project_id=world.objects["project"].pk,
                identifier=world.objects["public"].identifier, key="context")
    yield {role: log_in(Client(), world.people[role]).cookies["sessionid"].value for role in set(CALLERS.values())}
    REAL.clear()


def caller_for(path):
    return next((role for prefix, role in CALLERS.items() if path.startswith(prefix)), None)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the world is made once per operation
def test_every_operation_answers_as_documented(case, sessions):
    role = caller_for(case.operation.full_path)
    cookies = {"csrftoken": CSRF, **({"sessionid": sessions[role]} if role else {})}
    case.call_and_validate(cookies=cookies, headers={"X-CSRFToken": CSRF}, checks=CHECKS)


PROTECTED = [operation for operation in (result.ok() for result in schema.get_all_operations())
             if operation.definition.raw.get("security")]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", PROTECTED, ids=lambda operation: operation.label)
def test_signed_out_every_protected_operation_answers_401(operation):
    params = {"pk": 1, "key": "context", "project_id": 1}
    names = re.findall(r"{(\w+)}", operation.path)
    body = {"body": {"data": {}, "base_version": 0}} if operation.method == "put" else {}
    case = operation.Case(path_parameters={name: params[name] for name in names} or None, **body)
    response = case.call_and_validate(cookies={"csrftoken": CSRF}, headers={"X-CSRFToken": CSRF}, checks=CHECKS)
    assert response.status_code == 401


def test_the_schema_covers_every_operation_of_the_api():
    """The fuzzed schema is the served one: every operation the routers define is in it."""
    from eplus.api.urls import api

    defined = {(method.upper(), f"/api/v1{prefix.rstrip('/')}/{path.lstrip('/')}".replace("{int:", "{").rstrip("/"))
               for prefix, router in api._routers for path, view in router.path_operations.items()
               for operation in view.operations for method in operation.methods}
    served = {(operation.method.upper(), operation.full_path.rstrip("/"))
              for operation in (result.ok() for result in schema.get_all_operations())}
    assert defined and defined == served


# --- the self-check: the same checks and transport catch a server error and a schema violation -----------

@pytest.fixture
def broken_api(settings):
    settings.ROOT_URLCONF = "tests.fuzz.selfcheck_urls"
    return schemathesis.openapi.from_wsgi("/selfcheck/openapi.json", InProcess(),
                                          config=schemathesis.Config.from_dict(CONFIG))


@pytest.mark.django_db
def test_the_checks_catch_a_server_error_and_an_undocumented_answer(broken_api):
    operation = broken_api["/selfcheck/divide"]["GET"]
    fine = operation.Case(query={"by": 2})
    fine.call_and_validate(checks=CHECKS)
    with pytest.raises(FailureGroup, match="Server error"):
        operation.Case(query={"by": 0}).call_and_validate(checks=CHECKS)
    with pytest.raises(FailureGroup, match="Response violates schema|Undocumented"):
        operation.Case(query={"by": -1}).call_and_validate(checks=CHECKS)
