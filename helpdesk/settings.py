"""Settings for the help desk, all read from the environment.

The defaults suit a laptop (SQLite, Celery eager, mail to the console) and only apply while
DEBUG is on; with DEBUG off the process refuses to start without a real SECRET_KEY and
ALLOWED_HOSTS.
"""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "SECRET_KEY and ALLOWED_HOSTS must be set when DEBUG is off "
            "(set DEBUG=true for local development)."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    # Before django.contrib.auth: its changepassword command replaces auth's.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "tickets",
    "knowledge",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (django-prometheus); its pair is last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id on every request, response and security log record; Permissions-Policy.
    "helpdesk.middleware.RequestIdMiddleware",
    # /healthz, /readyz and /metrics, answered before the https redirect and the host check.
    "helpdesk.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # 413 for a request body over the upload limit, before anything reads or spools it.
    "tickets.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Signs out after SESSION_IDLE_TIMEOUT_MINUTES without a request, or SESSION_MAX_AGE_HOURS.
    "helpdesk.middleware.SessionTimeoutMiddleware",
    # Cache-Control: no-store, private for signed-in users and the API.
    "helpdesk.middleware.NoStoreMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Remembers who wrote, so that their next reads come from the primary (helpdesk/replica.py).
    "helpdesk.replica.ReplicaPinMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff with a second factor must have passed it; the 2FA policy sends others to enrol.
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers 429 when django-axes locks a sign-in out; keep it last but for the metrics.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A streaming replica for the heavy reads (helpdesk/replica.py): reports, exports, searches, the
# API's lists. Everything else, and a user who has just written, reads from the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests get no database of its own: they point it at a real standby (tests/replica/).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["helpdesk.db_router.PrimaryReplicaRouter"]
# Beyond this lag the replica is not read; a user who wrote is pinned to the primary for
# REPLICA_PIN_SECONDS (longer than the lag allowed, so they always see their own change).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=2.0)
REPLICA_PIN_CACHE = "replica-pins"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# django-axes checks every sign-in first (and refuses while locked out), then the model backend.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id for new and changed passwords; the others only verify (and upgrade) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# The help desk's own zone: business hours and "per day" report buckets are counted in it.
HELPDESK_TIME_ZONE = env.str("HELPDESK_TIME_ZONE", default="Europe/Berlin")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The app serves its own assets (no CDN, no extra web server): collectstatic in production,
# straight from the source folders otherwise.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# --- Transport, cookies and headers ------------------------------------------------------
# With DEBUG off the app is served over https only. `make run` (DEBUG on) is plain http on
# 127.0.0.1, where browsers drop Secure cookies: there the cookies keep their plain names.
HTTPS_ONLY = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
# Behind a TLS-terminating proxy, name the header it sets (e.g. X-Forwarded-Proto); the proxy
# must overwrite it on every request. Unset: only the connection itself counts as https.
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + env.str("SECURE_PROXY_SSL_HEADER").upper().replace("-", "_"),
        "https",
    )
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# `__Host-` cookies are Secure, path "/" and have no Domain: no subdomain can set or read them.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS_ONLY else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS_ONLY else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms carry the token, the API docs get it from the page.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Sessions: signed out after this long without a request (sliding, see
# helpdesk.middleware.SessionTimeoutMiddleware), and after SESSION_MAX_AGE_HOURS whatever happens.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30) * 60
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE_HOURS", default=12) * 3600
# The session's last-seen time is written at most this often (not on every request).
SESSION_ACTIVITY_PRECISION = 60
# The cookie outlives the idle timeout by the write precision; the server-side check decides.
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT + SESSION_ACTIVITY_PRECISION
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features no page here uses (helpdesk.middleware.RequestIdMiddleware sends it).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)

# --- Sign-in throttling (django-axes) and other rate limits ---------------------------------
# A failure counts against the pair (account, address): someone guessing from one address
# locks that pair out, never the account for its owner elsewhere, and only for the cool-off.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "helpdesk.security_log.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttle.axes_username"
# Successful sign-ins are in the security log (helpdesk.security), not a second table.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Password reset requests: per address and e-mail, and per address; sign-ups per address.
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="5/hour")
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="20/hour")
SIGNUP_RATE = env.str("SIGNUP_RATE", default="10/hour")
SIGNUP_RATE_PER_EMAIL = env.str("SIGNUP_RATE_PER_EMAIL", default="5/hour")

# --- Two-factor authentication (django-otp) ---------------------------------------------
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Help desk")
# The admin may remove someone's lost device, never read its key or QR code (a copy of it).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# How long the code step may wait after the password, and how many wrong codes it takes.
TWO_FACTOR_LOGIN_TIMEOUT = 300
TWO_FACTOR_MAX_ATTEMPTS = 5

# E-mail: console by default, SMTP in production (EMAIL_URL=smtp://user:pass@host:587/?tls=True).
_email_options: dict = {}
if "EMAIL_URL" in env:
    _email = env.email("EMAIL_URL")
    _email_options = _email.pop("OPTIONS", {})
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Seconds any one step of an SMTP conversation may take (EMAIL_TIMEOUT, or ?timeout= in
# EMAIL_URL); keep it well under the delivery task's soft time limit (a system check does).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=float(_email_options.get("TIMEOUT", 30)))
# How long a notification that keeps failing temporarily (4xx, timeouts) is retried, with
# growing pauses between tries, before it is marked failed; as mail servers do.
EMAIL_RETRY_HOURS = env.float("EMAIL_RETRY_HOURS", default=48.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Help desk <helpdesk@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Inbound e-mail (tickets.inbound). INBOUND_ADDRESS is where customers write; replies about a
# ticket go to its plus-address (support+HD-1042.<token>@…). Empty: the channel is off.
INBOUND_ADDRESS = env.str("INBOUND_ADDRESS", default="")
# A message from an address with no account: "create" a customer account (no usable password;
# they set one with "Forgot password") or "reject" it.
INBOUND_UNKNOWN_SENDERS = env.str("INBOUND_UNKNOWN_SENDERS", default="create")
if INBOUND_UNKNOWN_SENDERS not in {"create", "reject"}:
    raise ImproperlyConfigured("INBOUND_UNKNOWN_SENDERS must be 'create' or 'reject'.")
INBOUND_MAX_BYTES = env.int("INBOUND_MAX_MB", default=50) * 1024 * 1024
# At most this many automatic answers (acknowledgements, refusals) to one address in any hour:
# beyond it mail is still acted on, not answered (a loop with another help desk ends there).
INBOUND_AUTO_ANSWERS_PER_HOUR = env.int("INBOUND_AUTO_ANSWERS_PER_HOUR", default=5)
# The mailbox the beat job fetches from every minute, e.g.
# imaps://support%40example.com:password@imap.example.com/INBOX. Empty: no fetching.
INBOUND_IMAP_URL = env.str("INBOUND_IMAP_URL", default="")
INBOUND_IMAP_PROCESSED_FOLDER = env.str("INBOUND_IMAP_PROCESSED_FOLDER", default="Processed")
INBOUND_IMAP_QUARANTINE_FOLDER = env.str("INBOUND_IMAP_QUARANTINE_FOLDER", default="Quarantine")
INBOUND_IMAP_BATCH = env.int("INBOUND_IMAP_BATCH", default=200)  # messages per fetch at most
INBOUND_IMAP_TIMEOUT = env.int("INBOUND_IMAP_TIMEOUT", default=30)  # seconds per server reply
# Providers' inbound webhooks (django-anymail) at /inbound/mailgun/ and /inbound/postmark/:
# requests must carry HTTP basic auth "user:password" = INBOUND_WEBHOOK_SECRET, and Mailgun's
# also its signature (MAILGUN_WEBHOOK_SIGNING_KEY). Unset: a secret nobody knows, so every
# request is refused.
_NOBODY_KNOWS = f"off:{secrets.token_urlsafe(32)}"
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("INBOUND_WEBHOOK_SECRET", default="") or _NOBODY_KNOWS,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default="")
    or _NOBODY_KNOWS,
}
# The deployment check (helpdesk.checks) warns when this is not https with DEBUG off.

# Celery: with no REDIS_URL tasks run in-process (eagerly), which is all a laptop needs.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis redelivers an unacknowledged task after this long; keep it above the claim lease.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    # Look for such tasks on every idle poll (about once a second, one cheap sorted-set read),
    # not every tenth: an abandoned task comes back right after its visibility timeout.
    "unacked_restore_throttle": 1,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
}
CELERY_TIMEZONE = TIME_ZONE
# Handing a task to the broker never holds up a write (helpdesk.broker): each hand-over has
# this socket timeout, a request spends at most the budget on all of them, and after a failure
# none is tried for the pause. What was not handed over waits for the relay (every minute).
ENQUEUE_TIMEOUT_SECONDS = env.float("ENQUEUE_TIMEOUT_SECONDS", default=0.1)
ENQUEUE_BUDGET_SECONDS = env.float("ENQUEUE_BUDGET_SECONDS", default=0.2)
ENQUEUE_PAUSE_SECONDS = env.float("ENQUEUE_PAUSE_SECONDS", default=5.0)
# A notification claimed longer ago than this by a worker that never finished may be taken over.
# A worker still sending is killed at the task's hard time limit, so a little over that is safe
# and a killed worker's mail goes out soon after (the relay runs every minute).
NOTIFICATION_CLAIM_LEASE_SECONDS = env.int(
    "NOTIFICATION_CLAIM_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 15
)
CELERY_BEAT_SCHEDULE = {
    "relay-notifications": {"task": "tickets.relay_notifications", "schedule": 60.0},
    "auto-close-resolved": {"task": "tickets.auto_close_resolved", "schedule": 3600.0},
    "run-automations": {"task": "tickets.run_automations", "schedule": 60.0},
    "sla-check": {"task": "tickets.sla_check", "schedule": 300.0},
    "retry-routing": {"task": "tickets.routing_retry", "schedule": 120.0},
    "refresh-report-snapshots": {"task": "tickets.refresh_report_snapshots", "schedule": 300.0},
    "send-report-digests": {"task": "tickets.send_report_digests", "schedule": 600.0},
    "sweep-orphaned-files": {"task": "tickets.sweep_orphaned_files", "schedule": 86400.0},
    "fetch-inbound-mail": {"task": "tickets.fetch_inbound_mail", "schedule": 60.0},
}

# /metrics (helpdesk.metrics): for these addresses or networks (e.g. "10.0.0.0/8,127.0.0.1"),
# or with "Authorization: Bearer <METRICS_TOKEN>"; 404 for anyone else. Both unset: nobody.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The help desk's gauges are computed at most this often across all web processes (shared
# through METRICS_CACHE); every node's scrape in between answers from the last result.
METRICS_GAUGE_SECONDS = env.int("METRICS_GAUGE_SECONDS", default=15)
METRICS_CACHE = "metrics"
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(entry, strict=False) for entry in METRICS_ALLOWED_IPS
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from error

# Help desk rules that operators tune.
TICKET_REFERENCE_PREFIX = env.str("TICKET_REFERENCE_PREFIX", default="HD")
AUTO_CLOSE_RESOLVED_AFTER_DAYS = env.int("AUTO_CLOSE_RESOLVED_AFTER_DAYS", default=7)
# Automations (tickets.rules.automations): tickets one automation acts on per run at most,
# and the seconds after which a run takes no new work (the rest waits for the next run).
AUTOMATION_BATCH = env.int("AUTOMATION_BATCH", default=500)
AUTOMATION_BUDGET_SECONDS = env.int("AUTOMATION_BUDGET_SECONDS", default=45)
# How long before an SLA target is due its assignee and the managers are warned.
SLA_WARNING_MINUTES = env.int("SLA_WARNING_MINUTES", default=60)
# Reports over more tickets than this are built in the background and served from a snapshot
# no older than REPORT_SNAPSHOT_MAX_AGE_MINUTES (tickets/reports/snapshots.py).
REPORT_LIVE_LIMIT = env.int("REPORT_LIVE_LIMIT", default=50_000)
REPORT_SNAPSHOT_MAX_AGE_MINUTES = env.int("REPORT_SNAPSHOT_MAX_AGE_MINUTES", default=15)
# The report's "needs attention" list: tickets waiting on the customer longer than this.
REPORT_WAITING_DAYS = env.int("REPORT_WAITING_DAYS", default=3)
SIGNUP_ENABLED = env.bool("SIGNUP_ENABLED", default=True)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
ATTACHMENT_MAX_FILES = 5
# The largest request body (all files and fields together); larger ones get 413 unread. None:
# what tickets.uploads.request_limit() allows, room for the most files of the largest size.
ATTACHMENT_MAX_REQUEST_BYTES = env.int("ATTACHMENT_MAX_REQUEST_MB", default=0) * 1024 * 1024 or None
ATTACHMENT_EXTENSIONS = env.list(
    "ATTACHMENT_EXTENSIONS",
    default=[
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".pdf",
        ".txt",
        ".log",
        ".csv",
        ".json",
        ".xml",
        ".zip",
        ".eml",
        ".docx",
        ".xlsx",
        ".pptx",
        ".odt",
        ".ods",
        ".odp",
    ],
)

# The API (/api/v1/): personal tokens for scripts, the session for the browser (CSRF-checked).
# The token scheme comes first so that an unauthenticated request gets 401 and a challenge.
REST_FRAMEWORK = {
    # Exactly one method per request (accounts.authentication): a request with an
    # Authorization header is the token's, signed in or refused, so the session (second)
    # only ever sees requests without one.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tickets.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "tickets.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "tickets.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "tickets.api.throttling.AnonThrottle",
        "tickets.api.throttling.UserThrottle",
    ],
    # Per anonymous client (by address) and per signed-in user, e.g. "60/minute".
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # The new-ticket form's suggestions, asked while the subject is typed.
        "kb_suggest": env.str("KB_SUGGEST_THROTTLE", default="30/minute"),
    },
    # How many reverse proxies sit in front of the app: 0 trusts no X-Forwarded-For, so a
    # client cannot pick its own throttling identity.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Throttle counters must be shared by every web process: in Redis when there is one.
API_THROTTLE_CACHE = "api-throttle"
# Sign-in failures (django-axes) and the password reset and sign-up limits (accounts.throttle).
SECURITY_CACHE = "security"
# Who is viewing or typing on which ticket (tickets.presence): short-lived, and shared by every
# web process so that agents on different nodes see each other.
PRESENCE_CACHE = "presence"
TEAMS_CACHE = "teams"


def _shared_cache(prefix: str) -> dict:
    return (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    )


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    API_THROTTLE_CACHE: _shared_cache("api-throttle"),
    SECURITY_CACHE: _shared_cache("security"),
    PRESENCE_CACHE: _shared_cache("presence"),
    REPLICA_PIN_CACHE: _shared_cache("replica-pins"),
    METRICS_CACHE: _shared_cache("metrics"),
    TEAMS_CACHE: _shared_cache("teams"),
}
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = SECURITY_CACHE

# HSTS preload is a promise to browser vendors, made deliberately (SECURE_HSTS_PRELOAD=true);
# without it the deployment check's reminder about it is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if DEBUG and not REDIS_URL:
    # One development process: its own memory is where sign-in failures are counted. In
    # production, Redis shares the count between processes (axes warns without it).
    SILENCED_SYSTEM_CHECKS.append("axes.W001")
# The SLA index covers the backlog's columns where the database can (PostgreSQL); SQLite
# keeps it as a plain index, which is all a laptop needs.
SILENCED_SYSTEM_CHECKS.append("models.W040")

SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": (
        "Tickets, conversations, workflow actions and files, with the same rules as the web "
        "pages. Authenticate with a personal token (`Authorization: Bearer hdt_…`, created on "
        "your profile page) or, from the browser, with your session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": "account", "description": "Who you are."},
        {"name": "tickets", "description": "Report, list and read tickets; the services."},
        {"name": "workflow", "description": "Take, assign and move tickets through the workflow."},
        {"name": "conversation", "description": "Replies and internal notes."},
        {"name": "followers", "description": "Customers who follow a ticket (staff manage them)."},
        {"name": "files", "description": "Attachments, with the same checks as the pages."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tickets.status.Status",
        "PriorityEnum": "tickets.status.Priority",
        "ArticleStatusEnum": "knowledge.models.ArticleStatus",
        "ArticleVisibilityEnum": "knowledge.models.Visibility",
    },
    # Swagger UI and ReDoc are served from this app's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "helpdesk.security_log.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Security events, one JSON object a line (see helpdesk.security_log).
        "helpdesk.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        # Axes' own messages repeat what helpdesk.security records.
        "axes": {"level": "WARNING"},
    },
}
