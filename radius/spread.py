"""Spread one NAS's Access-Requests over all worker processes by RADIUS Identifier.

SO_REUSEPORT alone picks a worker by hashing the source address and port, and
a router (or radclient) sends everything from one socket: every packet lands
on the same worker while the others idle. A three-instruction classic BPF
program attached to the port's reuseport group picks worker
`Identifier mod N` instead. A retransmission carries the same Identifier, so it
still reaches the worker whose duplicate cache knows it.

Only the authentication port is spread. Accounting keeps the hash: a router's
sessions and hourly roll-ups then stay on one worker, and two workers never
wait for each other's row locks (docs/radius.md, "Which worker gets a packet").
"""

from __future__ import annotations

import ctypes
import logging
import socket
import struct

log = logging.getLogger(__name__)
SO_ATTACH_REUSEPORT_CBPF = 51  # linux/asm-generic/socket.h
# struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}; the program sees the UDP payload.
LOAD_BYTE_AT = 0x30  # BPF_LD | BPF_B | BPF_ABS
MODULO = 0x94  # BPF_ALU | BPF_MOD | BPF_K
RETURN_A = 0x16  # BPF_RET | BPF_A
IDENTIFIER_OFFSET = 1  # Code, Identifier, Length, Authenticator


def identifier_program(workers: int) -> bytes:
    """The BPF instructions: load the Identifier byte, take it modulo `workers`, return it as the socket
    index."""
    return b"".join(
        struct.pack("=HBBI", code, 0, 0, k)
        for code, k in ((LOAD_BYTE_AT, IDENTIFIER_OFFSET), (MODULO, workers), (RETURN_A, 0))
    )


def spread_by_identifier(sock: socket.socket, workers: int) -> bool:
    """Attach the program to `sock`'s reuseport group; False (hash spreading stays) where the kernel
    refuses."""
    if workers < 2:
        return False
    program = identifier_program(workers)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("@HP", len(program) // 8, ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)
    except OSError as exc:
        log.warning("radius_spread_unavailable error=%s; workers are chosen by source address", exc)
        return False
    return True
