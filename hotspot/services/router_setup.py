"""Router set-up snippets an admin pastes into a new access point (MikroTik RouterOS, CoovaChilli).

The shared secret appears only when the caller has it in hand (right after
creation or rotation); otherwise a placeholder, because it is never shown again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hotspot.models import Nas
from hotspot.settings import Settings

SECRET_PLACEHOLDER = "<shared secret shown when the AP was added>"
UAM_PLACEHOLDER = "<uam secret>"
MIKROTIK_LOGIN_FIELDS = ("mac", "ip", "link-login-only", "link-orig", "chap-id", "chap-challenge", "error",
                         "identity", "server-name")


def _portal_host(settings: Settings) -> str:
    return urlsplit(settings.portal_url).hostname or "127.0.0.1"


def mikrotik(nas: Nas, settings: Settings, secret: str | None = None) -> str:
    """RouterOS commands plus the hotspot/login.html that forwards the citizen to our splash page."""
    host = _portal_host(settings)
    message_auth = " require-message-auth=yes-for-request-resp" if nas.require_message_authenticator else ""
    identity = nas.identifier or nas.name
    hidden = "\n".join(f'  <input type="hidden" name="{name}" value="$({name})">' for name in MIKROTIK_LOGIN_FIELDS)
    return f"""# RADIUS server, accounting and RFC 5176 Disconnect/CoA from the console
/system identity set name="{identity}"
/radius add service=hotspot address={host} secret="{secret or SECRET_PLACEHOLDER}" \\
    authentication-port={settings.radius_auth_port} accounting-port={settings.radius_acct_port} timeout=3s{message_auth}
/radius incoming set accept=yes port={nas.coa_port}
/ip hotspot profile set [find default=yes] use-radius=yes radius-accounting=yes \\
    radius-interim-update=5m login-by=http-chap,http-pap,mac-cookie
# the splash page must be reachable before login
/ip hotspot walled-garden add dst-host={host} action=allow
/ip hotspot walled-garden ip add dst-address={host} action=accept

# Replace hotspot/login.html on the router (Files) with:
<html><body onload="document.forms[0].submit()">
<form action="{settings.portal_url.rstrip('/')}/" method="get">
{hidden}
  <noscript><button type="submit">Continue / Lanjut</button></noscript>
</form></body></html>
"""


def chilli(nas: Nas, settings: Settings, secret: str | None = None, uam_secret: str | None = None) -> str:
    """Lines for /etc/chilli/config on a CoovaChilli (OpenWrt) access point."""
    host = _portal_host(settings)
    uam = uam_secret or (UAM_PLACEHOLDER if nas.uam_secret_encrypted else "")
    return f"""HS_RADIUS={host}
HS_RADIUS2={host}
HS_RADSECRET={secret or SECRET_PLACEHOLDER}
HS_NASID={nas.identifier or nas.name}
HS_UAMSERVER={host}
HS_UAMFORMAT={settings.portal_url.rstrip('/')}/
HS_UAMSECRET={uam}
HS_UAMALLOW={host}
HS_COAPORT={nas.coa_port}
HS_RADCONF=off
"""
