"""OpenID Connect providers from the ``EPLUS_OIDC_PROVIDERS`` environment variable.

The value is a JSON list; each item describes one identity provider (EU Login, an agency's own)::

    [{"provider_id": "eulogin", "name": "EU Login", "client_id": "...", "secret": "...",
      "server_url": "https://webgate.ec.europa.eu/cas/oauth2"}]

Optional keys: ``token_auth_method`` ("client_secret_post" / "client_secret_basic"),
``fetch_userinfo`` (default true), ``scope`` (list, default openid profile email).
This module imports nothing from Django so that settings can use it.
"""

import json

REQUIRED = ("provider_id", "client_id", "server_url")
OPTIONAL_SETTINGS = ("token_auth_method", "fetch_userinfo", "oauth_pkce_enabled")


class OIDCConfigurationError(ValueError):
    pass


def apps_from_json(text):
    """allauth ``SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]`` entries for the JSON ``text``."""
    try:
        items = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise OIDCConfigurationError(f"EPLUS_OIDC_PROVIDERS is not valid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise OIDCConfigurationError("EPLUS_OIDC_PROVIDERS must be a JSON list of objects.")
    apps, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise OIDCConfigurationError(f"EPLUS_OIDC_PROVIDERS item {index} must be an object.")
        missing = [key for key in REQUIRED if not item.get(key)]
        if missing:
            raise OIDCConfigurationError(
                f"EPLUS_OIDC_PROVIDERS item {index} lacks: {', '.join(missing)}."
            )
        if item["provider_id"] in seen:
            raise OIDCConfigurationError(f"EPLUS_OIDC_PROVIDERS has provider_id {item['provider_id']!r} twice.")
        seen.add(item["provider_id"])
        app_settings = {"server_url": item["server_url"]}
        for key in OPTIONAL_SETTINGS:
            if key in item:
                app_settings[key] = item[key]
        app = {
            "provider_id": item["provider_id"],
            "name": item.get("name", item["provider_id"]),
            "client_id": item["client_id"],
            "secret": item.get("secret", ""),
            "settings": app_settings,
        }
        if item.get("scope"):
            app["settings"]["scope"] = list(item["scope"])
        apps.append(app)
    return apps
