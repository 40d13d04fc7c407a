"""A scripted hotspot router: test a deployment end to end before touching a real MikroTik or Chilli.

It plays the router's part exactly: redirects a (simulated) phone to the
splash page with that gateway's parameters (MikroTik's octal CHAP material,
CoovaChilli's challenge and `md`), lets the phone choose a way in, receives
the login the page hands to the router, asks the RADIUS server with CHAP (and
a Message-Authenticator), then sends Accounting Start, Interim-Updates and
Stop with growing octets, as the router would.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from pyrad import packet
from pyrad.client import Client, Timeout

from hotspot import gateways
from hotspot.radius_dictionary import load_dictionary
from hotspot.settings import Settings

WAYS = ("free", "account", "voucher", "mac")

SHOWN_REPLY_ATTRIBUTES = (
    "Reply-Message",
    "Session-Timeout",
    "Idle-Timeout",
    "Acct-Interim-Interval",
    "Mikrotik-Rate-Limit",
    "Mikrotik-Total-Limit",
    "ChilliSpot-Bandwidth-Max-Up",
    "ChilliSpot-Bandwidth-Max-Down",
    "ChilliSpot-Max-Total-Octets",
)


class SimulationError(Exception):
    """The portal or the RADIUS server did not behave as a router expects."""


@dataclass
class RouterConfig:
    """The simulated router: which gateway, where the portal and RADIUS server are, who the phone is."""

    vendor: str
    portal: str
    radius_host: str
    auth_port: int
    acct_port: int
    secret: str
    mac: str = "02:00:00:00:00:01"
    client_ip: str = "10.5.50.23"
    identity: str = "taman-tirosa"
    server_name: str = "hotspot1"
    router_ip: str = "10.5.50.1"
    uam_port: int = 3990
    uam_secret: str | None = None
    nas_ip: str = "127.0.0.1"
    original_url: str = "http://example.com/"
    timeout: float = 3.0
    dictionary_dir: str = Settings.radius_dictionary_dir


@dataclass
class Way:
    """How the phone comes in: the free tap, a citizen account, a voucher, or MAC re-login."""

    kind: str = "free"
    phone: str | None = None
    password: str | None = None
    code: str | None = None


@dataclass
class Result:
    """What happened, step by step, and the outcome a test checks."""

    accepted: bool = False
    refused_by_portal: str | None = None
    username: str | None = None
    reply: dict = field(default_factory=dict)
    acct_session_id: str | None = None
    input_octets: int = 0
    output_octets: int = 0
    status_page: str | None = None
    steps: list[str] = field(default_factory=list)


class _Forms(HTMLParser):
    """Forms on a page: action, method, and their input fields; plus the page's alert text."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.alert: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "id": attrs.get("id"),
                    "fields": {},
                }
            )
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif "alert" in (attrs.get("class") or "").split():
            self._in_alert = True

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_alert = False

    def handle_data(self, data):
        if self._in_alert:
            self.alert.append(data.strip())


def parse_page(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def mikrotik_redirect(cfg: RouterConfig, chap_id: bytes, challenge: bytes) -> str:
    """The URL MikroTik's login.html sends the phone to (external login page), with real octal CHAP."""
    params = {
        "mac": cfg.mac,
        "ip": cfg.client_ip,
        "username": "",
        "link-login": f"http://{cfg.router_ip}/login",
        "link-login-only": f"http://{cfg.router_ip}/login",
        "link-orig": cfg.original_url,
        "error": "",
        "chap-id": gateways.encode_octal(chap_id),
        "chap-challenge": gateways.encode_octal(challenge),
        "identity": cfg.identity,
        "server-name": cfg.server_name,
    }
    return f"{cfg.portal.rstrip('/')}/?{urlencode(params)}"


def chilli_redirect(cfg: RouterConfig, challenge: bytes, res: str = "notyet") -> str:
    """CoovaChilli's UAM redirect, signed with `md` when a uamsecret is set."""
    params = {
        "res": res,
        "uamip": cfg.router_ip,
        "uamport": str(cfg.uam_port),
        "challenge": challenge.hex(),
        "called": "02-00-00-00-00-AA",
        "mac": cfg.mac.replace(":", "-"),
        "ip": cfg.client_ip,
        "nasid": cfg.identity,
        "sessionid": secrets.token_hex(8),
        "userurl": cfg.original_url,
    }
    url = f"{cfg.portal.rstrip('/')}/?{urlencode(params)}"
    if cfg.uam_secret:
        url += "&md=" + gateways.chilli_md(url, cfg.uam_secret)
    return url


class Router:
    """One simulated router with one phone behind it."""

    def __init__(self, cfg: RouterConfig, echo=print):
        if cfg.vendor not in gateways.VENDORS:
            raise ValueError(f"vendor must be one of {', '.join(gateways.VENDORS)}")
        self.cfg = cfg
        self.echo = echo
        self.result = Result()
        self.browser = requests.Session()
        self.radius = Client(
            server=cfg.radius_host,
            authport=cfg.auth_port,
            acctport=cfg.acct_port,
            secret=cfg.secret.encode(),
            dict=load_dictionary(cfg.dictionary_dir),
            retries=2,
            timeout=cfg.timeout,
        )
        self.radius.bind((cfg.nas_ip, 0))
        self._chap_id = os.urandom(1)
        self._challenge = os.urandom(16)
        self._dst: str | None = None

    def close(self) -> None:
        self.browser.close()
        self.radius._CloseSocket()

    def _step(self, text: str) -> None:
        self.result.steps.append(text)
        self.echo(text)

    # The browser part: splash page, the chosen way in, the hand-off to the router.

    def splash(self) -> requests.Response:
        cfg = self.cfg
        url = (
            mikrotik_redirect(cfg, self._chap_id, self._challenge)
            if cfg.vendor == "mikrotik"
            else chilli_redirect(cfg, self._challenge)
        )
        page = self.browser.get(url, timeout=cfg.timeout)
        self._step(f"GET splash page: HTTP {page.status_code}, {len(page.content)} bytes")
        if page.status_code != 200:
            raise SimulationError(f"splash page answered HTTP {page.status_code}")
        return page

    def choose(self, page: requests.Response, way: Way) -> requests.Response:
        path = {"free": "/login/free", "account": "/login/account", "voucher": "/login/voucher"}[way.kind]
        forms = parse_page(page.text).forms
        form = next((f for f in forms if f["action"].endswith(path)), None)
        if form is None:
            raise SimulationError(f"the splash page has no form for {way.kind}")
        data = dict(form["fields"])
        if way.kind == "account":
            data.update(phone=way.phone or "", password=way.password or "")
        elif way.kind == "voucher":
            data["code"] = way.code or ""
        answer = self.browser.post(
            urljoin(page.url, form["action"]), data=data, allow_redirects=False, timeout=self.cfg.timeout
        )
        self._step(f"POST {path}: HTTP {answer.status_code}")
        return answer

    def credentials_from_handoff(self, answer: requests.Response) -> tuple[str, bytes, bytes] | None:
        """Receive the login the page hands to the router; return (username, CHAP-Password,
        CHAP-Challenge)."""
        cfg = self.cfg
        if cfg.vendor == "mikrotik":
            if answer.status_code != 200:
                return None
            form = next((f for f in parse_page(answer.text).forms if f["id"] == "handoff"), None)
            if form is None:
                return None
            expected = f"http://{cfg.router_ip}/login"
            if form["action"] != expected or form["method"] != "post":
                raise SimulationError(f"hand-off goes to {form['action']!r}, not the router's {expected!r}")
            fields = form["fields"]
            self._step(
                f"router {expected} receives POST username={fields['username']} dst={fields.get('dst')}"
            )
            self._dst = fields.get("dst")
            return fields["username"], self._chap_id + bytes.fromhex(fields["password"]), self._challenge
        location = answer.headers.get("Location", "")
        if answer.status_code not in (302, 303) or "/logon?" not in location:
            return None
        parts = urlsplit(location)
        if parts.netloc != f"{cfg.router_ip}:{cfg.uam_port}":
            raise SimulationError(f"hand-off goes to {parts.netloc!r}, not the router's UAM address")
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self._step(f"router {parts.netloc} receives GET /logon username={query['username']}")
        new_challenge = gateways.chilli_new_challenge(self._challenge, cfg.uam_secret)
        if "response" not in query:
            raise SimulationError("the hand-off to Chilli carries no CHAP response")
        return query["username"], b"\x00" + bytes.fromhex(query["response"]), new_challenge

    # The RADIUS part, as the router speaks it.

    def _base_attributes(self, request) -> None:
        cfg = self.cfg
        request["NAS-IP-Address"] = cfg.nas_ip
        request["NAS-Identifier"] = cfg.identity
        request["NAS-Port-Type"] = "Wireless-802.11"
        request["Calling-Station-Id"] = cfg.mac if cfg.vendor == "mikrotik" else cfg.mac.replace(":", "-")
        request["Called-Station-Id"] = cfg.server_name if cfg.vendor == "mikrotik" else "02-00-00-00-00-AA"
        request["Framed-IP-Address"] = cfg.client_ip

    def send_access_request(
        self, username: str, chap_password: bytes | None, challenge: bytes | None
    ) -> bool:
        request = self.radius.CreateAuthPacket(code=packet.AccessRequest, User_Name=username)
        self._base_attributes(request)
        request["Service-Type"] = "Login-User"
        if chap_password is None:
            request["User-Password"] = request.PwCrypt(username)
        else:
            request["CHAP-Password"] = chap_password
            request["CHAP-Challenge"] = challenge
        reply = self._send(request, "Access-Request")
        self.result.username = username
        self.result.reply = {name: reply[name][0] for name in SHOWN_REPLY_ATTRIBUTES if name in reply}
        self.result.accepted = reply.code == packet.AccessAccept
        verdict = "Access-Accept" if self.result.accepted else "Access-Reject"
        shown = ", ".join(f"{k}={v}" for k, v in self.result.reply.items())
        self._step(f"RADIUS {verdict} for {username}" + (f": {shown}" if shown else ""))
        return self.result.accepted

    def _send(self, request, what: str):
        try:
            return self.radius.SendPacket(request)
        except Timeout as exc:
            raise SimulationError(f"no answer from RADIUS to {what} at {self.cfg.radius_host}") from exc

    def account(self, status: str, session_time: int, upload: int, download: int, cause: str | None = None):
        request = self.radius.CreateAcctPacket(User_Name=self.result.username)
        self._base_attributes(request)
        request["Acct-Status-Type"] = status
        request["Acct-Session-Id"] = self.result.acct_session_id
        request["Acct-Authentic"] = 1
        request["Event-Timestamp"] = int(time.time())
        received, sent = upload, download  # the NAS's view (RFC 2866): input = from the client
        if self.cfg.vendor == "chilli":
            # CoovaChilli's default: counted from the phone's side, and said so in every packet.
            request["ChilliSpot-Acct-View-Point"] = "ChilliSpot-Client-View-Point"
            received, sent = download, upload
        if status != "Start":
            request["Acct-Session-Time"] = session_time
            request["Acct-Input-Octets"] = received & 0xFFFFFFFF
            request["Acct-Input-Gigawords"] = received >> 32
            request["Acct-Output-Octets"] = sent & 0xFFFFFFFF
            request["Acct-Output-Gigawords"] = sent >> 32
        if cause:
            request["Acct-Terminate-Cause"] = cause
        reply = self._send(request, f"Accounting {status}")
        if reply.code != packet.AccountingResponse:
            raise SimulationError(f"Accounting {status} answered with code {reply.code}")
        self.result.input_octets, self.result.output_octets = upload, download
        self._step(
            f"RADIUS Accounting-{status} acknowledged: {session_time} s, "
            f"{upload} bytes up, {download} bytes down"
        )

    def status_page(self) -> None:
        """After login the router sends the phone to `dst` (MikroTik) or back with res=success (Chilli)."""
        cfg = self.cfg
        if cfg.vendor == "chilli":
            url = chilli_redirect(cfg, self._challenge, res="success")
        elif self._dst and self._dst.startswith(cfg.portal.rstrip("/")):
            url = self._dst
        else:
            return
        page = self.browser.get(url, timeout=cfg.timeout)
        self.result.status_page = page.text
        self._step(f"GET status page: HTTP {page.status_code}")

    def logout(self) -> None:
        """The phone taps Keluar: the portal sends it to the router's own logout address."""
        page = self.browser.get(urljoin(self.cfg.portal, "/status"), timeout=self.cfg.timeout)
        form = next((f for f in parse_page(page.text).forms if f["action"].endswith("/logout")), None)
        if form is None:
            raise SimulationError("the status page has no logout button")
        answer = self.browser.post(
            urljoin(page.url, form["action"]),
            data=form["fields"],
            allow_redirects=False,
            timeout=self.cfg.timeout,
        )
        self._step(f"POST /logout: HTTP {answer.status_code} to {answer.headers.get('Location')}")

    def run(
        self, way: Way, interims: int = 1, octets: int = 1_000_000, interval: int = 60, logout: bool = True
    ) -> Result:
        """The whole visit: portal (unless MAC re-login), RADIUS auth, accounting with growing octets."""
        if way.kind not in WAYS:
            raise ValueError(f"way must be one of {', '.join(WAYS)}")
        try:
            return self._visit(way, interims, octets, interval, logout)
        except requests.RequestException as exc:
            raise SimulationError(f"the portal at {self.cfg.portal} cannot be reached: {exc}") from exc

    def _visit(self, way: Way, interims: int, octets: int, interval: int, logout: bool) -> Result:
        if way.kind == "mac":
            self._step(f"MAC authentication of {self.cfg.mac}")
            accepted = self.send_access_request(self.cfg.mac, None, None)
        else:
            answer = self.choose(self.splash(), way)
            credentials = self.credentials_from_handoff(answer)
            if credentials is None:
                message = " ".join(parse_page(answer.text).alert) or f"HTTP {answer.status_code}"
                self.result.refused_by_portal = message
                self._step(f"portal refused: {message}")
                return self.result
            accepted = self.send_access_request(*credentials)
        if not accepted:
            return self.result
        self.result.acct_session_id = secrets.token_hex(4).upper()
        self.account("Start", 0, 0, 0)
        if way.kind != "mac":
            self.status_page()
        for number in range(1, interims + 1):
            self.account("Interim-Update", number * interval, number * octets // 4, number * octets)
        total = interims + 1
        if logout and way.kind != "mac":
            self.logout()
        self.account(
            "Stop",
            total * interval,
            total * octets // 4,
            total * octets,
            cause="User-Request" if logout else "Session-Timeout",
        )
        return self.result
