"""Settings of the tracker, read from the environment.

Every setting has a default that needs no server: SQLite, Celery on kombu's filesystem
transport and emails written to files, all under ``var/``. Production sets the
environment variables documented in the README (PostgreSQL, Redis, SMTP, secret key,
hosts). One block per concern below.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Runtime files of the embedded defaults (database, broker queue, emails) live here.
VAR_DIR = Path(env("TRACKER_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Security -----------------------------------------------------------------------
# The default key is only fit for a laptop; `check --deploy` reports it until
# DJANGO_SECRET_KEY is set.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-local-development-key-do-not-use-in-production",
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Behind HTTPS in production: secure cookies, HSTS and a redirect to HTTPS. Off by
# default so that `make run` works over plain http://localhost.
SECURE_HTTPS = env.bool("DJANGO_SECURE_HTTPS", default=False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    # The proxy terminates TLS and says so in this header; the API's throttle takes the
    # client's address from the X-Forwarded-For it appends.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Applications -------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "corsheaders",
    "csp",
    "axes",
    "tracker",
    "signatories",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response, cached or not.
    "tracker.middleware.ContentSecurityPolicyMiddleware",
    "tracker.middleware.PermissionsPolicyMiddleware",
    # CORS for the API's reads (answers their preflights itself), before anything answers.
    "tracker.middleware.ReadOnlyCorsMiddleware",
    "tracker.middleware.RefuseNulBytesMiddleware",  # a 400 for a NUL byte (%00) in the address
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The API's response cache, ETag, Last-Modified, 304 and anonymous throttle, before any view.
    "tracker.api.caching.APICacheMiddleware",
    # Records who made each change in the audit history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # The admin lockout's page (django-axes): last, as it asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user:password@host:5432/tracker. Default: SQLite in var/.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"),
}
# No transaction per request: pages only read (and a cached page must not touch the
# database at all); every write goes through a service that opens its own transaction.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep a connection open between requests (DATABASE_CONN_MAX_AGE seconds, 0 to close it
# after each): opening one costs more than most API requests. A conn_max_age in
# DATABASE_URL wins. The health check replaces a connection the server dropped.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web workers, Celery and the command line write to one file: readers do not block
    # the writer (WAL), a writer takes its lock when its transaction begins instead of
    # failing half-way, and waits up to 20 s for another's.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------
# REDIS_URL serves the cache (and, unless set apart, the Celery broker). Without it the
# cache is a table of the database (created by `migrate`), so that every process (web
# workers, Celery, the command line) sees the same entries: a per-process memory cache
# would let two web workers answer with different figures.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- Celery -------------------------------------------------------------------------
# CELERY_BROKER_URL, else REDIS_URL, else kombu's filesystem transport: messages are files
# in one folder, so a worker and beat in other processes see them with no server running.
CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "store_processed": True,
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Broadcasts (worker control) too, or kombu writes them to ./control.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
_default_results = REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=_default_results)
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a broker outage of any length
CELERY_TIMEZONE = "UTC"
# A message that a worker took and never acknowledged (the worker was killed) goes back
# to the queue after this long. Deliveries do not depend on it (the sweep below claims
# them again once their lease runs out); it only has to be longer than any task runs.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=10 * 60)}

# --- Periodic jobs and alert delivery -----------------------------------------------
# Celery beat runs the jobs of config/schedule.py at these intervals (seconds). The
# delivery sweep and the lease together bound how long a killed worker delays an email:
# at most ALERT_LEASE_SECONDS + ALERT_SWEEP_SECONDS.
ALERT_CHECK_SECONDS = env.int("ALERT_CHECK_SECONDS", default=15 * 60)
ALERT_SWEEP_SECONDS = env.int("ALERT_SWEEP_SECONDS", default=60)
ALERT_LEASE_SECONDS = env.int("ALERT_LEASE_SECONDS", default=2 * 60)
ALERT_DIGEST_SECONDS = env.int("ALERT_DIGEST_SECONDS", default=24 * 60 * 60)
STATUS_REFRESH_SECONDS = env.int("STATUS_REFRESH_SECONDS", default=60 * 60)
# The depositary sync (tracker.sync): every treaty with a depositary URL, once a day.
UNTC_SYNC_SECONDS = env.int("UNTC_SYNC_SECONDS", default=24 * 60 * 60)
# Waits before retrying an email after a transient SMTP error (seconds, comma-separated);
# the last one repeats until ALERT_RETRY_FOR_SECONDS after the first attempt.
ALERT_RETRY_BACKOFF = [int(s) for s in env.list("ALERT_RETRY_BACKOFF", default=["30", "120", "600", "3600"])]
ALERT_RETRY_FOR_SECONDS = env.int("ALERT_RETRY_FOR_SECONDS", default=2 * 24 * 60 * 60)

from config.schedule import beat_schedule  # noqa: E402

CELERY_BEAT_SCHEDULE = beat_schedule(
    check=ALERT_CHECK_SECONDS,
    sweep=ALERT_SWEEP_SECONDS,
    refresh=STATUS_REFRESH_SECONDS,
    digest=ALERT_DIGEST_SECONDS,
    depositary=UNTC_SYNC_SECONDS,
)

# --- REST API ---------------------------------------------------------------------
# Reads are anonymous and throttled; writes need a token (`manage.py drf_create_token
# USER`) and the same model permissions as the admin roles. Anonymous requests are
# counted by address at API_ANON_RATE, token holders by user at API_USER_RATE
# (tracker.api.throttling); a conditional request answered 304 is not counted.
API_ANON_RATE = env("API_ANON_RATE", default="120/minute")
API_USER_RATE = env("API_USER_RATE", default="600/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.ModelPermissionsOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "tracker.api.filtersets.FilterBackend",
        "tracker.api.filtersets.StrictOrderingFilter",  # a 400 for an unknown field
    ],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": [
        "tracker.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Writes take JSON (the import also a CSV or a file), with no NUL anywhere
    # (tracker.api.parsers): a 400 naming the field, not a server error.
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.TrackerThrottle"],
    # True security (public reads), error responses in the one shape (tracker.api.errors).
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.TrackerSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "tracker.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Treaty Ratification Tracker API",
    "DESCRIPTION": "Signatures, ratifications and entry into force of multilateral treaties, "
    "with their sources. Public reads need no token; writes need `Authorization: Token <key>`. "
    "Every read takes ?as_of=YYYY-MM-DD where a date makes sense. A participant is identified "
    "by its ISO alpha-3 code, or its slug without one (the European Union, the former Yugoslavia). "
    "An unknown parameter, ordering field or value is a 400 whose `errors` names it.",
    "VERSION": "1.1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    # One tag per resource: the first part of the path after /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.api.schema.no_nul_in_query",
        "tracker.api.schema.known_keys",
    ],
    # The precision of a date ("exact", "on_or_before") is one choice set wherever a date is.
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "tracker.models.DatePrecision",
        "ParticipantKindEnum": "tracker.api.serializers.PARTICIPANT_KIND_CHOICES",
        "ActionKindEnum": "signatories.models.KIND_CHOICES",
        "SourceKindEnum": "tracker.api.serializers.SOURCE_KIND_CHOICES",
    },
}

# --- Email --------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587. Default: one file per
# message under var/mail, to read what would have been sent.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# A relay that stops answering must not hold a worker past its lease: a quarter of it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=max(ALERT_LEASE_SECONDS // 4, 1))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Treaty Tracker <tracker@localhost>")
# Where the site is reached from outside, for the links in emails. By default the address
# the Procfile's web process binds (HOST, PORT); `make run` sets it for every process,
# since honcho gives each process type a PORT of its own (web 8000, worker 8100, …).
SITE_URL = env("SITE_URL", default=f"http://{env('HOST', default='127.0.0.1')}:{env('PORT', default='8000')}")

# --- Depositary sync ----------------------------------------------------------------
# How the sync reads the UN Treaty Collection: politely, one request at a time, with a
# User-Agent that says who asks, timeouts, and retries with backoff (2, 4, 8 s…) on a
# server error or a rate limit. A page is a few MB; one larger than UNTC_MAX_BYTES is refused.
UNTC_USER_AGENT = env("UNTC_USER_AGENT", default=f"TreatyRatificationTracker/1.0 (+{SITE_URL})")
UNTC_TIMEOUT_SECONDS = env.float("UNTC_TIMEOUT_SECONDS", default=60.0)
UNTC_RETRIES = env.int("UNTC_RETRIES", default=3)
UNTC_BACKOFF_SECONDS = env.float("UNTC_BACKOFF_SECONDS", default=2.0)
UNTC_REQUEST_INTERVAL_SECONDS = env.float("UNTC_REQUEST_INTERVAL_SECONDS", default=5.0)
UNTC_MAX_BYTES = env.int("UNTC_MAX_BYTES", default=25 * 1024 * 1024)
# Who gets the daily digest of alerts sent, suppressed and failed (comma-separated).
ALERT_DIGEST_TO = env.list("ALERT_DIGEST_TO", default=[])
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Uploads ------------------------------------------------------------------------
# A status table is a few hundred kilobytes at most. An upload (the admin's and the API's
# import) larger than UPLOAD_MAX_BYTES is refused before its body is read: the API answers
# 413, the admin's form a field error (tracker.uploads). Django's own limits bound every
# other POST: a form's fields (the subscribe form, the admin) at DATA_UPLOAD_MAX_MEMORY_SIZE,
# and a file above FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file, not to memory.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = min(UPLOAD_MAX_BYTES, 2621440)  # Django's default, 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = min(UPLOAD_MAX_BYTES, 2621440)
FILE_UPLOAD_HANDLERS = [
    "tracker.uploads.RefuseOversizedUploads",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Internationalization and time ----------------------------------------------------
# Timestamps are stored in UTC. Treaty dates are calendar dates in the treaty's own
# time zone (New York for the UN depositary), see Treaty.time_zone.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing folder before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    # Serve straight from the apps' static folders, without collectstatic.
    WHITENOISE_USE_FINDERS = True
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Authentication -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is checked, and
# counts the failures (see "Admin lockout" below). DRF's token authentication does not
# go through these backends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Admin lockout ------------------------------------------------------------------
# django-axes: after ADMIN_LOCKOUT_FAILURES wrong passwords for one username from one
# address, that username is refused from that address for ADMIN_LOCKOUT_SECONDS (the
# right password too), with a 429 page that says so; another user, or the same user from
# elsewhere, is not. Every failure and login is recorded (admin: "Axes"); a superuser
# unlocks by deleting the access attempt there, or with `manage.py axes_reset_username
# USER` / `axes_reset`. The address is the one the API's throttle counts by (behind
# DJANGO_BEHIND_PROXY, the last of X-Forwarded-For).
AXES_FAILURE_LIMIT = env.int("ADMIN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("ADMIN_LOCKOUT_SECONDS", default=60 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "tracker.api.throttling.client_address"
AXES_RESET_ON_SUCCESS = True  # a login that succeeds forgets that user's earlier failures
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "tracker/lockout.html"
AXES_ALLOWED_CORS_ORIGINS = SITE_URL  # the lockout's JSON answer (X-Requested-With) only
AXES_VERBOSE = False  # no banner on every start of a command

# --- CORS ---------------------------------------------------------------------------
# django-cors-headers (tracker.middleware.ReadOnlyCorsMiddleware): the API's anonymous
# reads may be fetched by a page of any origin, without cookies; a write, or a read with
# a token, from another origin is refused at its preflight. The response cache adds
# nothing of its own: the header is always "*" and Vary names Origin.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "content-language", "cache-control",
                      "if-none-match", "if-modified-since"]  # fmt: skip
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "X-API-Cache", "X-Stale-Age"]
CORS_PREFLIGHT_MAX_AGE = 24 * 60 * 60

# --- Content-Security-Policy --------------------------------------------------------
# django-csp (tracker.middleware.ContentSecurityPolicyMiddleware): scripts and styles
# from our own static files only. The pages have no inline script; the world map's one
# inline <style> is allowed by its hash. The API reference (tracker.api.docs) is a page
# like the others, and the admin's scripts are all static files. No page may be framed;
# a view that must be (a badge) replaces frame-ancestors with django-csp's @csp_replace.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "upgrade-insecure-requests": SECURE_HTTPS,
    },
}
# The other headers of a careful review (Django's SecurityMiddleware; these are its
# defaults, written out so that a change shows), and the Permissions-Policy's refused features.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = ["accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
                      "payment", "usb", "browsing-topics"]  # fmt: skip

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
