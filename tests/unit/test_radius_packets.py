"""The RADIUS codec: real packet bytes in, dataclasses out; decisions in, vendor attributes out."""

from datetime import UTC, datetime, timedelta

import pytest
from pyrad import packet

from radius import packets
from testbed.radius_packets import DICTIONARY, access_request, accounting_request, decode_reply

SECRET = b"s3cret-for-tests"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def decoded(raw: bytes, port: str = "auth"):
    packets.read_header(raw, port)
    return packets.decode(raw, port, SECRET, DICTIONARY)


def test_dictionary_codes_and_types():
    attrs = DICTIONARY.attributes
    assert (
        attrs["Mikrotik-Rate-Limit"].vendor,
        attrs["Mikrotik-Rate-Limit"].code,
        attrs["Mikrotik-Rate-Limit"].type,
    ) == ("Mikrotik", 8, "string")
    assert DICTIONARY.vendors.GetForward("Mikrotik") == 14988
    assert (attrs["WISPr-Bandwidth-Max-Up"].code, attrs["WISPr-Bandwidth-Max-Up"].type) == (7, "integer")
    assert DICTIONARY.vendors.GetForward("WISPr") == 14122
    assert DICTIONARY.vendors.GetForward("ChilliSpot") == 14559
    assert attrs["ChilliSpot-Max-Total-Octets"].code == 3
    assert attrs["CoovaChilli-Max-Total-Gigawords"].code == 23
    assert attrs["Mikrotik-Total-Limit-Gigawords"].code == 18
    assert (attrs["Acct-Input-Gigawords"].code, attrs["Acct-Input-Gigawords"].type) == (52, "integer")
    assert (attrs["Message-Authenticator"].code, attrs["Message-Authenticator"].type) == (80, "octets")
    assert attrs["Error-Cause"].code == 101
    assert attrs["Acct-Status-Type"].values.GetForward("Interim-Update") == (3).to_bytes(4, "big")


def test_pap_password_is_decrypted_and_checked():
    request = packets.auth_request(
        decoded(access_request(SECRET, "t-abc", "pw-1", Calling_Station_Id="aa-bb-cc-dd-ee-ff"))
    )
    assert request.username == "t-abc"
    assert request.password == "pw-1"
    assert request.mac == "AA:BB:CC:DD:EE:FF"
    assert request.password_matches("pw-1")
    assert not request.password_matches("pw-2")


@pytest.mark.parametrize("challenge", [None, bytes(range(16))])
def test_chap_uses_the_challenge_attribute_or_the_request_authenticator(challenge):
    request = packets.auth_request(
        decoded(access_request(SECRET, "t-abc", chap="secret-9", challenge=challenge))
    )
    assert request.password is None
    assert request.password_matches("secret-9")
    assert not request.password_matches("secret-8")


def test_accounting_octets_are_64_bit_with_gigawords():
    raw = accounting_request(
        SECRET,
        "Interim-Update",
        "s1",
        Acct_Input_Octets=5,
        Acct_Input_Gigawords=1,
        Acct_Output_Octets=4294967295,
        Acct_Output_Gigawords=2,
        Acct_Session_Time=60,
        Calling_Station_Id="AA-BB-CC-00-11-22",
        Framed_IP_Address="10.5.50.7",
    )
    request = packets.accounting_request(decoded(raw, "acct"), NOW)
    assert request.input_octets == 4294967301
    assert request.output_octets == 3 * 4294967296 - 1
    assert request.calling_station_id == "AA:BB:CC:00:11:22"
    assert request.framed_ip == "10.5.50.7"
    assert request.status == "Interim-Update"
    assert request.event_time == NOW


def test_event_time_uses_a_sane_event_timestamp_else_the_delay():
    stamp = int((NOW - timedelta(minutes=3)).timestamp())
    assert packets.event_time(stamp, 30, NOW) == NOW - timedelta(minutes=3)
    assert packets.event_time(stamp - 3 * 86400, 30, NOW) == NOW - timedelta(seconds=30)
    assert packets.event_time(None, 0, NOW) == NOW


def test_request_authenticator_of_accounting_is_verified():
    raw = accounting_request(SECRET, "Start", "s1")
    assert packets.request_authenticator_valid(decoded(raw, "acct"))
    wrong = packets.decode(raw, "acct", b"other-secret", DICTIONARY)
    assert not packets.request_authenticator_valid(wrong)


def test_message_authenticator_is_verified_when_present():
    raw = access_request(SECRET, "t-abc", "pw", signed=True)
    assert packets.has_message_authenticator(decoded(raw))
    assert packets.message_authenticator_valid(decoded(raw))
    tampered = raw[:-1] + bytes([raw[-1] ^ 1])
    assert not packets.message_authenticator_valid(decoded(tampered))


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\x01\x07\x00", "truncated"),
        (b"\x01\x07\x00\x30" + bytes(16), "bad_length"),
        (b"\x01\x07\x00\x10" + bytes(16), "bad_length"),
        (b"\x01\x07\x00\x17" + bytes(16) + b"\x01\x05a", "bad_attribute_length"),
        (b"\x01\x07\x00\x16" + bytes(16) + b"\x01\x01", "bad_attribute_length"),
        (b"\x01\x07\x00\x18" + bytes(16) + b"\x50\x04ab", "bad_message_authenticator"),
        (b"\x04\x07\x00\x14" + bytes(16), "unexpected_code"),
        (b"\x01" + bytes(5000), "too_long"),
    ],
)
def test_malformed_framing_is_refused_with_a_reason(raw, reason):
    with pytest.raises(packets.MalformedPacket) as caught:
        packets.read_header(raw, "auth")
    assert caught.value.reason == reason


def test_bad_attribute_values_are_malformed_not_crashes():
    raw = access_request(SECRET, "t-abc", chap="x")
    broken = bytearray(raw)
    at = broken.index(bytes([3, 19]))
    broken[at + 1] = 10
    broken[at + 10 : at + 19] = b""
    broken[2:4] = len(broken).to_bytes(2, "big")
    with pytest.raises(packets.MalformedPacket) as caught:
        packets.auth_request(decoded(bytes(broken)))
    assert caught.value.reason == "bad_attribute_value"
    unknown = access_request(SECRET, "t-abc", "pw")
    unknown = unknown + b"\xf0\x05abc"
    unknown = unknown[:2] + len(unknown).to_bytes(2, "big") + unknown[4:]
    assert packets.auth_request(decoded(unknown)).username == "t-abc"


GRANT = packets.AcceptLimits(
    session_timeout=3600,
    idle_timeout=600,
    interim_interval=300,
    down_kbps=2048,
    up_kbps=1024,
    octets_left=5 * 2**32 + 7,
)


def reply_attributes(vendor: str):
    request = access_request(SECRET, "t-abc", "pw")
    raw = packets.access_accept(decoded(request), vendor, GRANT)
    return raw, decode_reply(raw, SECRET, request)


def test_accept_for_mikrotik_has_its_rate_limit_and_total_limit_with_gigawords():
    raw, reply = reply_attributes("mikrotik")
    assert raw[20] == 80, "Message-Authenticator must be the first attribute"
    assert reply.code == packet.AccessAccept
    assert reply["Session-Timeout"] == [3600]
    assert reply["Idle-Timeout"] == [600]
    assert reply["Acct-Interim-Interval"] == [300]
    assert reply["Mikrotik-Rate-Limit"] == ["1024k/2048k"]
    assert reply["Mikrotik-Total-Limit"] == [7]
    assert reply["Mikrotik-Total-Limit-Gigawords"] == [5]
    assert "WISPr-Bandwidth-Max-Up" not in reply


def test_accept_for_chilli_has_kbits_and_octets_with_gigawords():
    raw, reply = reply_attributes("chilli")
    assert raw[20] == 80
    assert reply["ChilliSpot-Bandwidth-Max-Up"] == [1024]
    assert reply["ChilliSpot-Bandwidth-Max-Down"] == [2048]
    assert reply["ChilliSpot-Max-Total-Octets"] == [7]
    assert reply["CoovaChilli-Max-Total-Gigawords"] == [5]


def test_accept_for_generic_nas_has_wispr_bits_per_second():
    _, reply = reply_attributes("generic")
    assert reply["WISPr-Bandwidth-Max-Up"] == [1024000]
    assert reply["WISPr-Bandwidth-Max-Down"] == [2048000]
    assert "Mikrotik-Rate-Limit" not in reply


def test_reject_carries_message_authenticator_first_and_the_reply_message():
    request = access_request(SECRET, "t-abc", "pw", proxy_state=b"ps1")
    raw = packets.access_reject(decoded(request), "Kuota habis / Quota used up")
    reply = decode_reply(raw, SECRET, request)
    assert raw[20] == 80
    assert reply.code == packet.AccessReject
    assert reply["Reply-Message"] == ["Kuota habis / Quota used up"]
    assert reply["Proxy-State"] == [b"ps1"]


def test_nul_characters_never_reach_the_database():
    request = packets.auth_request(
        decoded(access_request(SECRET, "t-abc\x00def", "pw", Calling_Station_Id="aa\x00"))
    )
    assert (request.username, request.calling_station_id) == ("t-abcdef", "aa")


def test_a_reboot_keeps_a_past_event_timestamp_within_a_day():
    """A replayed Accounting-On is as old as its timestamp: it closes only sessions not updated since."""
    two_hours_ago = int((NOW - timedelta(hours=2)).timestamp())
    assert packets.reboot_time(two_hours_ago, 0, NOW) == NOW - timedelta(hours=2)
    assert packets.reboot_time(two_hours_ago - 2 * 86400, 0, NOW) == NOW
    local_time_as_utc = int((NOW + timedelta(hours=7)).timestamp())
    assert packets.reboot_time(local_time_as_utc, 10, NOW) == NOW - timedelta(seconds=10)
