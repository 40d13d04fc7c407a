"""Hypothesis fuzzing of the RADIUS decoder and of the handler's screening and processing, without a socket.

Random, built and mutated datagrams go through `packets` (framing, decoding,
attribute values), then through `Handler.screen`, `Handler.decide_auth` and
the accounting `Batcher.process` (the real commit path) on a real database.
Nothing may raise except `MalformedPacket` from the decoder, nothing may hang
(hypothesis deadline), and after every example a valid Accounting-Request and a
valid Status-Server are still answered correctly; a valid Access-Request is
still accepted at the end. HOTSPOT_FUZZ_EXAMPLES (default 20,000) is the total
number of examples over these tests.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AuthEvent
from radius import packets
from testbed.fuzz_rig import Rig
from testbed.hostile_packets import SECRET, datagram
from testbed.radius_packets import DICTIONARY, access_request
from tests.conftest import fresh_database_url

TOTAL = int(os.environ.get("HOTSPOT_FUZZ_EXAMPLES", "20000"))
SOURCES = ("127.0.0.1", "127.0.0.4", "127.0.0.9")
SEEDS = st.binary(min_size=160, max_size=512)  # enough bytes for a datagram's every decision


def fuzz_settings(share: float, deadline_ms: int):
    """This test's part of the total examples; a deadline so that a hang fails the test."""
    return settings(
        max_examples=max(1, int(TOTAL * share)),
        deadline=timedelta(milliseconds=deadline_ms),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz")
    with fresh_database_url(directory) as url:
        rig = Rig(directory, url)
        try:
            yield rig
        finally:
            rig.close()


@fuzz_settings(0.9, 250)
@given(seed=SEEDS, port=st.sampled_from(["auth", "acct"]))
def test_decoder_raises_nothing_but_malformed_packet(seed, port):
    raw = datagram(seed, port)
    try:
        packets.read_header(raw, port)
        pkt = packets.decode(raw, port, SECRET, DICTIONARY)
        if packets.has_message_authenticator(pkt):
            packets.message_authenticator_valid(pkt)
        if port == "auth":
            packets.has_proxy_state(pkt)
            packets.auth_request(pkt)
        else:
            packets.request_authenticator_valid(pkt)
            packets.accounting_request(pkt, utcnow())
    except packets.MalformedPacket as exc:
        assert exc.reason


def datagrams(port: str):
    """One to eight hostile datagrams from known and unknown routers' addresses."""
    hostile = SEEDS.map(lambda seed: datagram(seed, port))
    sent = st.tuples(hostile, st.sampled_from(SOURCES), st.integers(1024, 65535))
    return st.lists(sent, min_size=1, max_size=8)


@pytest.mark.parametrize("port", ["auth", "acct"])
def test_handler_survives_hostile_datagrams_and_keeps_serving(rig, port):
    @fuzz_settings(0.05, 2000)
    @given(batch=datagrams(port))
    def feed(batch):
        rig.feed(batch, port)

    feed()
    rig.voucher_still_accepted()
    assert rig.canary_stored() == (1, rig.canary_time)
    assert rig.journal.depth == 0


def test_nul_characters_in_text_attributes_do_not_reach_the_database(rig):
    """Found by the fuzzing above on PostgreSQL: a NUL in Calling-Station-Id failed the whole AuthEvent
    batch."""
    raw = access_request(SECRET, "t-nul\x00", "pw", Calling_Station_Id="AA-BB-CC-00-00\x0001", identifier=5)
    rig.feed([(raw, "127.0.0.1", 4000)], "auth")
    with rig.engine.connect() as conn:
        stored = conn.execute(
            select(AuthEvent.calling_station_id, AuthEvent.reason).where(AuthEvent.username == "t-nul")
        ).all()
    assert [tuple(row) for row in stored] == [("AA:BB:CC:00:00:01", "unknown_user")]
