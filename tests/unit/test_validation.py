"""Normalising MACs, phone numbers and networks as routers and people write them."""

import pytest

from hotspot.validation import ValidationError, normalize_mac, normalize_phone, parse_network


@pytest.mark.parametrize(
    "spelling",
    [
        "aa:bb:cc:dd:ee:0f",
        "AA-BB-CC-DD-EE-0F",
        "aabb.ccdd.ee0f",
        "AABBCCDDEE0F",
        "aa.bb.cc.dd.ee.0f",
    ],
)
def test_mac_spellings_normalise_to_one_form(spelling):
    assert normalize_mac(spelling) == "AA:BB:CC:DD:EE:0F"


@pytest.mark.parametrize(
    "bad", ["", "aa:bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff:00", "<script>"]
)
def test_bad_mac_is_rejected(bad):
    with pytest.raises(ValidationError):
        normalize_mac(bad)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("00447911123456", "+447911123456"),
    ],
)
def test_phone_numbers_normalise_to_e164(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize("bad", ["", "12", "08abc", "+62012345678", "+0123456789"])
def test_bad_phone_is_rejected(bad):
    with pytest.raises(ValidationError):
        normalize_phone(bad)


def test_network_accepts_ip_and_cidr():
    assert str(parse_network("10.53.1.1")) == "10.53.1.1/32"
    assert str(parse_network("10.53.0.0/16")) == "10.53.0.0/16"


@pytest.mark.parametrize("bad", ["10.53.1.1/33", "10.53.1.1/16", "not-an-ip", "300.1.1.1"])
def test_bad_network_is_rejected(bad):
    with pytest.raises(ValidationError):
        parse_network(bad)
