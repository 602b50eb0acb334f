"""One-time password rules (pure, no I/O).

* 6 digits drawn from ``secrets`` (a cryptographic source);
* stored only as a salted, slow hash (scrypt, a fresh 16-byte salt per code) in one opaque string
  ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``; the code itself is never stored, logged or returned;
* valid ``OTP_VALIDITY`` (10 minutes) after it was sent;
* at most ``MAX_WRONG_ATTEMPTS`` (5) wrong codes per enrolment (counted across resends), then LOCKED;
* at most ``MAX_RESENDS`` (3) resends, each one replacing (so invalidating) the previous code;
* comparison in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

CODE_LENGTH = 6
OTP_VALIDITY = timedelta(minutes=10)
MAX_WRONG_ATTEMPTS = 5
MAX_RESENDS = 3

# scrypt cost: ~65 ms per hash on the project's 2-core machine. Only the API path that checks a
# code pays it, once per attempt; it makes an offline search of a leaked hash slow.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_DKLEN = 32
_SALT_BYTES = 16
_CODE_RE = re.compile(r"\A[0-9]{6}\Z")  # \Z: "123456\n" is not a code ($ would accept it)


def generate_code() -> str:
    """A uniformly random 6-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def is_well_formed(code: object) -> bool:
    return isinstance(code, str) and _CODE_RE.fullmatch(code) is not None


def _derive(code: str, salt: bytes, n: int, r: int, p: int, context: str) -> bytes:
    message = f"{context}:{code}".encode()
    return hashlib.scrypt(message, salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=64 * 1024 * 1024)


def hash_code(code: str, *, context: str = "") -> str:
    """Salted hash of ``code``, bound to ``context`` (the enrolment id) so it cannot be replayed elsewhere."""
    if not is_well_formed(code):
        raise ValueError("an OTP is exactly 6 digits")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(code, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, context)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_code(code: str, stored: str, *, context: str = "") -> bool:
    """True when ``code`` matches ``stored``; the final comparison is constant-time.

    A malformed code is still hashed (against the stored salt) so the time taken does not reveal
    whether the input was well formed.
    """
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_b64)
        expected = base64.urlsafe_b64decode(digest_b64)
        n_i, r_i, p_i = int(n), int(r), int(p)
    except (ValueError, AttributeError):
        return False
    candidate = code if is_well_formed(code) else "x" * CODE_LENGTH
    actual = _derive(candidate, salt, n_i, r_i, p_i, context)
    return hmac.compare_digest(actual, expected) and is_well_formed(code)


def expires_at(sent_at: datetime) -> datetime:
    return sent_at + OTP_VALIDITY


def is_expired(expiry: datetime, now: datetime) -> bool:
    return now >= expiry
