"""Configuration classes, read from environment variables (a .env file in development)."""

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


# Keys that were ever public (examples, tests, old defaults): production refuses them.
KNOWN_KEYS = {"dev-only-not-secret", "test-secret", "change-me", "changeme", "secret", "..."}
MIN_KEY_BYTES = 32


class Config:
    # None in development: create_app() makes a random key once and keeps it in instance/secret_key.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'procheck.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # Minutes without a request before the session ends; the page warns two minutes earlier.
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
    # Sign-in attempts per email address (known or not) before it is locked, and for how long.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    # Failed (and running) sign-in attempts per client address in a window; each costs a 64 MiB Argon2 check.
    LOGIN_MAX_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_PER_ADDRESS", "30"))
    LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "15"))
    # Reverse proxies in front that append the client's address to X-Forwarded-For (0: use REMOTE_ADDR).
    LOGIN_PROXY_COUNT = int(os.environ.get("LOGIN_PROXY_COUNT", "0"))

    # The chamber's own register number format; every chamber numbers its Handwerksrolle differently.
    REGISTER_NUMBER_PATTERN = os.environ.get("REGISTER_NUMBER_PATTERN", r"^\d{4,12}$")
    # The register extract's upload (the whole district, 30,000 rows, is about 4 MB as CSV; XLSX is smaller).
    IMPORT_FOLDER = os.environ.get("IMPORT_FOLDER")  # uploaded extracts until imported; default instance/imports
    IMPORT_BATCH_ROWS = int(os.environ.get("IMPORT_BATCH_ROWS", "1000"))  # rows per INSERT/UPDATE and commit
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
    # An upload not started within this many hours goes with its dry run (storage limitation, app.imports.cleanup).
    IMPORT_KEEP_HOURS = int(os.environ.get("IMPORT_KEEP_HOURS", "24"))
    # A hand-over of more cases than this is queued and worked in the background (500 a commit), with progress.
    HANDOVER_INLINE_MAX = int(os.environ.get("HANDOVER_INLINE_MAX", "2000"))
    CHAMBER_NAME = os.environ.get("CHAMBER_NAME", "Handwerkskammer Münster")
    # The name with its article where a sentence needs it (app.chamber); unset: "die/der " + CHAMBER_NAME.
    CHAMBER_NAME_NOMINATIVE = os.environ.get("CHAMBER_NAME_NOMINATIVE")  # "die Handwerkskammer Münster sendet"
    CHAMBER_NAME_DATIVE = os.environ.get("CHAMBER_NAME_DATIVE")  # "von der Handwerkskammer Münster"
    CHAMBER_NAME_GENITIVE = os.environ.get("CHAMBER_NAME_GENITIVE")  # "das Programm der Handwerkskammer Münster"
    PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "25"))
    # First day of the three-year programme (YYYY-MM-DD): programme years and targets count from it.
    PROGRAMME_START = os.environ.get("PROGRAMME_START", "2026-01-01")
    # Last day of the programme (YYYY-MM-DD); empty: three years from PROGRAMME_START.
    PROGRAMME_END = os.environ.get("PROGRAMME_END", "")
    # Businesses whose cases are all closed or withdrawn are anonymised this many months after the programme ends.
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS", "12"))
    RETENTION_BATCH_SIZE = int(os.environ.get("RETENTION_BATCH_SIZE", "500"))
    # The version of the consent text in the business form that staff read out or hand over (kept with each consent).
    CONSENT_TEXT_VERSION = os.environ.get("CONSENT_TEXT_VERSION", "2026-12")

    # Follow-up delays skip weekends and the public holidays of this federal state (ISO 3166-2 code).
    HOLIDAY_SUBDIVISION = os.environ.get("HOLIDAY_SUBDIVISION", "NW")
    # Absolute base of links in emails (unsubscribe, answers); https in production.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How long the signed links in emails work (days): one-click answers, unsubscribe.
    LINK_ANSWER_MAX_AGE_DAYS = int(os.environ.get("LINK_ANSWER_MAX_AGE_DAYS", "90"))
    LINK_SELF_CHECK_MAX_AGE_DAYS = int(os.environ.get("LINK_SELF_CHECK_MAX_AGE_DAYS", "30"))
    LINK_UNSUBSCRIBE_MAX_AGE_DAYS = int(os.environ.get("LINK_UNSUBSCRIBE_MAX_AGE_DAYS", "365"))
    # The public request page (/anfrage): how long its confirmation link works (then the unconfirmed request is
    # deleted), the least seconds between showing the form and sending it (faster is a bot), and how many requests
    # one client address (IPv6: per /64) and one recipient address may send per window.
    INTAKE_LINK_MAX_AGE_DAYS = int(os.environ.get("INTAKE_LINK_MAX_AGE_DAYS", "7"))
    INTAKE_MIN_FILL_SECONDS = int(os.environ.get("INTAKE_MIN_FILL_SECONDS", "4"))
    INTAKE_MAX_PER_ADDRESS = int(os.environ.get("INTAKE_MAX_PER_ADDRESS", "5"))
    INTAKE_MAX_PER_EMAIL = int(os.environ.get("INTAKE_MAX_PER_EMAIL", "3"))
    INTAKE_WINDOW_MINUTES = int(os.environ.get("INTAKE_WINDOW_MINUTES", "60"))
    CHAMBER_SIGNATURE = os.environ.get(
        "CHAMBER_SIGNATURE", "Ihr Team Digitalisierung\nHandwerkskammer Münster\nBismarckallee 1, 48151 Münster"
    )

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")  # smtp | file
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "ProCheck <procheck@example.org>")
    MAIL_TIMEOUT_SECONDS = float(os.environ.get("MAIL_TIMEOUT_SECONDS", "20"))
    # A row being sent is leased this long; a lease that runs out (the process died) goes back to pending.
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
    OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "200"))
    # Temporary failures retry with growing back-off until this many hours after the first due time.
    OUTBOX_GIVE_UP_HOURS = int(os.environ.get("OUTBOX_GIVE_UP_HOURS", "48"))

    # Run APScheduler inside the web process (development); production runs `flask procheck worker`.
    SCHEDULER_IN_PROCESS = _bool("SCHEDULER_IN_PROCESS", False)


class DevelopmentConfig(Config):
    SCHEDULER_IN_PROCESS = _bool("SCHEDULER_IN_PROCESS", True)
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")  # .eml files in instance/mail/, no server needed


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    SCHEDULER_IN_PROCESS = False
    CHECK_PENDING_CHANGES = True  # a request that leaves uncommitted changes fails the test


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS = True

    @staticmethod
    def problems(environ=os.environ) -> list[str]:
        """What keeps production from starting, in words for the operator."""
        found = []
        key = environ.get("SECRET_KEY", "")
        if not key:
            found.append("SECRET_KEY is not set")
        elif key in KNOWN_KEYS:
            found.append("SECRET_KEY is a publicly known value")
        elif len(key.encode()) < MIN_KEY_BYTES:
            found.append(f"SECRET_KEY is shorter than {MIN_KEY_BYTES} bytes")
        if not environ.get("DATABASE_URL"):
            found.append("DATABASE_URL is not set")
        if not environ.get("PUBLIC_BASE_URL", "").startswith("https://"):
            found.append("PUBLIC_BASE_URL must be an https:// address")
        return found


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
