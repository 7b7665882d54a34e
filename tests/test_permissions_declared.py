"""Permissions live in the apps' rules.py and every view declares the one it needs (issue 10)."""

import re
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver

SRC = Path(__file__).resolve().parent.parent / "src" / "eplus"

# Access helpers that once decided access outside rules.py; none may come back.
ACCESS_HELPERS = ("has_level", "can_edit", "access_level", "officer_required", "_agency_only", "_editable",
                  "_reviewable", "_mine_or_agency")


def _patterns(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        else:
            yield pattern


def test_every_view_declares_its_permission():
    undeclared = sorted(
        f"{view.__module__}.{view.__name__}" for view in (p.callback for p in _patterns(get_resolver().url_patterns))
        if view.__module__.startswith("eplus.")
        and not hasattr(view, "permission"))
    assert not undeclared, "use core.permissions.permission_required or public on: " + ", ".join(undeclared)


def test_declared_permissions_are_registered_rules():
    import rules

    declared = {view.permission for view in (p.callback for p in _patterns(get_resolver().url_patterns))
                if getattr(view, "permission", None)}
    assert declared
    missing = sorted(name for name in declared if not rules.perm_exists(name))
    assert not missing, missing


def test_access_is_decided_only_in_rules_modules():
    pattern = re.compile(rf"^\s*def ({'|'.join(ACCESS_HELPERS)})\(", re.M)
    found = {f"{path.relative_to(SRC).as_posix()}:{name}" for path in SRC.rglob("*.py") if path.name != "rules.py"
             for name in pattern.findall(path.read_text())}
    assert not found, f"decide access with a rules predicate in the app's rules.py instead: {sorted(found)}"


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in_by_a_declared_permission(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _asks_permission(func, depth=1):
    """``func`` calls ``has_perm``, itself or through a helper of its module (one level down)."""
    import inspect

    if "has_perm(" in inspect.getsource(func):
        return True
    helpers = (func.__globals__.get(name) for name in func.__code__.co_names)
    return depth > 0 and any(inspect.isfunction(h) and h.__module__ == func.__module__ and _asks_permission(h, 0)
                             for h in helpers)


def test_every_signed_in_api_operation_checks_a_permission():
    """An API operation that needs a session asks a rules permission, as the pages do: scoping the
    queryset alone would answer a user without the role with an empty list instead of a refusal."""
    from eplus.api.urls import api

    unchecked = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if operation.auth_callbacks and not _asks_permission(operation.view_func):
                    unchecked.append(f"{operation.view_func.__module__}.{operation.view_func.__name__}")
    assert not unchecked, f"call request.user.has_perm(...) (directly or through a loader) in: {sorted(unchecked)}"
