"""IOU Desk settings: one module, everything that differs between machines read from the environment.

| variable | default | meaning |
|---|---|---|
| IOUDESK_ENV | development | `production` turns on the secure settings (`check --deploy` passes) |
| DATABASE_URL | sqlite:///<data dir>/ioudesk.sqlite3 | `sqlite:///…` or `postgres://…` |
| IOUDESK_DATA_DIR | <project>/var | SQLite file, uploads, generated secret key |
| SECRET_KEY | generated once into <data dir>/secret_key (development only) | required in production |
| ALLOWED_HOSTS | 127.0.0.1,localhost | comma separated |
| IOUDESK_DEBUG | 0 | 1 shows Django's debug pages (never in production) |
| IOUDESK_SESSION_MINUTES | 30 | a staff session ends after this many minutes without a request |
| EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL | console backend | outgoing mail (SMTP when EMAIL_HOST is set) |
| IOUDESK_EMAIL_BACKEND | console | without EMAIL_HOST: `console`, or `file` (one file per message under <data dir>/mail) |
| IOUDESK_SMS_BACKEND | console | `console`, `file` (JSON lines under <data dir>/sms), `webhook`, `tencent`, or a dotted class path (ioudesk/notify/sms.py) |
| IOUDESK_SMS_TIMEOUT | 10 | seconds the SMS gateway may take to answer |
| IOUDESK_SMS_WEBHOOK_URL, IOUDESK_SMS_WEBHOOK_SECRET | unset | the `webhook` SMS backend: JSON POST signed with HMAC-SHA256 |
| IOUDESK_SMS_RECEIPT_TOKEN | unset | the token in the URL of Tencent Cloud SMS's status callback (`/api/v1/messages/receipts/tencent?token=…`); webhook receipts are signed with IOUDESK_SMS_WEBHOOK_SECRET |
| IOUDESK_SMS_TENCENT_SECRET_ID, _SECRET_KEY, _SDK_APP_ID, _SIGN_NAME, _TEMPLATE_ID, _TEMPLATES, _REGION, _ENDPOINT | unset; ap-guangzhou; https://sms.tencentcloudapi.com | the `tencent` SMS backend (Tencent Cloud SMS); _TEMPLATES is JSON {"our template code": "Tencent template id"} |
| IOUDESK_CONTACT_PHONE | unset | the lender's contact phone in repayment reminders ({联系电话}); unset: the IOU's 客户经理's phone |
| IOUDESK_AXES_FAILURES | 5 | failed logins before an account is locked |
| IOUDESK_AXES_COOLOFF_MINUTES | 30 | how long a lock lasts |
| IOUDESK_FIELD_KEYS | generated once into <data dir>/field_keys (development only) | comma-separated field encryption keys, current first; required in production |
| IOUDESK_INDEX_KEY | generated once into <data dir>/index_key (development only) | blind index key, never rotated; required in production |
| IOUDESK_UPLOAD_MAX_MB | 20 | largest customer file accepted |
| IOUDESK_UPLOAD_ALLOWED_TYPES | jpeg,png,gif,webp,heic,pdf,doc,xls,ppt,docx,xlsx,pptx | customer file types (checked by content) |
| IOUDESK_PDF_FONT | /usr/share/fonts/truetype/wqy/wqy-microhei.ttc | TrueType Chinese font embedded in PDFs (Debian fonts-wqy-microhei) |
| IOUDESK_IMPORT_MAX_ROWS | 50000 | most customer rows one Excel import file may hold |
| IOUDESK_IMPORT_BACKGROUND_ROWS | 1000 | an import of more rows (or of a file over 256 KB) is checked and saved by the background worker |
| IOUDESK_BUSINESS_DATE_MAX_DAYS_AHEAD | 31 | how far after today's date the business date (营业日) may be set |
| IOUDESK_S3_BUCKET (+ _ENDPOINT_URL, _ACCESS_KEY, _SECRET_KEY, _REGION) | unset | keep customer files on S3-compatible storage (needs django-storages and boto3) |
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PRODUCTION = env("IOUDESK_ENV", "development") == "production"
DATA_DIR = Path(env("IOUDESK_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when IOUDESK_ENV=production")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("IOUDESK_DEBUG") and not PRODUCTION
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "ioudesk.portal.captcha_app.CaptchaConfig",  # django-simple-captcha (the public page), named in Chinese
    "ioudesk.core",
    "ioudesk.api",
    "ioudesk.customers",
    "ioudesk.ledger",
    "ioudesk.products",
    "ioudesk.ious",
    "ioudesk.documents",
    "ioudesk.jobs",
    "ioudesk.notify",
    "ioudesk.closing",
    "ioudesk.reminders",
    "ioudesk.collections",
    "ioudesk.legal",
    "ioudesk.recovery",
    "ioudesk.approvals",
    "ioudesk.screening",
    "ioudesk.applications",
    "ioudesk.receivables",
    "ioudesk.reports",
    "ioudesk.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ioudesk.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ioudesk.core.middleware.RequestContextMiddleware",
    "ioudesk.backoffice.twofactor.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ioudesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'ioudesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN, so two
    # clerks posting to one IOU queue up instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA cache_size=-65536;"  # 64 MiB page cache per connection
            "PRAGMA mmap_size=268435456;"  # read through 256 MiB of memory map
            # Checkpoint the WAL every 4,000 pages (16 MiB) instead of SQLite's 1,000: pages written
            # again and again (the IOU, the counters, index pages) are copied back once per
            # checkpoint, so a repayment costs less on average (decision 0004); keep at most 64 MiB
            # of WAL file afterwards.
            "PRAGMA wal_autocheckpoint=4000;"
            "PRAGMA journal_size_limit=67108864;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": env("IOUDESK_TEST_SQLITE", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth and security ----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/admin/"

SESSION_COOKIE_AGE = int(env("IOUDESK_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: expiry after inactivity
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

AXES_FAILURE_LIMIT = int(env("IOUDESK_AXES_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("IOUDESK_AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by username, not IP: the staff of one office usually share one NAT address, and one
# clerk's typos must not lock out the whole office.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "ioudesk.core.lockout.AuditedAxesHandler"
AXES_LOCKOUT_CALLABLE = "ioudesk.core.lockout.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = None

OTP_TOTP_ISSUER = "IOU Desk"
# An authenticator's secret is a login credential: the TOTP device admin never shows an existing
# device's key or QR code (staff set up their own on 双重验证).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("IOUDESK_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("IOUDESK_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- email ----------------------------------------------------------------------------------
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif env("IOUDESK_EMAIL_BACKEND") == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ioudesk@localhost")

# --- SMS (ioudesk/notify/sms.py) ----------------------------------------------------------------
IOUDESK_CONTACT_PHONE = env("IOUDESK_CONTACT_PHONE")  # {联系电话} in reminders (ioudesk/reminders)
IOUDESK_SMS_BACKEND = env("IOUDESK_SMS_BACKEND", "console")
IOUDESK_SMS_TIMEOUT = float(env("IOUDESK_SMS_TIMEOUT", "10"))
IOUDESK_SMS_FILE_DIR = env("IOUDESK_SMS_FILE_DIR", str(DATA_DIR / "sms"))
IOUDESK_SMS_WEBHOOK_URL = env("IOUDESK_SMS_WEBHOOK_URL")
IOUDESK_SMS_WEBHOOK_SECRET = env("IOUDESK_SMS_WEBHOOK_SECRET")
IOUDESK_SMS_RECEIPT_TOKEN = env("IOUDESK_SMS_RECEIPT_TOKEN")
IOUDESK_SMS_TENCENT_SECRET_ID = env("IOUDESK_SMS_TENCENT_SECRET_ID")
IOUDESK_SMS_TENCENT_SECRET_KEY = env("IOUDESK_SMS_TENCENT_SECRET_KEY")
IOUDESK_SMS_TENCENT_SDK_APP_ID = env("IOUDESK_SMS_TENCENT_SDK_APP_ID")
IOUDESK_SMS_TENCENT_SIGN_NAME = env("IOUDESK_SMS_TENCENT_SIGN_NAME")
IOUDESK_SMS_TENCENT_TEMPLATE_ID = env("IOUDESK_SMS_TENCENT_TEMPLATE_ID")
IOUDESK_SMS_TENCENT_TEMPLATES = env("IOUDESK_SMS_TENCENT_TEMPLATES")
IOUDESK_SMS_TENCENT_REGION = env("IOUDESK_SMS_TENCENT_REGION", "ap-guangzhou")
IOUDESK_SMS_TENCENT_ENDPOINT = env("IOUDESK_SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com")

# --- language, time ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["ioudesk.formats"]  # 2026-11-28 in every language (ioudesk/formats)
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "ioudesk" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"  # never served directly: downloads go through permission checks
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # `make run` and tests work before collectstatic

IOUDESK_UPLOAD_MAX_BYTES = int(float(env("IOUDESK_UPLOAD_MAX_MB", "20")) * 1024 * 1024)
IOUDESK_UPLOAD_ALLOWED_TYPES = env_list("IOUDESK_UPLOAD_ALLOWED_TYPES",
                                        "jpeg,png,gif,webp,heic,pdf,doc,xls,ppt,docx,xlsx,pptx")

# The public application page (/apply/): django-simple-captcha draws a sum ("7+3=") with its own font;
# the answers are kept in its database table, so every web process checks the same.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "x"
CAPTCHA_TIMEOUT = 15  # minutes
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_FONT_SIZE = 28

IOUDESK_PDF_FONT = env("IOUDESK_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
IOUDESK_IMPORT_MAX_ROWS = int(env("IOUDESK_IMPORT_MAX_ROWS", "50000"))
IOUDESK_IMPORT_BACKGROUND_ROWS = int(env("IOUDESK_IMPORT_BACKGROUND_ROWS", "1000"))
BUSINESS_DATE_MAX_DAYS_AHEAD = int(env("IOUDESK_BUSINESS_DATE_MAX_DAYS_AHEAD", "31"))

# --- background tasks -------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("IOUDESK_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- back office (django-unfold) ----------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": _("欠条管家"),
    "SITE_HEADER": _("欠条管家"),
    "SITE_SUBHEADER": _("客户借据与贷款管理"),
    "SITE_URL": "/admin/",
    "SITE_SYMBOL": "receipt_long",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": lambda request: "/static/ioudesk/favicon.svg"}],
    "SHOW_HISTORY": False,  # the audit trail replaces Django's LogEntry history
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "ioudesk.backoffice.dashboard.dashboard_callback",
    "ENVIRONMENT": "ioudesk.backoffice.navigation.environment_callback",
    "STYLES": [lambda request: "/static/ioudesk/backoffice.css"],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "ioudesk.backoffice.navigation.sidebar",
    },
}
TRUST_X_FORWARDED_FOR = env_bool("IOUDESK_TRUST_X_FORWARDED_FOR")
AXES_ENABLE_ADMIN = False
