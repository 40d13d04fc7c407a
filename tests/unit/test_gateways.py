"""Each gateway's formulas against values computed independently here, and the parameter parser."""

import hashlib

import pytest

from hotspot import gateways
from hotspot.gateways import GatewayHandoff, HandoffError, parse_handoff

CHAP_ID_OCTAL = r"\371"
CHAP_CHALLENGE_OCTAL = r"\357\022\000\377\134\101\200\001\002\003\004\005\006\007\010\011"
CHAP_CHALLENGE = bytes([0o357, 0o22, 0, 0o377, 0x5C, 0x41, 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9])


def test_octal_decoding_of_mikrotik_chap_material():
    assert gateways.decode_octal(CHAP_ID_OCTAL) == b"\xf9"
    assert gateways.decode_octal(CHAP_CHALLENGE_OCTAL) == CHAP_CHALLENGE
    assert gateways.decode_octal(r"A\\B\101") == b"A\\BA"
    assert gateways.decode_octal(gateways.encode_octal(bytes(range(256)))) == bytes(range(256))


def test_mikrotik_chap_password():
    expected = hashlib.md5(b"\xf9" + b"rahasia-tiket" + CHAP_CHALLENGE).hexdigest()
    assert gateways.mikrotik_chap_password(b"\xf9", "rahasia-tiket", CHAP_CHALLENGE) == expected
    assert expected == expected.lower() and len(expected) == 32


def test_chilli_md_signature():
    url = "http://portal.example/?res=notyet&uamip=10.1.0.1&uamport=3990&challenge=00112233445566778899aabbccddeeff"
    expected = hashlib.md5((url + "uamsecret1").encode()).hexdigest().upper()
    assert gateways.chilli_md(url, "uamsecret1") == expected
    assert gateways.chilli_md_valid(f"{url}&md={expected}", "uamsecret1")
    assert gateways.chilli_md_valid(f"{url}&md={expected.lower()}&lang=en", "uamsecret1")
    assert not gateways.chilli_md_valid(f"{url}&md={expected}", "other-secret")
    assert not gateways.chilli_md_valid(url.replace("3990", "3991") + f"&md={expected}", "uamsecret1")
    assert not gateways.chilli_md_valid(url, "uamsecret1")


def test_chilli_chap_response_with_and_without_uamsecret():
    challenge = bytes.fromhex("00112233445566778899aabbccddeeff")
    newchal = hashlib.md5(challenge + b"uamsecret1").digest()
    assert gateways.chilli_new_challenge(challenge, "uamsecret1") == newchal
    assert gateways.chilli_new_challenge(challenge, None) == challenge
    expected = hashlib.md5(b"\x00" + b"pw-123" + newchal).hexdigest()
    assert gateways.chilli_chap_response("pw-123", newchal) == expected


def test_chilli_pap_password_is_xor_with_new_challenge():
    newchal = bytes(range(16))
    password = "abcdefghijklmnopqrs"  # 19 bytes: the challenge repeats
    expected = bytes(ord(c) ^ newchal[i % 16] for i, c in enumerate(password)).hex()
    assert gateways.chilli_pap_password(password, newchal) == expected


def test_parse_mikrotik_handoff():
    handoff = parse_handoff(
        {
            "mac": "aa-bb-cc-dd-ee-ff",
            "ip": "10.5.50.23",
            "link-login-only": "http://10.5.50.1/login",
            "link-orig": "http://example.com/",
            "chap-id": CHAP_ID_OCTAL,
            "chap-challenge": CHAP_CHALLENGE_OCTAL,
            "identity": "taman-tirosa",
            "server-name": "hotspot1",
            "error": "",
        }
    )
    assert handoff == GatewayHandoff(
        vendor="mikrotik",
        mac="AA:BB:CC:DD:EE:FF",
        ip="10.5.50.23",
        nas_id="taman-tirosa",
        called="hotspot1",
        login_url="http://10.5.50.1/login",
        original_url="http://example.com/",
        chap_id=b"\xf9",
        chap_challenge=CHAP_CHALLENGE,
    )
    assert handoff.logout_url == "http://10.5.50.1/logout"
    assert GatewayHandoff.from_dict(handoff.to_dict()) == handoff


def test_parse_chilli_handoff():
    handoff = parse_handoff(
        {
            "res": "notyet",
            "uamip": "10.1.0.1",
            "uamport": "3990",
            "challenge": "00112233445566778899AABBCCDDEEFF",
            "called": "00-11-22-33-44-55",
            "mac": "AA-BB-CC-00-11-22",
            "ip": "10.1.0.5",
            "nasid": "perumnas",
            "sessionid": "5f1e",
            "userurl": "http://example.com/news",
        }
    )
    assert handoff.vendor == "chilli"
    assert handoff.login_origin == "http://10.1.0.1:3990"
    assert handoff.logout_url == "http://10.1.0.1:3990/logoff"
    assert handoff.chap_challenge == bytes.fromhex("00112233445566778899aabbccddeeff")
    assert handoff.mac == "AA:BB:CC:00:11:22"


@pytest.mark.parametrize(
    "params",
    [
        {"link-login-only": "javascript:alert(1)"},
        {"link-login-only": "http://10.5.50.1/login", "mac": "<script>"},
        {
            "link-login-only": "http://10.5.50.1/login",
            "chap-id": r"\371\372",
            "chap-challenge": CHAP_CHALLENGE_OCTAL,
        },
        {"link-login-only": "http://10.5.50.1/login", "identity": "x" * 129},
        {"link-login-only": "http://10.5.50.1/" + "a" * 1100},
        {"res": "notyet", "uamip": "10.1.0.1", "uamport": "99999", "challenge": "00" * 16},
        {"res": "notyet", "uamip": "10.1.0.1", "uamport": "3990", "challenge": "zz" * 16},
        {"res": "bogus", "uamip": "10.1.0.1", "uamport": "3990"},
        {"res": "notyet", "uamip": "evil.example", "uamport": "3990"},
        {"res": "notyet", "uamip": "10.1.0.1"},
        {"identity": "a\r\nSet-Cookie: x=1"},
    ],
)
def test_hostile_parameters_are_refused(params):
    with pytest.raises(HandoffError):
        parse_handoff(params)


def test_javascript_original_url_is_dropped_not_followed():
    handoff = parse_handoff({"link-login-only": "http://10.5.50.1/login", "link-orig": "javascript:alert(1)"})
    assert handoff.original_url is None


def test_plain_visit_is_not_a_handoff():
    assert parse_handoff({}) is None
    assert parse_handoff({"lang": "en"}) is None


@pytest.mark.parametrize(
    "url, login_host, allowed",
    [
        ("http://10.5.50.1/login", None, True),
        ("http://10.5.50.1:8080/login", None, True),
        ("http://10.5.50.77:8000/x", None, False),
        ("http://127.0.0.1:8099/login", None, False),
        ("http://192.168.88.1/login", None, False),
        ("http://192.168.88.1/login", "192.168.88.1", True),
        ("http://10.5.50.1/login", "192.168.88.1", False),
        ("http://36.91.10.9/login", None, False),
        ("http://8.8.8.8/login", None, False),
        ("https://evil.example/login", None, False),
        ("http://hotspot.kupangkota.go.id/login", "hotspot.kupangkota.go.id", True),
        ("http://hotspot.kupangkota.go.id.evil.example/login", "hotspot.kupangkota.go.id", False),
        ("http://10.5.50.1@evil.example/login", None, False),
        ("http://evil.example@10.5.50.1/login", None, False),
    ],
)
def test_ticket_goes_only_to_the_routers_own_address(url, login_host, allowed):
    handoff = parse_handoff({"link-login-only": url})
    assert gateways.login_target_allowed(handoff, "mikrotik", login_host) is allowed


def test_each_router_kind_has_its_factory_login_address_and_a_generic_nas_has_none():
    chilli = parse_handoff({"res": "notyet", "uamip": "10.1.0.1", "uamport": "3990", "challenge": "ab" * 16})
    assert gateways.login_target_allowed(chilli, "chilli", None)
    assert not gateways.login_target_allowed(chilli, "mikrotik", None)
    assert not gateways.login_target_allowed(chilli, "generic", None)
    assert gateways.login_target_plausible(chilli)
    assert not gateways.login_target_plausible(parse_handoff({"link-login-only": "http://36.91.10.9/login"}))


def test_signed_query_stops_at_md():
    assert gateways.signed_query("res=notyet&nasid=a&md=ABC&reply=x") == "res=notyet&nasid=a"
    assert gateways.signed_query("res=notyet&nasid=a") == "res=notyet&nasid=a"


def test_login_forms_compute_chap_server_side():
    mikrotik = parse_handoff(
        {
            "link-login-only": "http://10.5.50.1/login",
            "chap-id": CHAP_ID_OCTAL,
            "chap-challenge": CHAP_CHALLENGE_OCTAL,
        }
    )
    form = gateways.login_form(mikrotik, "t-1", "s3cret", "http://portal/status")
    assert form.method == "post" and form.url == "http://10.5.50.1/login"
    assert form.fields == {
        "username": "t-1",
        "dst": "http://portal/status",
        "popup": "true",
        "password": hashlib.md5(b"\xf9s3cret" + CHAP_CHALLENGE).hexdigest(),
    }
    pap = gateways.login_form(
        parse_handoff({"link-login-only": "http://10.5.50.1/login"}), "t-1", "s3cret", None
    )
    assert pap.fields["password"] == "s3cret"

    chilli = parse_handoff({"res": "notyet", "uamip": "10.1.0.1", "uamport": "3990", "challenge": "ab" * 16})
    form = gateways.login_form(chilli, "t-2", "s3cret", "http://example.com/", uam_secret="us")
    newchal = hashlib.md5(bytes.fromhex("ab" * 16) + b"us").digest()
    assert form.method == "get"
    assert form.redirect_url == (
        "http://10.1.0.1:3990/logon?username=t-2&response="
        + hashlib.md5(b"\x00s3cret" + newchal).hexdigest()
        + "&userurl=http%3A%2F%2Fexample.com%2F"
    )
