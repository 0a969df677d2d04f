"""Configuration from the environment (a `.env` file is read when present)."""
import os
from urllib.parse import urlsplit

from dotenv import load_dotenv

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
ENVIRONMENTS = ("development", "test", "production")


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PASSKIT_SETTINGS = ("PASSKIT_CERT", "PASSKIT_KEY", "PASSKIT_WWDR", "PASSKIT_PASS_TYPE_ID",
                    "PASSKIT_TEAM_ID")


def parse_origins(value: str) -> list[str]:
    """`EMBED_ORIGINS`: origins separated by commas or spaces, each `scheme://host[:port]`.

    Raises ValueError naming the first entry that is not an origin (a path, a wildcard,
    a missing scheme), so a typo stops the shop at start rather than silently framing nothing.
    """
    origins = []
    for raw in value.replace(",", " ").split():
        origin = raw.rstrip("/")
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or "*" in origin \
                or parts.path or parts.query or parts.fragment or parts.username:
            raise ValueError(f"EMBED_ORIGINS: {raw!r} is not an origin like "
                             "https://www.example.com")
        origin = origin.lower()  # browsers compare the lower-case origin
        if origin not in origins:
            origins.append(origin)
    return origins


def parse_capacity(value: str) -> int:
    """`WEEKLY_SESSION_CAPACITY`: sessions the practice can give in a week (1–500); a typo
    stops the shop at start instead of showing nonsense on the dashboard."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 500:
        raise ValueError(f"WEEKLY_SESSION_CAPACITY: {value!r} is not a whole number of "
                         "sessions from 1 to 500")
    return int(text)


class Config:
    """Read once per app; every setting can be overridden by the environment."""

    def __init__(self) -> None:
        load_dotenv(os.path.join(BASE_DIR, ".env"))
        env = os.environ.get
        # Any case; `create_app` refuses anything but ENVIRONMENTS (a typo must not fail open).
        self.GIFTSHOP_ENV = env("GIFTSHOP_ENV", "development").strip().lower()
        self.SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = env(
            "DATABASE_URL",
            "sqlite:///" + os.path.join(BASE_DIR, "instance", "giftshop.sqlite3"),
        )
        # No pool_pre_ping: it costs a round trip per request. A connection found dead
        # fails that one request with a 503 (nothing half-written) and SQLAlchemy then
        # replaces the whole pool; recycling bounds how stale an idle connection gets.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}
        self.SHOP_BASE_URL = env("SHOP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
        self.STRIPE_API_BASE = env("STRIPE_API_BASE", "")
        self.MAIL_SERVER = env("MAIL_SERVER", "")
        self.MAIL_PORT = int(env("MAIL_PORT", "25"))
        self.MAIL_USERNAME = env("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_DEFAULT_SENDER = env(
            "MAIL_DEFAULT_SENDER", "West Hills Massage <gifts@westhillsmassage.com>"
        )
        self.REDIS_URL = env("REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        # Explicit: Flask-Limiter otherwise keeps the last app's setting on its shared object.
        self.RATELIMIT_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.INSTANCE_DIR = env("GIFTSHOP_INSTANCE_DIR", os.path.join(BASE_DIR, "instance"))
        self.PDF_CACHE_DIR = env("PDF_CACHE_DIR", os.path.join(self.INSTANCE_DIR, "pdf-cache"))
        # Least-recently-used PDFs are evicted past this size (a re-render costs ~60 ms).
        self.PDF_CACHE_MAX_MB = float(env("PDF_CACHE_MAX_MB", "200"))
        self.OUTBOX_THREAD = _bool("OUTBOX_THREAD")
        # GET / served from memory per catalog version (PostgreSQL; see catalog/page_cache.py).
        self.CATALOG_PAGE_CACHE = _bool("CATALOG_PAGE_CACHE", True)
        # The practice, printed on pages and vouchers.
        self.PRACTICE_NAME = env("PRACTICE_NAME", "West Hills Massage")
        self.PRACTICE_ADDRESS = env(
            "PRACTICE_ADDRESS", "1675 SW Marlow Ave, Suite 210F, Portland, OR 97225"
        )
        self.PRACTICE_PHONE = env("PRACTICE_PHONE", "(971) 336-6028")
        self.PRACTICE_LICENSE = env("PRACTICE_LICENSE", "Oregon License #19165")
        self.PRACTICE_HOURS = env(
            "PRACTICE_HOURS",
            "Mon 10–8 · Tue closed · Wed–Thu 10–8 · Fri 10–1 · Sat closed · Sun 10–6",
        )
        # The practice's online booking page, offered as "Book your session" to holders;
        # empty means the phone number is the only way to book.
        self.BOOKING_URL = env("BOOKING_URL", "").strip()
        # Reminder emails to holders with value left (giftshop/vouchers/reminders.py):
        # the first after this many days unused (0 = no reminders), then at most one per
        # voucher every REMINDER_EVERY_DAYS, at most REMINDER_MAX in a row without a visit.
        self.REMINDER_AFTER_DAYS = int(env("REMINDER_AFTER_DAYS", "0"))
        self.REMINDER_EVERY_DAYS = int(env("REMINDER_EVERY_DAYS", "30"))
        self.REMINDER_MAX = int(env("REMINDER_MAX", "3"))
        # How many sessions a week the practice gives; the dashboard turns the prepaid
        # sessions into weeks of work with it.
        self.WEEKLY_SESSION_CAPACITY = parse_capacity(env("WEEKLY_SESSION_CAPACITY", "20"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = self.GIFTSHOP_ENV == "production"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PROXY_FIX_HOPS = int(env("PROXY_FIX_HOPS", "0"))
        # Bigger bodies are refused with 413 before they are read (the desk's camera
        # frames have their own 2 MB limit).
        self.MAX_CONTENT_LENGTH = int(env("MAX_CONTENT_LENGTH", str(1024 * 1024)))
        # Sites allowed to frame /embed (the "Buy a gift" button's dialog).
        self.EMBED_ORIGINS = parse_origins(env("EMBED_ORIGINS", ""))
        # Apple Wallet passes: PEM file paths and Apple ids; all unset = no pass button.
        for name in PASSKIT_SETTINGS:
            setattr(self, name, env(name, ""))
        self.PASSKIT_KEY_PASSWORD = env("PASSKIT_KEY_PASSWORD", "")  # only if the key is encrypted

    @property
    def DEMO_PAYMENTS(self) -> bool:
        return not self.STRIPE_SECRET_KEY


class TestConfig(Config):
    __test__ = False  # not a pytest test class

    """Isolated settings for the test-suite; DATABASE_URL is chosen by the fixtures."""

    def __init__(self, **overrides) -> None:
        super().__init__()
        self.TESTING = True
        self.GIFTSHOP_ENV = "test"
        self.SECRET_KEY = "test-secret-key"
        self.WTF_CSRF_ENABLED = True
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SHOP_BASE_URL = "http://shop.test"
        self.STRIPE_SECRET_KEY = ""
        self.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
        self.STRIPE_API_BASE = ""
        self.MAIL_SERVER = ""
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # Each cache keeps a LISTEN connection and a thread: tests that want one say so
        # (and stop it), so hundreds of test apps do not each hold a connection.
        self.CATALOG_PAGE_CACHE = False
        for key, value in overrides.items():
            setattr(self, key, value)
