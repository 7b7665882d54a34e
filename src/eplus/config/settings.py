"""eplus settings: one module, driven by environment variables.

Development and the demo run with no environment at all (SQLite, DEBUG on, e-mail to the console).
Production sets ``EPLUS_ENV=production`` plus ``SECRET_KEY``, ``DATABASE_URL``, ``ALLOWED_HOSTS``
and the mail settings; see docs/deployment.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from eplus.config.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent  # src/eplus
REPO_DIR = BASE_DIR.parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


EPLUS_ENV = env("EPLUS_ENV", "development")
PRODUCTION = EPLUS_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
SECRET_KEY = env("SECRET_KEY") or (
    "dev-only-insecure-key-" + "x" * 40 if not PRODUCTION else None
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when EPLUS_ENV=production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Every link in an e-mail is built from SITE_URL (mail is sent by the task worker, outside any request).
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT', '8000')}")
# The agency operating this site, shown on the home page and in the footer: its code in the programme data
# (its name comes from there), a logo (a static path or an https URL) and its web site. The EU emblem is
# shown only when the operator sets OPERATOR_EU_EMBLEM (the emblem's rules of use are the operator's to meet).
OPERATOR_AGENCY = env("OPERATOR_AGENCY", "LV01")
OPERATOR_LOGO = env("OPERATOR_LOGO", "")
OPERATOR_URL = env("OPERATOR_URL", "")
OPERATOR_EU_EMBLEM = env("OPERATOR_EU_EMBLEM", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "csp",
    "eplus.core",
    "eplus.programme",
    "eplus.accounts",
    "eplus.organisations",
    "eplus.applications",
    "eplus.evaluation",
    "eplus.projects",
    "eplus.results",
    "eplus.api",
    "eplus.home",
    "eplus.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "eplus.core.middleware.RefuseControlCharactersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "eplus.core.middleware.AuditActorMiddleware",
    "eplus.accounts.middleware.SessionTimeoutMiddleware",
    "eplus.accounts.middleware.EnforceStaffMFAMiddleware",
    "eplus.accounts.middleware.RequirePrivacyAcceptanceMiddleware",
]

ROOT_URLCONF = "eplus.config.urls"
WSGI_APPLICATION = "eplus.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eplus.home.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# SQLite is the zero-set-up default for the demo; PostgreSQL (DATABASE_URL) is the database of record.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{REPO_DIR / 'var' / 'eplus.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# A read replica (eplus.core.replica): the public read-only pages read it; everything else the primary.
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(env("DATABASE_REPLICA_URL"), conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
                                                 conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["eplus.core.replica.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG_SECONDS = int(env("DATABASE_REPLICA_MAX_LAG_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and background jobs --------------------------------------------------------------
# Production runs several processes (gunicorn workers, task workers): the cache holds what they must
# share — log-in lockout counters, rate limits, the public pages' cache version — so it is Redis there.
REDIS_URL = env("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    raise RuntimeError(
        "REDIS_URL must be set when EPLUS_ENV=production (e.g. redis://127.0.0.1:6379/0): the log-in lockout, "
        "the rate limits and the public page cache are shared by every worker through it")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "eplus.core.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions stay durable in the database and are read from Redis: one database query fewer per request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work goes through Django's tasks API. In production the default is the database queue
# (`./run worker` runs it); at scale TASKS_BACKEND=rq puts the queue in Redis with RQ workers. The
# immediate backend (the task runs in the caller's process, after the commit) is for the demo and tests.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.backend.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS_BACKEND = env("TASKS_BACKEND", "database" if PRODUCTION else "immediate")
TASKS_BACKEND = TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND)  # a name above or a dotted path
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
# The task worker's nice value (0 = as the web): background work yields the CPU to the pages on a shared machine.
WORKER_NICENESS = int(env("WORKER_NICENESS", "10"))
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600}}
if TASKS_BACKEND == TASK_BACKENDS["rq"]:
    TASKS["default"]["QUEUES"] = ["default"]
# The full open-data files are rebuilt this long after the first change of the public data that they
# miss (changes meanwhile go into the same build: an import of 40 000 cards makes one build, not 40 000).
OPEN_DATA_BUILD_DELAY_SECONDS = int(env("OPEN_DATA_BUILD_DELAY_SECONDS", "60"))
# A replaced open-data file stays this long, longer than a signed URL handed out just before (SIGNED_URL_SECONDS).
OPEN_DATA_REPLACED_FILE_KEEP_SECONDS = int(env("OPEN_DATA_REPLACED_FILE_KEEP_SECONDS", "300"))

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "eplus.accounts.password_validation.EplusPasswordValidator",
        "OPTIONS": {
            "min_length": int(env("PASSWORD_MIN_LENGTH", "10")),
            "min_classes": int(env("PASSWORD_MIN_CLASSES", "3")),
        },
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# --- accounts: django-allauth (owned by the accounts app) -----------------------------------
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = None
ACCOUNT_ADAPTER = "eplus.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "eplus.accounts.forms.SignupForm",
    "login": "eplus.accounts.forms.LoginForm",
    "reset_password": "eplus.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "eplus.accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[eplus] "
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Sessions (accounts.middleware.SessionTimeoutMiddleware): signed out after this long without a request —
# shorter for those who must use MFA (agency staff, experts, the Commission) — and this long after the
# log-in whatever happens; the cookie lives no longer than that.
SESSION_IDLE_TIMEOUT_STAFF = int(env("SESSION_IDLE_TIMEOUT_STAFF", str(30 * 60)))
SESSION_IDLE_TIMEOUT = int(env("SESSION_IDLE_TIMEOUT", str(2 * 60 * 60)))
SESSION_ABSOLUTE_LIFETIME = int(env("SESSION_ABSOLUTE_LIFETIME", str(12 * 60 * 60)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
# Lockout: after 5 wrong passwords for the same account the log-in is refused for 15 minutes
# (DOMAIN §3, "lifted automatically after 15 minutes").
# Every limit of allauth is listed: a dict with only some keys would switch the others off.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE", "20/m/ip,5/15m/key"),
    "login": env("LOGIN_RATE", "30/m/ip"),
    "signup": env("SIGNUP_RATE", "20/m/ip"),
    "reset_password": env("RESET_PASSWORD_RATE", "20/m/ip,5/5m/key"),
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "change_phone": "1/m/user",
    "verify_phone": "3/m/ip,1/m/key",
}
# The public endpoints and invitations (eplus.core.ratelimit): "requests/seconds" per client address;
# signed-in agency staff, experts and the Commission get RATE_LIMIT_TRUSTED_FACTOR times more.
RATE_LIMITS = {
    "search": env("RATE_LIMIT_SEARCH", "120/60"),
    "api": env("RATE_LIMIT_API", "300/60"),
    "opendata": env("RATE_LIMIT_OPENDATA", "30/60"),
    "invite": env("RATE_LIMIT_INVITE", "30/3600"),
}
RATE_LIMIT_TRUSTED_FACTOR = int(env("RATE_LIMIT_TRUSTED_FACTOR", "10"))
# Behind the TLS proxy the client's address is the last one the proxy adds to X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1" if PRODUCTION else "0"))
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "eplus"
SOCIALACCOUNT_ADAPTER = "eplus.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
# OpenID Connect: an agency plugs in EU Login or its own identity provider with a JSON list of
# {"provider_id", "name", "client_id", "secret", "server_url"} in EPLUS_OIDC_PROVIDERS
# (docs/accounts.md; parsed and checked by eplus.accounts.oidc).
from eplus.accounts.oidc import apps_from_json as _oidc_apps  # noqa: E402  (no Django imports)

SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": _oidc_apps(env("EPLUS_OIDC_PROVIDERS", "[]")),
    }
}

# --- e-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "eplus <no-reply@eplus.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
# The outbox (eplus.core.outbox) retries a mail the server refused 1, 2, 4, … minutes later, this many times.
MAIL_MAX_ATTEMPTS = int(env("MAIL_MAX_ATTEMPTS", "10"))
MAIL_RETRY_BASE_SECONDS = int(env("MAIL_RETRY_BASE_SECONDS", "60"))

# --- internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("lv", _("Latvian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", REPO_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", REPO_DIR / "node_modules" / "htmx.org" / "dist"),
                    ("vendor/swagger-ui", REPO_DIR / "var" / "vendor" / "swagger-ui")]  # made by ./run from npm
MEDIA_ROOT = Path(env("MEDIA_ROOT", REPO_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Files: the local disk (MEDIA_ROOT) by default; STORAGE_BACKEND=s3 puts them in S3-compatible object
# storage (eplus/config/storage.py). Either way they are read only through permission-checked views.
STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
if STORAGE_BACKEND not in ("local", "s3"):
    raise RuntimeError("STORAGE_BACKEND must be local or s3")
STORAGES = {
    "default": s3_storage(env) if STORAGE_BACKEND == "s3" else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads (core/files.py, core/file_content.py): archives that would unpack larger than this, or a
# member over 1 MB that unpacks more than RATIO times its packed size, are refused as zip bombs;
# images over the pixel limit as decompression bombs. A file whose record has not committed this
# long after it was written is an orphan the sweep removes.
UPLOAD_ARCHIVE_MAX_UNPACKED_BYTES = int(env("UPLOAD_ARCHIVE_MAX_UNPACKED_BYTES", str(500 * 1024 * 1024)))
UPLOAD_ARCHIVE_MAX_RATIO = int(env("UPLOAD_ARCHIVE_MAX_RATIO", "100"))
UPLOAD_ARCHIVE_MAX_MEMBERS = int(env("UPLOAD_ARCHIVE_MAX_MEMBERS", "10000"))
UPLOAD_MAX_IMAGE_PIXELS = int(env("UPLOAD_MAX_IMAGE_PIXELS", str(80_000_000)))
UPLOAD_PENDING_GRACE_SECONDS = int(env("UPLOAD_PENDING_GRACE_SECONDS", str(60 * 60)))
# A receipt or letter still missing this long after its row was made is rendered again by the sweep
# (its task was lost with a killed worker); files of the last RECHECK days are also checked in storage.
ARTEFACT_REPAIR_AFTER_SECONDS = int(env("ARTEFACT_REPAIR_AFTER_SECONDS", str(15 * 60)))
ARTEFACT_RECHECK_DAYS = int(env("ARTEFACT_RECHECK_DAYS", "2"))
# The sweep's check of public links (eplus.results.links): each at most once in EVERY_DAYS (a broken one
# after BROKEN_AGAIN_DAYS), at most PER_RUN per sweep (0: none) and PER_HOST per host and sweep, TIMEOUT
# seconds per request, BUDGET seconds per sweep. PRIVATE_HOSTS: hosts
# fetched although they resolve to the server's own networks (none in production).
LINK_CHECK_EVERY_DAYS = int(env("LINK_CHECK_EVERY_DAYS", "30"))
LINK_CHECK_PER_RUN = int(env("LINK_CHECK_PER_RUN", "200"))
LINK_CHECK_PER_HOST = int(env("LINK_CHECK_PER_HOST", "5"))
LINK_CHECK_TIMEOUT_SECONDS = float(env("LINK_CHECK_TIMEOUT_SECONDS", "10"))
LINK_CHECK_BROKEN_AGAIN_DAYS = int(env("LINK_CHECK_BROKEN_AGAIN_DAYS", "1"))  # a link found broken: checked again
LINK_CHECK_BUDGET_SECONDS = int(env("LINK_CHECK_BUDGET_SECONDS", "300"))  # at most this long per sweep
LINK_CHECK_PRIVATE_HOSTS = tuple(h for h in env("LINK_CHECK_PRIVATE_HOSTS", "").split(",") if h)

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"] + env_list("CSP_FORM_ACTION_EXTRA"),
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --- organisations --------------------------------------------------------------------------
ORGANISATION_DRAFT_RETENTION_DAYS = int(env("ORGANISATION_DRAFT_RETENTION_DAYS", "365"))
ORGANISATION_INVITATION_DAYS = int(env("ORGANISATION_INVITATION_DAYS", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
