"""The citizens' splash page: three ways in, each ending in a one-time ticket handed to the router.

`/` reads the gateway's parameters (MikroTik Hotspot or CoovaChilli UAM),
recognises the access point and keeps the hand-off in the signed session
cookie; the login forms post back here, the portal checks the credential and
today's quota, and the browser carries the ticket to the router's own login
address (never anywhere else). `/status` shows what is left, `/logout` ends it.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import BadRequest

from hotspot import gateways
from hotspot.clock import utcnow
from hotspot.gateways import GatewayHandoff, HandoffError
from hotspot.db import make_session_factory
from hotspot.models import Plan
from hotspot.services import citizens, logins
from hotspot.services.attribution import AccessPoint, AccessPoints
from hotspot.services.plans import free_access_plan
from hotspot.services.reloading import Reloading
from hotspot.sms import SmsError, make_sender
from portal import extensions
from portal.extensions import limiter
from portal.security import allow_form_target

bp = Blueprint("splash", __name__)


@bp.record_once
def _keep_access_points_and_free_plan(setup) -> None:
    state = setup.app.extensions["hotspot"]
    factory, ttl = make_session_factory(state.engine), state.settings.radius_client_reload_seconds
    setup.app.extensions["access_points"] = AccessPoints(factory, ttl)
    setup.app.extensions["free_plan"] = Reloading(factory, free_access_plan, ttl)


def access_points() -> AccessPoints:
    return current_app.extensions["access_points"]


def free_plan() -> Plan | None:
    """The click-through plan as this worker last read it (at most a few seconds ago); detached, read-only."""
    return current_app.extensions["free_plan"].get()


GATEWAY, NAS, LOGIN, PENDING = "gateway", "nas", "login", "pending"


def _mac_key() -> str:
    mac = (session.get(GATEWAY) or {}).get("mac")
    return f"mac:{mac}" if mac else f"ip:{get_remote_address()}"


per_ip = limiter.shared_limit(lambda: extensions.settings().ratelimit_per_ip, scope="citizen-ip",
                              methods=["POST"])
per_mac = limiter.shared_limit(lambda: extensions.settings().ratelimit_per_mac, scope="citizen-mac",
                               key_func=_mac_key, methods=["POST"])


def refuse(message: str) -> BadRequest:
    error = BadRequest()
    error.portal_detail = message
    return error


def _hours_minutes(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d jam", "%(num)d jam", hours))
    if minutes or not hours:
        parts.append(ngettext("%(num)d menit", "%(num)d menit", minutes))
    return " ".join(parts)


def wait_in_words(seconds: float) -> str:
    """'5 jam 12 menit' / '5 hours 12 minutes': how long until a quota is back, rounded up to a minute."""
    return _hours_minutes(max(1, math.ceil(seconds / 60)))


@bp.app_template_filter("time_in_words")
def time_in_words(seconds: int) -> str:
    """Time left in words, rounded down to a minute (never promise more than there is)."""
    return _hours_minutes(max(0, int(seconds) // 60))


@bp.app_template_filter("megabytes")
def megabytes(octets: int) -> str:
    """Data left as citizens read it on their phone's data counter (1 MB = 1,000,000 bytes)."""
    mb = max(0, int(octets)) // 1_000_000
    if mb >= 1000:
        return _("%(gb).1f GB", gb=mb / 1000)
    return _("%(mb)d MB", mb=mb)


def refusal_message(reason: str, resets_at: datetime | None, now: datetime) -> str:
    if reason in ("quota_time", "quota_data") and resets_at is not None:
        return _("Kuota habis. Tersedia lagi dalam %(wait)s.",
                 wait=wait_in_words((resets_at - now).total_seconds()))
    messages = {
        "blocked": _("Akses diblokir. Hubungi petugas Wi-Fi kota."),
        "expired": _("Voucher sudah kedaluwarsa."),
        "unknown_voucher": _("Kode voucher tidak dikenal. Periksa lagi kodenya."),
        "revoked": _("Voucher ini sudah dibatalkan."),
        "plan_inactive": _("Layanan ini sedang tidak tersedia."),
        "no_mac": _("Perangkat Anda tidak dikenali oleh router. Sambungkan ulang ke Wi-Fi."),
        "bad_phone": _("Nomor HP tidak valid. Contoh: 0812 3456 7890."),
        "bad_login": _("Nomor HP atau kata sandi salah."),
        "unverified": _("Nomor ini belum diverifikasi. Daftar ulang untuk menerima kode."),
        "exists": _("Nomor ini sudah terdaftar. Silakan masuk, atau atur ulang kata sandi."),
        "weak_password": _("Kata sandi minimal 8 karakter."),
        "bad_code": _("Kode salah. Periksa SMS Anda dan coba lagi."),
        "code_expired": _("Kode sudah tidak berlaku. Minta kode baru."),
        "too_many_codes": _("Terlalu banyak kode dikirim ke nomor ini. Coba lagi dalam satu jam."),
        "sms_failed": _("SMS tidak dapat dikirim saat ini. Coba lagi sebentar lagi."),
    }
    return messages.get(reason, _("Maaf, login tidak dapat dilakukan."))


def current_handoff() -> GatewayHandoff | None:
    data = session.get(GATEWAY)
    return GatewayHandoff.from_dict(data) if data else None


def current_nas() -> AccessPoint | None:
    return access_points().get(session.get(NAS))


def place_name(nas: AccessPoint | None) -> str:
    if nas is None:
        return extensions.settings().city_name
    return nas.location_name or nas.name


def _uam_secret(nas: AccessPoint | None) -> str | None:
    if nas is None or not nas.uam_secret_encrypted:
        return None
    return extensions.state().box.decrypt(nas.uam_secret_encrypted)


def signed_url() -> str:
    """The URL as the router wrote it (scheme, host, raw path and query), for CoovaChilli's `md`."""
    raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    if not raw_path.startswith("/"):
        raw_path = "/" + raw_path.split("/", 3)[-1]
    return f"{request.scheme}://{request.host}{raw_path}"


def read_gateway() -> tuple[GatewayHandoff | None, AccessPoint | None]:
    """The hand-off in this request's parameters, checked and remembered; else the remembered one."""
    try:
        handoff = gateways.parse_handoff(request.args)
    except HandoffError as exc:
        raise refuse(_("Parameter dari router tidak valid: %(detail)s", detail=str(exc))) from exc
    if handoff is None:
        return current_handoff(), current_nas()
    nas = access_points().find(handoff)
    uam_secret = _uam_secret(nas) if handoff.vendor == "chilli" else None
    if uam_secret and not gateways.chilli_md_valid(signed_url(), uam_secret):
        raise refuse(_("Tanda tangan router (md) tidak cocok. Sambungkan ulang ke Wi-Fi."))
    if handoff.login_host and not gateways.login_target_allowed(handoff, nas.login_host if nas else None):
        raise refuse(_("Alamat login router tidak dikenal, jadi login tidak dikirim ke sana."))
    session[GATEWAY] = handoff.to_dict()
    session[NAS] = nas.id if nas else None
    return handoff, nas


def render_splash(handoff: GatewayHandoff, nas: AccessPoint | None, message: str | None = None, status: int = 200,
                  **context):
    if handoff.login_origin:
        allow_form_target(handoff.login_origin)
    if message is None and handoff.error:
        message = handoff.error
    settings = extensions.settings()
    return render_template("splash/index.html", place=place_name(nas), handoff=handoff, nas=nas,
                           message=message, terms=settings.terms_text, **context), status


@bp.get("/")
def index():
    """The page the router sends citizens to; a plain visit gets an information page."""
    handoff, nas = read_gateway()
    if handoff is None:
        return render_template("splash/info.html", place=extensions.settings().city_name)
    if handoff.res in ("success", "already"):
        return redirect(url_for("splash.status"), 303)
    if handoff.res == "logoff":
        session.pop(LOGIN, None)
        return render_template("splash/info.html", place=place_name(nas), logged_out=True)
    return render_splash(handoff, nas)


def _require_gateway() -> tuple[GatewayHandoff, AccessPoint]:
    handoff, nas = current_handoff(), current_nas()
    if handoff is None:
        raise refuse(_("Sesi login tidak ditemukan. Sambungkan ulang ke Wi-Fi lalu buka halaman login lagi."))
    if nas is None:
        raise refuse(_("Titik akses ini belum terdaftar. Hubungi petugas Wi-Fi kota."))
    if not gateways.login_target_allowed(handoff, nas.login_host):
        raise refuse(_("Alamat login router tidak dikenal, jadi login tidak dikirim ke sana."))
    return handoff, nas


def hand_over(handoff: GatewayHandoff, nas: AccessPoint, grant: logins.Grant, kind_label: str):
    """Give the ticket to the router: MikroTik's login form (auto-submitted), or Chilli's /logon redirect."""
    settings = extensions.settings()
    session[LOGIN] = {**grant.standing.to_dict(), "logout_url": handoff.logout_url, "kind": kind_label,
                      "original_url": handoff.original_url, "place": place_name(nas)}
    if handoff.vendor == "mikrotik":
        dst = settings.portal_url.rstrip("/") + url_for("splash.status")
    else:
        dst = handoff.original_url or settings.landing_url
    form = gateways.login_form(handoff, grant.ticket.username, grant.ticket.secret, dst, _uam_secret(nas))
    allow_form_target(handoff.login_origin)
    if form.method == "get":
        return redirect(form.redirect_url, 303)
    return render_template("splash/handoff.html", form=form, place=place_name(nas))


def _login(kind: str, grant):
    """Check quota and issue the ticket with `grant(db, mac, nas, now, tz, ttl, terms_version)`, then hand it over."""
    handoff, nas = _require_gateway()
    settings, now, db = extensions.settings(), utcnow(), extensions.db()
    try:
        granted = grant(db, handoff.mac, nas, now, settings.timezone, settings.login_ticket_seconds,
                        settings.terms_version)
    except logins.Refused as exc:
        status = 403 if exc.reason in ("quota_time", "quota_data", "blocked", "expired") else 400
        return render_splash(handoff, nas, refusal_message(exc.reason, exc.resets_at, now), status)
    return hand_over(handoff, nas, granted, kind)


@bp.post("/login/free")
@per_ip
@per_mac
def login_free():
    """Way in 1: accept the terms, one tap."""
    return _login("free", lambda db, *rest: logins.grant_free(db, free_plan(), *rest))


@bp.post("/login/account")
@per_ip
@per_mac
def login_account():
    """Way in 2: a registered citizen's phone number and password."""
    handoff, nas = _require_gateway()
    now = utcnow()
    try:
        account = citizens.authenticate(extensions.db(), _form("phone", 32), _form("password", 128), now)
    except citizens.CitizenError as exc:
        return render_splash(handoff, nas, refusal_message(exc.reason, None, now), 400, phone=_form("phone", 32))
    return _login("account", lambda db, *rest: logins.grant_account(db, account, *rest))


@bp.post("/login/voucher")
@per_ip
@per_mac
def login_voucher():
    """Way in 3: a voucher code from an event or a longer plan."""
    code = _form("code", 64)
    return _login("voucher", lambda db, *rest: logins.grant_voucher(db, code, *rest))


def _form(name: str, limit: int) -> str:
    return request.form.get(name, "")[:limit]


def _request_code(purpose: str, template: str, next_endpoint: str, send):
    """Step 1 of registration or reset: send an SMS code, then ask for it on the next page."""
    message = None
    if request.method == "POST":
        settings = extensions.settings()
        try:
            phone = send(extensions.db(), utcnow(), make_sender(settings), settings.city_name)
        except citizens.CitizenError as exc:
            message = refusal_message(exc.reason, None, utcnow())
        except SmsError:
            message = refusal_message("sms_failed", None, utcnow())
        else:
            session[PENDING] = {"phone": phone, "purpose": purpose}
            return redirect(url_for(next_endpoint), 303)
    return render_template(template, message=message, place=place_name(current_nas()),
                           phone=_form("phone", 32)), 400 if message else 200


def _check_code(purpose: str, complete):
    """Step 2: the SMS code (and for a reset the new password); then the citizen is online."""
    pending = session.get(PENDING) or {}
    if pending.get("purpose") != purpose:
        raise refuse(_("Mulai lagi dari halaman login."))
    phone, message = pending["phone"], None
    if request.method == "POST":
        try:
            account = complete(extensions.db(), phone, _form("code", 16), utcnow())
        except citizens.CitizenError as exc:
            message = refusal_message(exc.reason, None, utcnow())
        else:
            return _sign_in_after_code(account)
    return render_template("splash/code.html", message=message, phone=phone, purpose=purpose,
                           place=place_name(current_nas())), 400 if message else 200


def _sign_in_after_code(account):
    """After registration or reset: straight online when a router sent us here, else back to sign-in."""
    session.pop(PENDING, None)
    if current_handoff() is None:
        return render_template("splash/info.html", place=extensions.settings().city_name, account_ready=True)
    return _login("account", lambda db, *rest: logins.grant_account(db, account, *rest))


@bp.route("/register", methods=["GET", "POST"])
@per_ip
@per_mac
def register():
    """Registration, step 1: phone and password; a code goes out by SMS."""
    return _request_code("register", "splash/register.html", "splash.verify",
                         lambda db, now, sender, city: citizens.start_registration(
                             db, _form("phone", 32), _form("password", 128), now, sender, city))


@bp.route("/register/verify", methods=["GET", "POST"])
@per_ip
@per_mac
def verify():
    """Registration, step 2: the SMS code."""
    return _check_code("register", citizens.complete_registration)


@bp.route("/reset", methods=["GET", "POST"])
@per_ip
@per_mac
def reset():
    """Password reset, step 1: the phone number; a code goes out when it has an account."""
    return _request_code("reset", "splash/reset.html", "splash.reset_confirm",
                         lambda db, now, sender, city: citizens.request_reset(db, _form("phone", 32), now,
                                                                              sender, city))


@bp.route("/reset/confirm", methods=["GET", "POST"])
@per_ip
@per_mac
def reset_confirm():
    """Password reset, step 2: the SMS code and a new password."""
    return _check_code("reset", lambda db, phone, code, now: citizens.reset_password(
        db, phone, code, _form("password", 128), now))


@bp.get("/status")
def status():
    """After login: time and data left today, logout, the city's links."""
    login = session.get(LOGIN)
    settings, db = extensions.settings(), extensions.db()
    standing = logins.Standing.from_dict(db, login) if login else None
    handoff = current_handoff()
    if standing is None and handoff is not None and handoff.mac:
        online = logins.open_session(db, mac=handoff.mac)
        standing = logins.Standing.of_session(db, online) if online else None
        login = {"logout_url": handoff.logout_url, "place": place_name(current_nas())}
    if standing is None:
        return render_template("splash/info.html", place=settings.city_name, not_signed_in=True)
    left = logins.what_is_left(db, standing, utcnow(), settings.timezone)
    if login.get("logout_url"):
        allow_form_target(login["logout_url"].rsplit("/", 1)[0])
    return render_template("splash/status.html", login=login, left=left, plan=standing.plan,
                           place=login.get("place") or settings.city_name,
                           landing_url=settings.landing_url, complaint_url=settings.complaint_url,
                           wait=wait_in_words((left.resets_at - utcnow()).total_seconds()))


@bp.post("/logout")
def logout():
    """Forget the login here and send the browser to the router's own logout address."""
    login = session.pop(LOGIN, None) or {}
    handoff = current_handoff()
    target = login.get("logout_url") or (handoff.logout_url if handoff else None)
    if target:
        return redirect(target, 303)
    return redirect(url_for("splash.index"), 303)
