"""X-Forwarded-For and -Proto believed only from the TLS proxy's own address (HOTSPOT_TRUSTED_PROXIES).

A client that reaches the portal directly (a misrouted port, another host on the LAN) could otherwise
write any X-Forwarded-For and pass as any address: around the per-address rate limits and into the audit
log under someone else's name. From any other address the forwarding headers are removed, so the
connection's own address counts.
"""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)


def parse_proxies(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The comma-separated addresses or CIDR blocks of the setting; a bad one stops start-up with its name."""
    networks = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"HOTSPOT_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR block") from exc
    return networks


class TrustedProxyFix:
    """ProxyFix (the proxy's last X-Forwarded-For hop, its scheme) for requests from a trusted proxy only."""

    def __init__(self, app, trusted: str):
        self._trusted = parse_proxies(trusted)
        self._direct = app
        self._proxied = ProxyFix(app, x_for=1, x_proto=1)

    def _from_proxy(self, remote: str) -> bool:
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(address in network for network in self._trusted)

    def __call__(self, environ, start_response):
        if self._from_proxy(environ.get("REMOTE_ADDR", "")):
            return self._proxied(environ, start_response)
        for header in FORWARDING_HEADERS:
            environ.pop(header, None)
        return self._direct(environ, start_response)
