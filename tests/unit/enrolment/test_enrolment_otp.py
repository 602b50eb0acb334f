from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from einvoice.enrolment import otp


def test_codes_are_six_random_digits_from_secrets(monkeypatch):
    codes = {otp.generate_code() for _ in range(300)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 290  # random, not a counter
    calls = []
    monkeypatch.setattr(otp.secrets, "randbelow", lambda n: calls.append(n) or 42)
    assert otp.generate_code() == "000042"  # leading zeros kept
    assert calls == [1_000_000]


def test_hash_is_salted_and_never_contains_the_code():
    h1, h2 = otp.hash_code("123456", context="e1"), otp.hash_code("123456", context="e1")
    assert h1 != h2  # a fresh salt per code
    assert "123456" not in h1 and h1.startswith("scrypt$")
    assert otp.verify_code("123456", h1, context="e1") and otp.verify_code("123456", h2, context="e1")
    assert not otp.verify_code("123457", h1, context="e1")
    assert not otp.verify_code("123456", h1, context="other-enrolment")  # bound to its enrolment


@pytest.mark.parametrize("bad", ["12345", "1234567", "abcdef", "", None, 123456, " 123456"])
def test_malformed_codes_never_verify(bad):
    h = otp.hash_code("123456")
    assert not otp.verify_code(bad, h)
    assert not otp.is_well_formed(bad)
    with pytest.raises(ValueError):
        otp.hash_code(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("stored", ["", "plain", "md5$x$y$z$a$b", "scrypt$16384$8$1$!!$!!", None])
def test_corrupt_stored_hash_is_a_mismatch(stored):
    assert otp.verify_code("123456", stored) is False  # type: ignore[arg-type]


def test_comparison_is_constant_time(monkeypatch):
    seen = []
    real = otp.hmac.compare_digest

    def spy(a, b):
        seen.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(otp.hmac, "compare_digest", spy)
    h = otp.hash_code("654321")
    assert otp.verify_code("654321", h) and not otp.verify_code("000000", h)
    assert not otp.verify_code("bad", h)  # malformed input still goes through the same comparison
    assert seen == [(32, 32)] * 3


def test_validity_is_ten_minutes():
    sent = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    expiry = otp.expires_at(sent)
    assert expiry - sent == timedelta(minutes=10)
    assert not otp.is_expired(expiry, sent + timedelta(minutes=9, seconds=59))
    assert otp.is_expired(expiry, sent + timedelta(minutes=10))


def test_limits():
    assert (otp.MAX_WRONG_ATTEMPTS, otp.MAX_RESENDS, otp.CODE_LENGTH) == (5, 3, 6)
