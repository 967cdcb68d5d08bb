"""Argon2id password hashing and the password policy.

A new password needs at least 12 characters, must not contain the user's name or email address, must not be
on the shipped list of common and leaked passwords nor be a common word with digits and marks around it
("Sommer2025!!", "P@ssw0rd1"), and zxcvbn must rate it at least 3 of 4 ("safely unguessable"), knowing the
user's name and email address and the German words in data/german_words.txt (zxcvbn itself knows English only).
"""

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.matching import add_frequency_lists

# argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4) exceed the OWASP
# minimum for Argon2id; Werkzeug's default scrypt parameters do not.
hasher = PasswordHasher()

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
RATED_LENGTH = 72  # zxcvbn rates at most 72 characters (its time grows with the length); they decide
DATA = Path(__file__).resolve().parent / "data"
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Letters written as digits or marks; "1" stands for "i" or "l", so both are tried.
LEET = (str.maketrans("013457@$", "oieastas"), str.maketrans("013457@$", "oleastas"))
DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")  # digits and marks before and after the word


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def _fold(text: str) -> str:
    return text.casefold().translate(UMLAUTS)


def _entries(name: str) -> list[str]:
    with (DATA / name).open(encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip() and not line.startswith("#")]


def _core(password: str) -> str:
    """The word inside the decorations: "Sommer2025!!" -> "sommer"."""
    return DECORATION.sub("", _fold(password))


@cache
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    """(common passwords as they are, the words they and german_words.txt are built from); loaded once."""
    common = [_fold(entry) for entry in _entries("common_passwords.txt")]
    german = _entries("german_words.txt")
    add_frequency_lists({"german_words": german})  # zxcvbn's dictionary matcher learns the German words
    words = {_fold(word) for word in german}
    for entry in common:
        core = _core(entry)
        if len(core) >= 4 and core.isalpha():
            words.add(core)
    return frozenset(common), frozenset(words)


def _personal(email: str, name: str) -> list[str]:
    """The user's own words: the email address, its parts and the parts of the name."""
    parts = {email.lower(), *re.split(r"[@._+\-]", email.lower()), *_fold(name).split()}
    return [part for part in parts if len(part) >= 4]


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a password is too weak (German), or None."""
    if len(password) < MIN_LENGTH:
        return str(_l("The password must have at least %(n)d characters.", n=MIN_LENGTH))
    personal = _personal(email, name)
    folded = _fold(password)
    if any(part in folded for part in personal):
        return str(_l("The password must not contain your name or email address."))
    common, words = _lists()
    core = _core(password)
    if folded in common or (len(core) >= 4 and any(core.translate(leet) in words for leet in LEET)):
        return str(_l("This password is on a list of common or leaked passwords, or it is a common word with "
                      "digits or marks added. Please choose another one."))
    if zxcvbn(password[:RATED_LENGTH], user_inputs=personal)["score"] < MIN_SCORE:
        return str(_l("This password is too easy to guess. Please choose another one."))
    return None


# Verifying against this keeps the response time equal for unknown email addresses.
DUMMY_HASH = hasher.hash("not-a-real-password")
