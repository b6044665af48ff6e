"""Settings, read from the environment by one helper, ``shop.env.env`` (see its docstring
for how values are written: on/off, numbers, comma-separated lists, durations).

Every variable, with its default (the README lists the same):

DATABASE_URL            the database (default: an SQLite file, var/db.sqlite3)
DEBUG                   on for development (default off; ``make run`` and a bare
                        ``manage.py`` turn it on)
SECRET_KEY              required when DEBUG is off
ALLOWED_HOSTS           comma-separated host names (default 127.0.0.1,localhost with
                        DEBUG on, none without)
SHOP_CURRENCY           the shop's currency (default EUR)
SHOP_SNAPSHOT_EVERY     store an aggregate's state every N events (default 100; 0: never)
SHOP_RECENT_STATES      streams whose last state each process keeps (default 1000; 0: none)
SHOP_DATA_KEY           the master key that encrypts customers' data keys (32 bytes,
                        URL-safe base64; several comma-separated while rotating, the
                        first encrypts); required when DEBUG is off
SHOP_ENCRYPT_PERSONAL_DATA  encrypt personal fields of events (default on; off only for
                        the benchmark's comparison)
SHOP_GUEST_ORDER_RETENTION  guest orders older than this lose their personal data when
                        manage.py apply_retention runs (default 1095d: 3 years)
SHOP_HTTPS              HTTPS redirect, HSTS and secure cookies when DEBUG is off
                        (default on; off for loopback servers without TLS)
SECURE_SSL_REDIRECT     with SHOP_HTTPS: redirect plain HTTP to HTTPS (default on)
SECURE_HSTS_SECONDS     with SHOP_HTTPS: the HSTS max-age (default 365d)
SHOP_PLAIN_STATIC       serve static files without whitenoise's manifest, so no
                        collectstatic is needed (default off; on with DEBUG)
AXES_FAILURE_LIMIT      failed log-ins that lock a user name and address out for 15
                        minutes (default 5)
SHOP_TRUSTED_PROXIES    proxies in front of the app that append the address they were
                        reached from to X-Forwarded-For (default 0: the header is
                        never read)
SHOP_COUPON_FAILURES_PER_SESSION, SHOP_COUPON_FAILURES_PER_ADDRESS
                        refused coupon codes from one session or one address that
                        block its coupon attempts for 15 minutes (default 10, 50)
SHOP_UPLOAD_MAX_BYTES   the largest body of a staff upload on the admin's pages
                        (default 32 MB; every other request: 2.5 MB)
EMAIL_BACKEND           Django's email backend (default SMTP; the console with DEBUG)
EMAIL_HOST, EMAIL_PORT  the SMTP server (default localhost, 25)
EMAIL_TIMEOUT           how long the SMTP server may take to answer (default 10)
EMAIL_FILE_PATH         the folder of Django's file email backend, if EMAIL_BACKEND is it
DEFAULT_FROM_EMAIL      the sender of the shop's emails (default shop@example.com)
SHOP_BASE_URL           the start of links in emails (default http://127.0.0.1:8000)
SHOP_CART_REMINDER_AFTER  a cart left alone this long gets its customer's one reminder,
                        if they asked for reminders (default 10h)
SHOP_PAYMENT_PROVIDER   the payment provider: test (the test gateway, default) or the
                        dotted path of a class (payments/providers.py)
SHOP_UNPAID_ORDER_TIMEOUT  an order unpaid this long is cancelled by
                        manage.py expire_unpaid_orders (default 30m)
BROKER_URL              RabbitMQ for integration events, amqp://user:password@host/vhost
                        (default unset: nothing is relayed)
BROKER_EXCHANGE         the topic exchange they go to (default shop.events)
SHOP_OUTBOX_KEEP        how long a relayed message stays in the outbox before the worker
                        deletes it (default 7d)
LOG_LEVEL               the root logger's level (default INFO)
MEDIA_ROOT              uploaded product pictures and their copies (default var/media)
MEDIA_URL               where pictures are served (default /media/; an absolute address,
                        for object storage, is added to the CSP's img-src)
SHOP_SERVE_MEDIA        Django serves MEDIA_ROOT itself (default on with DEBUG, else off)
SHOP_IMAGE_MAX_BYTES    the largest picture staff may upload (default 10 MiB)

With PostgreSQL:

DB_POOL_MAX_SIZE        connections in each process's pool (default 10)
DB_POOL_TIMEOUT         how long a request waits for a connection before a 503 (default 10s)
DB_CONNECT_TIMEOUT      how long opening a connection may take (default 5s)
DB_PREPARE_THRESHOLD    runs of a statement before it is prepared (default 5; off: never)
DB_RELEASE_LOCKS_EARLY  let a stream's lock go before the commit is flushed (default off:
                        plain commits, nothing visible before it is durable; on: opt in)
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from shop.env import env

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env("DEBUG", False)


def _media_origin(url: str) -> list[str]:
    """The origin of an absolute MEDIA_URL (object storage), for the CSP's img-src."""
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, "
            "or DEBUG=1 to run with the development key."
        )
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "shop",
    "catalog",
    "carts",
    "orders",
    "shipping",
    "payments",
    "accounts",
    "insight",
    "subscriptions",
    "privacy",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # full-text and trigram search (catalog/search.py)
    "django.contrib.sites",
    "django.contrib.flatpages",  # contact, shipping and returns, privacy, terms
    "django.contrib.sitemaps",
    "django_htmx",
    "django_countries",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shop.middleware.HttpMethodsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the CSRF check, which reads the body: a body bigger than the endpoint takes
    # stops here unread.
    "shop.middleware.RequestSizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shop.middleware.CorrelationIdMiddleware",
    "shop.middleware.ConcurrencyConflictMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shop.urls"
SITE_ID = 1  # the flat pages belong to it; links and the sitemap use the request's host
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carts.context_processors.cart_badge",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------

SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
    )
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer work at once; IMMEDIATE takes the write lock at
    # BEGIN, so two requests never deadlock upgrading a read lock; the timeout makes a
    # second writer wait instead of failing with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if _db["NAME"] == str(SQLITE_PATH):
        SQLITE_PATH.parent.mkdir(exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a commit that can release a stream's lock before the WAL flush
    # (shop/postgres/base.py): off by default, so nothing is visible before it is durable;
    # DB_RELEASE_LOCKS_EARLY=on opts in.
    _db["ENGINE"] = "shop.postgres"
    _db["RELEASE_LOCKS_EARLY"] = env("DB_RELEASE_LOCKS_EARLY", False)
    # psycopg 3 with Django's connection pool; pooling refuses persistent connections.
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": env("DB_POOL_MAX_SIZE", 10),
        # How long a request waits for a connection before the shop answers 503.
        "timeout": env("DB_POOL_TIMEOUT", timedelta(seconds=10)).total_seconds(),
    }
    _db["OPTIONS"]["connect_timeout"] = round(
        env("DB_CONNECT_TIMEOUT", timedelta(seconds=5)).total_seconds()
    )
    # A hung worker cannot hold a row lock (or a stream's next version) forever.
    _db["OPTIONS"]["options"] = "-c idle_in_transaction_session_timeout=30000"
    # Parameters travel apart from the SQL, and a statement a connection has run 5 times is
    # prepared: PostgreSQL stops parsing and planning it again, which halves what the hot
    # statements cost. Behind a pooler that cannot keep prepared statements (PgBouncer in
    # transaction mode before 1.21), DB_PREPARE_THRESHOLD=off turns preparing off.
    _db["OPTIONS"]["server_side_binding"] = True
    _db["OPTIONS"]["prepare_threshold"] = env("DB_PREPARE_THRESHOLD", 5, off=None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sessions, auth --------------------------------------------------------------------------

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Login is rate-limited against guessing (django-axes): 5 failures for one user name from
# one address lock that pair out for 15 minutes. Counts live in the database, so every app
# process shares them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "429_login.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# A user name longer than the attempt log's column (a probe, never a real name) is logged
# cut to fit, so it counts as a failed login like any other instead of failing the insert.
AXES_USERNAME_CALLABLE = "accounts.throttling.attempted_username"

# The client's address, for the login and coupon throttles. Directly on the internet it is
# the connection's. Behind proxies, SHOP_TRUSTED_PROXIES=N (the proxies in front of the
# app, each appending the address it was reached from to X-Forwarded-For) takes the Nth
# address from the right of that header: what a client writes into it itself is ignored.
# Without the setting the header is never read, so no client can pick its own address.
SHOP_TRUSTED_PROXIES = env("SHOP_TRUSTED_PROXIES", 0)
if SHOP_TRUSTED_PROXIES:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # django-ipware counts the proxies *between* the client and the last proxy, which
    # itself is the connection's address and not in the header.
    AXES_IPWARE_PROXY_COUNT = SHOP_TRUSTED_PROXIES - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    # Extra addresses a client prepended are allowed (and ignored), not a reason to fall
    # back to the proxy's address, which every client shares.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Coupon codes cannot be guessed without limit: this many refused codes from one session,
# or from one address (several shoppers may share one), within the window block further
# coupon attempts from it until the window has passed. Correct codes are not slowed.
SHOP_COUPON_FAILURES_PER_SESSION = env("SHOP_COUPON_FAILURES_PER_SESSION", 10)
SHOP_COUPON_FAILURES_PER_ADDRESS = env("SHOP_COUPON_FAILURES_PER_ADDRESS", 50)
SHOP_COUPON_FAILURE_WINDOW = timedelta(minutes=15)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18n, money -----------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SHOP_CURRENCY = env("SHOP_CURRENCY", "EUR")

# Store an aggregate's state every N events of its stream (0: never). A busy stream loads
# from its process's recent state instead, so a snapshot serves cold loads only.
SHOP_SNAPSHOT_EVERY = env("SHOP_SNAPSHOT_EVERY", 100)
# Each process keeps the state its last command on a stream committed, for this many
# streams (0: none); see shop/snapshots.py.
SHOP_RECENT_STATES = env("SHOP_RECENT_STATES", 1000)

# Personal data in events is encrypted with a key per data subject, itself encrypted with
# this master key (shop/personal.py). Required without DEBUG; a developer's checkout gets
# one generated into var/data.key, kept across runs (its events stay readable).
SHOP_DATA_KEY = env("SHOP_DATA_KEY", "")
if not SHOP_DATA_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SHOP_DATA_KEY is not set. It encrypts customers' personal data: set it to the "
            'output of python3 -c "import base64,os;print(base64.urlsafe_b64encode('
            'os.urandom(32)).decode())", or DEBUG=1 for a development key in var/data.key.'
        )
    _key_file = BASE_DIR / "var" / "data.key"
    if not _key_file.exists():
        import base64
        import os

        _key_file.parent.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        _key_file.chmod(0o600)
    SHOP_DATA_KEY = _key_file.read_text().strip()
# Only for the benchmark's comparison: off stores personal fields in plain text.
SHOP_ENCRYPT_PERSONAL_DATA = env("SHOP_ENCRYPT_PERSONAL_DATA", True)
# Guest orders older than this lose their personal data (manage.py apply_retention);
# the amounts stay, as bookkeeping requires.
SHOP_GUEST_ORDER_RETENTION = env("SHOP_GUEST_ORDER_RETENTION", timedelta(days=3 * 365))

# Payments (payments/providers.py): the provider, and how long a placed order may wait for
# its payment before ``manage.py expire_unpaid_orders`` cancels it.
SHOP_PAYMENT_PROVIDER = env("SHOP_PAYMENT_PROVIDER", "test")
SHOP_UNPAID_ORDER_TIMEOUT = env("SHOP_UNPAID_ORDER_TIMEOUT", timedelta(minutes=30))

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env("SHOP_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Uploaded files (product pictures) ------------------------------------------------------
# Through Django's storage API (STORAGES["default"]): files under MEDIA_ROOT by default. In
# production let the proxy serve MEDIA_ROOT at MEDIA_URL, or point STORAGES["default"] at
# object storage (django-storages) and MEDIA_URL at its address (an absolute MEDIA_URL is
# added to the CSP's img-src). SHOP_SERVE_MEDIA=1 makes Django serve them itself (the
# default with DEBUG): fine for a small shop, slower than a proxy.

MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
SHOP_SERVE_MEDIA = env("SHOP_SERVE_MEDIA", DEBUG)
# The largest picture staff may upload, in bytes (Pillow also verifies it is a picture).
SHOP_IMAGE_MAX_BYTES = env("SHOP_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o644

# --- Uploads ---------------------------------------------------------------------------------

# Only staff upload files (on the admin's pages): their requests' bodies may hold this
# much. Every other request's body may hold what a plain form may (Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB); a bigger one is refused before it is read
# (shop.middleware.RequestSizeMiddleware). Each picture is also checked on its own.
SHOP_UPLOAD_MAX_BYTES = env("SHOP_UPLOAD_MAX_BYTES", 32 * 1024 * 1024)

# --- Security headers ------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *_media_origin(MEDIA_URL)],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
# Browser features the shop never uses are off for it and anything it could embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Behind HTTPS (the default in production): redirect, HSTS, cookies only over TLS.
# SHOP_HTTPS=0 is for servers on a loopback address without TLS (load tests).
if not DEBUG and env("SHOP_HTTPS", True):
    SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = round(env("SECURE_HSTS_SECONDS", timedelta(days=365)).total_seconds())
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Email, logging --------------------------------------------------------------------------

EMAIL_BACKEND_PATH = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": env("EMAIL_PORT", 25),
        # The mailer holds the email's row lock while it sends: give up well before the
        # database's idle-in-transaction timeout (30 s).
        "timeout": env("EMAIL_TIMEOUT", 10),
    }
if _file_path := env("EMAIL_FILE_PATH", ""):  # the file backend's folder (tests, demos)
    MAILERS["default"]["OPTIONS"] = {"file_path": _file_path}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "shop@example.com")

# --- Subscriptions (manage.py run_subscriptions) -------------------------------------------

# Links in emails start here.
SHOP_BASE_URL = env("SHOP_BASE_URL", "http://127.0.0.1:8000")
# A customer who agreed gets one reminder about a cart left alone this long.
SHOP_CART_REMINDER_AFTER = env("SHOP_CART_REMINDER_AFTER", timedelta(hours=10))
# Integration events go to RabbitMQ when set (amqp://user:password@host:5672/vhost).
BROKER_URL = env("BROKER_URL", "")
BROKER_EXCHANGE = env("BROKER_EXCHANGE", "shop.events")
# A message the broker confirmed stays this long in the outbox (to look into), then the
# relay deletes it.
SHOP_OUTBOX_KEEP = env("SHOP_OUTBOX_KEEP", timedelta(days=7))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
