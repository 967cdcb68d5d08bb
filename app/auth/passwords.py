"""Argon2id password hashing and the password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

# argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4) exceed the OWASP
# minimum for Argon2id; Werkzeug's default scrypt parameters do not.
hasher = PasswordHasher()

MIN_LENGTH = 12
COMMON = {
    "passwort1234", "password1234", "123456789012", "qwertzuiop12", "hallo1234567",
    "handwerk1234", "procheck1234", "sommer2026!!", "winter2026!!",
}


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is too weak (German), or None."""
    if len(password) < MIN_LENGTH:
        return str(_l("The password must have at least %(n)d characters.", n=MIN_LENGTH))
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 5:
        return str(_l("This password is too easy to guess. Please choose another one."))
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return str(_l("The password must not contain the email address."))
    return None


# Verifying against this keeps the response time equal for unknown email addresses.
DUMMY_HASH = hasher.hash("not-a-real-password")
