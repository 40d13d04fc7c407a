"""Citizens' registration codes, sign-in and reset rules, against the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from hotspot.services import citizens
from hotspot.services.citizens import CitizenError

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
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
    registration = register(db, outbox)
    assert registration.phone == PHONE
    phone, message = outbox.sent[0]
    code = outbox.last_code()
    assert phone == PHONE
    assert message == (
        f"Kode Wi-Fi Kota Kupang: {code} (berlaku 10 menit). "
        f"Your Kota Kupang Wi-Fi code: {code} (valid 10 minutes)."
    )
    assert reason(lambda: citizens.check_login(db, PHONE, "sandi-rahasia", NOW)) == "unverified"
    account = citizens.complete_registration(db, registration, code, NOW + timedelta(minutes=9))
    assert account.verified
    assert reason(lambda: citizens.complete_registration(db, registration, code, NOW)) == "code_expired"
    assert citizens.check_login(db, "081234567890", "sandi-rahasia", NOW).id == account.id


def test_registering_a_registered_number_looks_the_same_and_needs_the_phone(db):
    """No answer says which numbers have accounts: a code goes out either way, and only the phone's code
    (typed where the new password was chosen) changes the password, as a reset would."""
    outbox = Outbox()
    citizens.complete_registration(db, register(db, outbox), outbox.last_code(), NOW)
    again = citizens.start_registration(db, "0812 3456 7890", "sandi-lain-123", NOW, outbox, "Kota Kupang")
    assert again.phone == PHONE and len(outbox.sent) == 2
    assert citizens.check_login(db, PHONE, "sandi-rahasia", NOW).phone == PHONE
    citizens.complete_registration(db, again, outbox.last_code(), NOW)
    assert citizens.check_login(db, PHONE, "sandi-lain-123", NOW).phone == PHONE


def test_a_second_registration_never_changes_what_the_owners_code_activates(db):
    outbox = Outbox()
    owner = register(db, outbox)
    intruder = citizens.start_registration(db, "0812 3456 7890", "intruder-pass-1", NOW, outbox, "Kupang")
    assert intruder.phone == PHONE
    citizens.complete_registration(db, owner, outbox.last_code(), NOW)  # the owner types the newest SMS
    assert reason(lambda: citizens.check_login(db, PHONE, "intruder-pass-1", NOW)) == "bad_login"
    assert citizens.check_login(db, PHONE, "sandi-rahasia", NOW).verified


def test_code_expires_after_ten_minutes_and_five_wrong_guesses(db):
    outbox = Outbox()
    registration = register(db, outbox)
    late = NOW + timedelta(minutes=10)
    code = outbox.last_code()
    assert reason(lambda: citizens.complete_registration(db, registration, code, late)) == "code_expired"
    register(db, outbox)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    for _ in range(5):
        assert reason(lambda: citizens.complete_registration(db, registration, wrong, NOW)) == "bad_code"
    code = outbox.last_code()
    assert reason(lambda: citizens.complete_registration(db, registration, code, NOW)) == "code_expired"


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
    citizens.complete_registration(db, register(db, outbox), outbox.last_code(), NOW)
    citizens.request_reset(db, PHONE, NOW, outbox, "Kota Kupang")
    assert (
        reason(lambda: citizens.reset_password(db, PHONE, outbox.last_code(), "short", NOW))
        == "weak_password"
    )
    citizens.reset_password(db, PHONE, outbox.last_code(), "sandi-baru-123", NOW)
    assert reason(lambda: citizens.check_login(db, PHONE, "sandi-rahasia", NOW)) == "bad_login"
    assert citizens.check_login(db, PHONE, "sandi-baru-123", NOW).phone == PHONE


def test_bad_input_is_refused_with_a_reason(db):
    outbox = Outbox()
    assert (
        reason(lambda: citizens.start_registration(db, "12345", "sandi-rahasia", NOW, outbox, "K"))
        == "bad_phone"
    )
    assert (
        reason(lambda: citizens.start_registration(db, PHONE, "short", NOW, outbox, "K")) == "weak_password"
    )
    assert reason(lambda: citizens.check_login(db, "+6289999999999", "whatever-pass", NOW)) == "bad_login"
    assert outbox.sent == []


RULES = citizens.SmsRules(allowed_prefixes=("+628",), daily_budget=3, timezone="Asia/Makassar")


@pytest.mark.parametrize("number", ["+881612345678", "+8707712345678", "+447700900123", "+62215551234"])
def test_codes_go_only_to_the_allowed_prefixes(db, number):
    """Satellite (+8816, +870), foreign and landline numbers get no SMS (SMS pumping)."""
    outbox = Outbox()
    refused = reason(
        lambda: citizens.start_registration(db, number, "sandi-rahasia", NOW, outbox, "K", RULES)
    )
    assert refused == "phone_not_allowed"
    assert reason(lambda: citizens.request_reset(db, number, NOW, outbox, "K", RULES)) == "phone_not_allowed"
    assert outbox.sent == []


def test_the_citys_daily_sms_budget_stops_codes_until_the_next_day(db):
    outbox = Outbox()
    for n in range(3):
        citizens.start_registration(db, f"0812 0000 000{n}", "sandi-rahasia", NOW, outbox, "K", RULES)
    assert (
        reason(
            lambda: citizens.start_registration(
                db, "0812 0000 0009", "sandi-rahasia", NOW, outbox, "K", RULES
            )
        )
        == "sms_budget_spent"
    )
    assert len(outbox.sent) == 3
    tomorrow = NOW + timedelta(days=1)
    citizens.start_registration(db, "0812 0000 0009", "sandi-rahasia", tomorrow, outbox, "K", RULES)
    assert len(outbox.sent) == 4
