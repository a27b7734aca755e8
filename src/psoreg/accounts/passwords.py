"""Passwords: argon2 hashes and the password policy.

The policy (NIST SP 800-63B §5.1.1.2: a minimum length, checked against known and guessable
passwords, no composition rules):

* at least :data:`MIN_LENGTH` (12) and at most :data:`MAX_LENGTH` (256) characters;
* not containing the user name (whatever the case), and not only spaces;
* rated at least :data:`MIN_SCORE` (3 of 4, "safely unguessable") by zxcvbn, Dropbox's
  estimator maintained on PyPI, which knows common passwords, dictionary words, keyboard
  patterns, repeats, sequences and dates, and is told the user name and this application's
  own words.

Written by hand only the rules zxcvbn does not cover; the estimate is the library's.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
#: words an attacker would try first on this site
SITE_WORDS = ("psoreg", "psoriasis", "registry", "biologic", "dermatology", "clinic", "admin")

_HASHER = PasswordHasher()


def problems(password: str, username: str = "") -> list[str]:
    """What is wrong with ``password`` for ``username`` under the policy (empty: acceptable)."""
    import zxcvbn

    pw = password or ""
    if len(pw) < MIN_LENGTH:
        return [f"at least {MIN_LENGTH} characters (got {len(pw)})"]
    if len(pw) > MAX_LENGTH:
        return [f"at most {MAX_LENGTH} characters (got {len(pw)})"]
    if not pw.strip():
        return ["must not be only spaces"]
    name = (username or "").strip().casefold()
    if name and (name in pw.casefold() or pw.casefold() in name):
        return ["must not contain the user name"]
    result = zxcvbn.zxcvbn(pw[:100], user_inputs=[name, *SITE_WORDS])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hint = " ".join(x for x in [feedback.get("warning"), *feedback.get("suggestions", [])] if x)
        return [
            f"too easy to guess (strength {result['score']} of 4, at least {MIN_SCORE} needed)"
            + (f": {hint}" if hint else "; try four or more unrelated words")
        ]
    return []


def generate() -> str:
    """A random password that passes the policy (about 120 bits)."""
    while True:
        pw = secrets.token_urlsafe(15)
        if not problems(pw):
            return pw


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def waste_time(password: str) -> None:
    """Hash once, so that an unknown user name costs as long as a wrong password."""
    _HASHER.hash(password or "x")
