"""The credential decision on its own: no database, no socket, `now` passed in."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from hotspot import credentials
from hotspot.services.quota import Subject

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def ticket(**changes):
    fields = dict(
        kind="free",
        device_id=7,
        account_id=None,
        voucher_id=None,
        plan_id=1,
        nas_id=3,
        expires_at=NOW + timedelta(minutes=2),
    )
    return SimpleNamespace(**{**fields, **changes})


def voucher(**changes):
    fields = dict(id=5, plan_id=2, revoked=False, first_used_at=None, expires_at=None)
    return SimpleNamespace(**{**fields, **changes})


@pytest.mark.parametrize(
    "username, kind",
    [
        ("t-0123abcd", "ticket"),
        ("aa-bb-cc-dd-ee-01", "mac"),
        ("AABBCCDDEE01", "mac"),
        ("abcd-efgh23", "voucher"),
    ],
)
def test_the_shape_of_a_user_name_names_its_credential(username, kind):
    assert credentials.kind_of(username) == kind


def test_a_ticket_is_bound_to_its_device_and_its_nas():
    good = dict(
        password_ok=True,
        used=False,
        bound_mac="02:00:00:00:00:01",
        station_mac="02:00:00:00:00:01",
        nas_id=3,
        now=NOW,
    )
    assert credentials.ticket_refusal(ticket(), **good) is None
    assert (
        credentials.ticket_refusal(ticket(), **{**good, "station_mac": "02:00:00:00:00:77"})
        == "ticket_wrong_device"
    )
    assert credentials.ticket_refusal(ticket(), **{**good, "nas_id": 4}) == "ticket_wrong_nas"
    assert credentials.ticket_refusal(ticket(), **{**good, "station_mac": None}) is None  # nothing to compare
    assert credentials.ticket_refusal(ticket(nas_id=None), **{**good, "nas_id": 4}) is None
    assert credentials.ticket_refusal(ticket(), **{**good, "password_ok": False}) == "bad_password"
    assert credentials.ticket_refusal(ticket(), **{**good, "used": True}) == "ticket_used"
    assert (
        credentials.ticket_refusal(ticket(), **{**good, "now": NOW + timedelta(minutes=2)})
        == "ticket_expired"
    )


def test_a_ticket_spends_the_quota_of_its_kind_on_the_calling_device():
    assert credentials.ticket_holder(ticket(account_id=9), 8).subject == Subject(device_id=8)
    assert credentials.ticket_holder(ticket(kind="account", account_id=9), 8).subject == Subject(account_id=9)
    assert credentials.ticket_holder(ticket(kind="voucher", voucher_id=5), 8).subject == Subject(voucher_id=5)
    assert credentials.ticket_holder(ticket(device_id=None), None) is None


def test_validity_counts_from_first_use():
    assert credentials.voucher_validity(voucher(), 3, NOW) == (NOW + timedelta(days=3), True)
    assert credentials.voucher_validity(voucher(), None, NOW) == (None, True)
    used = voucher(first_used_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=2))
    assert credentials.voucher_validity(used, 3, NOW) == (NOW + timedelta(days=2), False)
    assert credentials.voucher_refusal(used, NOW + timedelta(days=2), NOW + timedelta(days=2)) == "expired"
    assert credentials.voucher_refusal(voucher(revoked=True), None, NOW) == "revoked"
    assert credentials.voucher_refusal(None, None, NOW) == "unknown_voucher"


@pytest.mark.parametrize(
    "changes, status",
    [
        ({}, "new"),
        ({"revoked": True}, "revoked"),
        ({"first_used_at": NOW - timedelta(days=1), "expires_at": NOW + timedelta(days=2)}, "active"),
        ({"first_used_at": NOW - timedelta(days=3), "expires_at": NOW}, "expired"),
    ],
)
def test_the_console_status_of_a_voucher(changes, status):
    assert credentials.voucher_status(voucher(**changes), 3, NOW) == status


def test_whose_quota_a_session_spends():
    assert credentials.quota_subject(1, None, 5) == Subject(voucher_id=5)
    assert credentials.quota_subject(1, 2, None) == Subject(account_id=2)
    assert credentials.quota_subject(1, None, None) == Subject(device_id=1)
    assert credentials.quota_subject(None, None, None) is None


def test_a_session_is_charged_to_the_calling_device_not_the_tickets():
    link = credentials.session_link("ticket", ticket(device_id=7), None, None, 8, True)
    assert link == {"device_id": 8, "account_id": None, "voucher_id": None, "plan_id": 1}
    assert credentials.session_link("ticket", ticket(device_id=7), None, None, None, False)["device_id"] == 7
    assert credentials.session_link("voucher", None, voucher(), None, 8, True) == {
        "device_id": 8,
        "voucher_id": 5,
        "plan_id": 2,
    }


def test_every_refusal_reads_in_both_languages():
    assert credentials.refusal("revoked", "en") == "This voucher has been cancelled."
    assert credentials.refusal("revoked") == "Voucher ini sudah dibatalkan."
    wrong_device = credentials.reply_message("ticket_wrong_device")
    assert wrong_device.startswith("Login ini dibuat untuk perangkat lain.")
    for reason in ("mac_mismatch", "no_mac_relogin", "no_login_today"):
        assert credentials.reply_message(reason) == "Pengguna tidak dikenal. / Unknown user."
    assert all(
        indonesian and english and indonesian != english
        for indonesian, english in credentials.REFUSALS.values()
    )
