"""Citizens' registration codes, sign-in and reset rules, against the database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from hotspot.services import citizens
from hotspot.services.citizens import CitizenError

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)
PHONE = "+6281234567890"


class Outbox:
    """An SMS sender that keeps what it would send (the console and webhook senders are tested elsewhere)."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        self.sent.append((phone, message))

    def last_code(self) -> str:
        return re.search(r"\d{6}", self.sent[-1][1]).group(0)


def register(db, outbox, now=NOW):
    return citizens.start_registration(db, "0812 3456 7890", "sandi-rahasia", now, outbox, "Kota Kupang")


def reason(call) -> str:
    with pytest.raises(CitizenError) as raised:
        call()
    return raised.value.reason


def test_registration_sends_a_bilingual_code_and_verifies_once(db):
    outbox = Outbox()
    assert register(db, outbox) == PHONE
    phone, message = outbox.sent[0]
    code = outbox.last_code()
    assert phone == PHONE
    assert message == (f"Kode Wi-Fi Kota Kupang: {code} (berlaku 10 menit). "
                       f"Your Kota Kupang Wi-Fi code: {code} (valid 10 minutes).")
    assert reason(lambda: citizens.authenticate(db, PHONE, "sandi-rahasia", NOW)) == "unverified"
    account = citizens.complete_registration(db, PHONE, code, NOW + timedelta(minutes=9))
    assert account.verified
    assert reason(lambda: citizens.complete_registration(db, PHONE, code, NOW)) == "code_expired"
    assert citizens.authenticate(db, "081234567890", "sandi-rahasia", NOW).id == account.id
    assert reason(lambda: register(db, outbox)) == "exists"


def test_code_expires_after_ten_minutes_and_five_wrong_guesses(db):
    outbox = Outbox()
    register(db, outbox)
    late = NOW + timedelta(minutes=10)
    assert reason(lambda: citizens.complete_registration(db, PHONE, outbox.last_code(), late)) == "code_expired"
    register(db, outbox)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    for _ in range(5):
        assert reason(lambda: citizens.complete_registration(db, PHONE, wrong, NOW)) == "bad_code"
    assert reason(lambda: citizens.complete_registration(db, PHONE, outbox.last_code(), NOW)) == "code_expired"


def test_at_most_five_codes_per_phone_per_hour(db):
    outbox = Outbox()
    for minute in range(5):
        register(db, outbox, NOW + timedelta(minutes=minute))
    assert reason(lambda: register(db, outbox, NOW + timedelta(minutes=5))) == "too_many_codes"
    assert len(outbox.sent) == 5
    register(db, outbox, NOW + timedelta(minutes=61))
    assert len(outbox.sent) == 6


def test_reset_says_nothing_about_unknown_numbers_and_needs_the_code(db):
    outbox = Outbox()
    assert citizens.request_reset(db, "0812 0000 0000", NOW, outbox, "Kota Kupang") == "+6281200000000"
    assert outbox.sent == []
    register(db, outbox)
    citizens.complete_registration(db, PHONE, outbox.last_code(), NOW)
    citizens.request_reset(db, PHONE, NOW, outbox, "Kota Kupang")
    assert reason(lambda: citizens.reset_password(db, PHONE, outbox.last_code(), "short", NOW)) == "weak_password"
    citizens.reset_password(db, PHONE, outbox.last_code(), "sandi-baru-123", NOW)
    assert reason(lambda: citizens.authenticate(db, PHONE, "sandi-rahasia", NOW)) == "bad_login"
    assert citizens.authenticate(db, PHONE, "sandi-baru-123", NOW).phone == PHONE


def test_bad_input_is_refused_with_a_reason(db):
    outbox = Outbox()
    assert reason(lambda: citizens.start_registration(db, "12345", "sandi-rahasia", NOW, outbox, "K")) == "bad_phone"
    assert reason(lambda: citizens.start_registration(db, PHONE, "short", NOW, outbox, "K")) == "weak_password"
    assert reason(lambda: citizens.authenticate(db, "+6289999999999", "whatever-pass", NOW)) == "bad_login"
    assert outbox.sent == []
