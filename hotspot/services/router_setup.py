"""Router set-up snippets an admin pastes into a new access point (MikroTik RouterOS, CoovaChilli).

The console shows them for each NAS and docs/portal.md shows the same text for its
example routers (a test keeps the two equal), so there is one source for both.
The shared secret appears only when the caller has it in hand (right after
creation or rotation); otherwise a placeholder, because it is never shown again.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from hotspot.models import Nas
from hotspot.settings import Settings

SECRET_PLACEHOLDER = "<shared secret shown when the AP was added>"
UAM_PLACEHOLDER = "<uam secret>"
MIKROTIK_LOGIN_FIELDS = (
    "mac",
    "ip",
    "link-login-only",
    "link-orig",
    "chap-id",
    "chap-challenge",
    "error",
    "identity",
    "server-name",
)


def _portal_host(settings: Settings) -> str:
    return urlsplit(settings.portal_url).hostname or "127.0.0.1"


def _address_or(placeholder: str, host: str) -> str:
    """RouterOS wants an IP address where a DNS name will not do: the portal's, or a placeholder."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return placeholder


def mikrotik_commands(nas: Nas, settings: Settings, secret: str | None = None) -> str:
    """RouterOS commands: RADIUS with its ports, Disconnect/CoA from the console, the hotspot profile."""
    host = _portal_host(settings)
    radius = _address_or("RADIUS_IP", host)
    message_auth = " require-message-auth=yes-for-request-resp" if nas.require_message_authenticator else ""
    ports = f"authentication-port={settings.radius_auth_port} accounting-port={settings.radius_acct_port}"
    return f"""/system identity set name={nas.identifier or nas.name}
/radius add service=hotspot address={radius} secret="{secret or SECRET_PLACEHOLDER}" \\
    {ports} timeout=3s{message_auth}
/radius incoming set accept=yes port={nas.coa_port}
/ip hotspot profile set [find default=no] use-radius=yes radius-accounting=yes \\
    login-by=http-chap,http-pap,mac radius-interim-update=5m mac-auth-mode=mac-as-username-and-password
/ip hotspot walled-garden add dst-host={host} action=allow
/ip hotspot walled-garden ip add dst-address={_address_or("PORTAL_IP", host)} action=accept
"""


def mikrotik_login_page(settings: Settings) -> str:
    """The hotspot/login.html that forwards the router's variables to our splash page.

    A form (not a hand-built URL) lets the browser encode the octal CHAP material correctly."""
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="$({name})">' for name in MIKROTIK_LOGIN_FIELDS
    )
    return f"""<!doctype html><html><body onload="document.forms[0].submit()">
<form action="{settings.portal_url.rstrip("/")}/" method="get">
{hidden}
<noscript><button type="submit">Continue / Lanjut</button></noscript>
</form></body></html>
"""


def mikrotik(nas: Nas, settings: Settings, secret: str | None = None) -> str:
    """Everything for a MikroTik: the commands, then the login page to upload."""
    return (
        f"# RADIUS server, accounting and RFC 5176 Disconnect/CoA from the console\n"
        f"{mikrotik_commands(nas, settings, secret)}\n"
        f"# Replace hotspot/login.html on the router (Files) with:\n{mikrotik_login_page(settings)}"
    )


def chilli(nas: Nas, settings: Settings, secret: str | None = None, uam_secret: str | None = None) -> str:
    """Lines for /etc/chilli/config on a CoovaChilli (OpenWrt) access point."""
    host = _portal_host(settings)
    radius = _address_or("RADIUS_IP", host)
    uam = uam_secret or (UAM_PLACEHOLDER if nas.uam_secret_encrypted else "")
    return f"""HS_NASID={nas.identifier or nas.name}
HS_RADIUS={radius}
HS_RADIUS2={radius}
HS_RADAUTH={settings.radius_auth_port}
HS_RADACCT={settings.radius_acct_port}
HS_RADSECRET={secret or SECRET_PLACEHOLDER}
HS_UAMSECRET={uam}
HS_UAMSERVER={host}
HS_UAMFORMAT={settings.portal_url.rstrip("/")}/
HS_UAMALLOW={host}
HS_COAPORT={nas.coa_port}
HS_MACAUTH=on
HS_RADCONF=off
"""
