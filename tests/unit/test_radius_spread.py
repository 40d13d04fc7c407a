"""Packets from one source socket reach every worker's socket, chosen by RADIUS Identifier."""

import socket

from radius.server import bind_udp
from radius.spread import spread_by_identifier


def _receive_all(sock: socket.socket) -> list[int]:
    identifiers = []
    sock.settimeout(0.2)
    while True:
        try:
            identifiers.append(sock.recv(4096)[1])
        except TimeoutError:
            return identifiers


def test_one_source_is_spread_over_the_workers_by_identifier():
    first = bind_udp("127.0.0.1", 0)
    port = first.getsockname()[1]
    workers = [first, bind_udp("127.0.0.1", port), bind_udp("127.0.0.1", port)]
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert spread_by_identifier(workers[1], len(workers))
        for identifier in range(30):
            sender.sendto(bytes([4, identifier]) + bytes(18), ("127.0.0.1", port))
        received = [_receive_all(sock) for sock in workers]
    finally:
        for sock in [*workers, sender]:
            sock.close()
    assert received == [[i for i in range(30) if i % 3 == index] for index in range(3)]


def test_a_single_worker_needs_no_program():
    sock = bind_udp("127.0.0.1", 0)
    try:
        assert not spread_by_identifier(sock, 1)
    finally:
        sock.close()
