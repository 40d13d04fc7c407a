"""The citizens' splash page: three ways in, each ending in a one-time ticket handed to the router.

`/` reads the gateway's parameters (MikroTik Hotspot or CoovaChilli UAM),
recognises the access point and keeps the hand-off in the signed session
cookie; the login forms post back here, the portal checks the credential and
today's quota, and the browser carries the ticket to the router's own login
address (never anywhere else). `/status` shows what is left, `/logout` ends it.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from hotspot import credentials, gateways
from hotspot.clock import utcnow
from hotspot.db import make_session_factory
from hotspot.gateways import GatewayHandoff, HandoffError
from hotspot.locations import GroupRules, group_of
from hotspot.models import Plan
from hotspot.opening_hours import DAYS, OpeningHours, next_opening
from hotspot.services import ap_groups, auth_log, citizens, logins
from hotspot.services.attribution import Router, Routers
from hotspot.services.client_sessions import client_session
from hotspot.services.plans import free_access_plan
from hotspot.services.reloading import Reloading
from hotspot.services.vouchers import normalize_code
from hotspot.sms import SmsError, make_sender
from hotspot.validation import is_random_mac
from portal import extensions
from portal.admin.formatting import local_time
from portal.extensions import limiter
from portal.forms import (
    AccountLoginForm,
    Form,
    NewPasswordForm,
    PhoneForm,
    RegisterForm,
    SmsCodeForm,
    VoucherForm,
)
from portal.language import chosen_language
from portal.security import allow_form_target

bp = Blueprint("splash", __name__)
log = logging.getLogger(__name__)


@bp.record_once
def _keep_routers_and_free_plan(setup) -> None:
    state = setup.app.extensions["hotspot"]
    factory, ttl = make_session_factory(state.engine), state.settings.radius_client_reload_seconds
    setup.app.extensions["routers"] = Routers(factory, ttl)
    setup.app.extensions["free_plan"] = Reloading(factory, free_access_plan, ttl)
    setup.app.extensions["ap_groups"] = Reloading(factory, ap_groups.load_rules, ttl)


def routers() -> Routers:
    return current_app.extensions["routers"]


def free_plan() -> Plan | None:
    """The click-through plan as this worker last read it (at most a few seconds ago); detached, read-only."""
    return current_app.extensions["free_plan"].get()


def site_group(nas: Router | None) -> GroupRules | None:
    """The access point group whose rules the visitor's site follows (as this worker last read them)."""
    return group_of(current_app.extensions["ap_groups"].get(), nas.group_id) if nas is not None else None


def site_free_plan(nas: Router | None) -> Plan | None:
    """The site's group's free plan, else the city's."""
    group = site_group(nas)
    if group is not None and group.free_plan_id is not None:
        return extensions.db().get(Plan, group.free_plan_id)
    return free_plan()


GATEWAY, NAS, LOGIN, PENDING = "gateway", "nas", "login", "pending"


def _mac_key() -> str:
    mac = (session.get(GATEWAY) or {}).get("mac")
    return f"mac:{mac}" if mac else f"ip:{get_remote_address()}"


per_ip = limiter.shared_limit(
    lambda: extensions.settings().ratelimit_per_ip, scope="citizen-ip", methods=["POST"]
)
per_mac = limiter.shared_limit(
    lambda: extensions.settings().ratelimit_per_mac, scope="citizen-mac", key_func=_mac_key, methods=["POST"]
)


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


def _day_name(weekday: int) -> str:
    return get_locale().days["format"]["wide"][weekday].capitalize()


def opening_in_words(opens_at: datetime, tz: str) -> str:
    """'Kamis 07:00' / 'Thursday 07:00', in the city's local time."""
    local = opens_at.astimezone(ZoneInfo(tz))
    return f"{_day_name(local.weekday())} {local:%H:%M}"


def hours_in_words(hours: OpeningHours) -> list[str]:
    """One line per run of weekdays with the same hours: 'Senin–Jumat 07:00–17:00'."""
    lines: list[str] = []
    day = 0
    while day < len(DAYS):
        last = day
        while last + 1 < len(DAYS) and hours.days[last + 1] == hours.days[day]:
            last += 1
        if hours.days[day]:
            names = _day_name(day) if last == day else f"{_day_name(day)}–{_day_name(last)}"
            spans = ", ".join(
                f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}" for s, e in hours.days[day]
            )
            lines.append(f"{names} {spans}")
        day = last + 1
    return lines


def refusal_message(reason: str, resets_at: datetime | None, now: datetime) -> str:
    if reason == "closed" and resets_at is not None:
        return _(
            "Wi-Fi gratis di lokasi ini sedang tutup. Buka lagi %(when)s.",
            when=opening_in_words(resets_at, extensions.settings().timezone),
        )
    if reason == "phone_login_required":
        return _(
            "Hari ini sudah banyak perangkat dengan alamat MAC acak memakai internet gratis di sini, "
            "jadi kami minta Anda masuk dengan nomor HP. Alamat acak berganti setiap kali jaringan "
            "dilupakan, sehingga kuota gratis per perangkat tidak bisa dijaga."
        )
    if reason in ("quota_time", "quota_data") and resets_at is not None:
        return _(
            "Kuota habis. Tersedia lagi dalam %(wait)s.",
            wait=wait_in_words((resets_at - now).total_seconds()),
        )
    if reason in credentials.REFUSALS:
        return credentials.refusal(reason, str(get_locale()))
    messages = {
        "bad_phone": _("Nomor HP tidak valid. Contoh: 0812 3456 7890."),
        "bad_login": _("Nomor HP atau kata sandi salah."),
        "unverified": _("Nomor ini belum diverifikasi. Daftar ulang untuk menerima kode."),
        "weak_password": _("Kata sandi minimal 8 karakter."),
        "bad_code": _("Kode salah. Periksa SMS Anda dan coba lagi."),
        "code_expired": _("Kode sudah tidak berlaku. Minta kode baru."),
        "too_many_codes": _("Terlalu banyak kode dikirim ke nomor ini. Coba lagi dalam satu jam."),
        "sms_failed": _("SMS tidak dapat dikirim saat ini. Coba lagi sebentar lagi."),
        "phone_not_allowed": _("Kode SMS hanya dikirim ke nomor HP Indonesia (08…)."),
        "sms_budget_spent": _(
            "Kuota SMS kota untuk hari ini sudah habis. Silakan pakai internet gratis, "
            "atau daftar lagi besok."
        ),
    }
    return messages.get(reason, _("Maaf, login tidak dapat dilakukan."))


def current_handoff() -> GatewayHandoff | None:
    data = session.get(GATEWAY)
    return GatewayHandoff.from_dict(data) if data else None


def current_nas() -> Router | None:
    return routers().get(session.get(NAS))


def place_name(nas: Router | None) -> str:
    if nas is None:
        return extensions.settings().city_name
    return nas.location_name or nas.name


def _uam_secret(nas: Router | None) -> str | None:
    if nas is None or not nas.uam_secret_encrypted:
        return None
    return extensions.state().box.decrypt(nas.uam_secret_encrypted)


def signed_url() -> str:
    """The URL as the router wrote it (scheme, host, raw path and query), for CoovaChilli's `md`."""
    raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    if not raw_path.startswith("/"):
        raw_path = "/" + raw_path.split("/", 3)[-1]
    return f"{request.scheme}://{request.host}{raw_path}"


def _gateway_parameters() -> MultiDict:
    """The router's parameters: for CoovaChilli only those its `md` signs (nothing after `&md=` counts)."""
    query = gateways.signed_query(request.query_string.decode("utf-8", "replace"))
    return MultiDict(parse_qsl(query, keep_blank_values=True))


def read_gateway() -> tuple[GatewayHandoff | None, Router | None]:
    """The hand-off in this request's parameters, checked and remembered; else the remembered one."""
    try:
        handoff = gateways.parse_handoff(_gateway_parameters())
    except HandoffError as exc:
        raise refuse(_("Parameter dari router tidak valid: %(detail)s", detail=str(exc))) from exc
    if handoff is None:
        return current_handoff(), current_nas()
    nas = routers().find(handoff)
    uam_secret = _uam_secret(nas)
    # Whatever shape the URL has: a NAS that has a uamsecret is only ever believed with its signature.
    if uam_secret and not gateways.chilli_md_valid(signed_url(), uam_secret):
        raise refuse(_("Tanda tangan router (md) tidak cocok. Sambungkan ulang ke Wi-Fi."))
    if handoff.login_host and not _login_target_ok(handoff, nas):
        raise refuse(_("Alamat login router tidak dikenal, jadi login tidak dikirim ke sana."))
    session[GATEWAY] = handoff.to_dict()
    session[NAS] = nas.id if nas else None
    return handoff, nas


def _login_target_ok(handoff: GatewayHandoff, nas: Router | None) -> bool:
    """The router's own login address for a known NAS; for an unknown one (no ticket is ever issued) a
    plausible router address, so the page can say the access point is not registered."""
    if nas is None:
        return gateways.login_target_plausible(handoff)
    if gateways.login_target_allowed(handoff, nas.vendor, nas.login_host):
        return True
    log.warning(
        "NAS %s: login address %r is not the router's own (%s); no ticket goes there",
        nas.name,
        handoff.login_host,
        gateways.router_login_host(nas.vendor, nas.login_host),
    )
    return False


def render_splash(
    handoff: GatewayHandoff, nas: Router | None, message: str | None = None, status: int = 200, **context
):
    if handoff.login_origin:
        allow_form_target(handoff.login_origin)
    if message is None and handoff.error:
        message = handoff.error
    settings, group = extensions.settings(), site_group(nas)
    opens_at = next_opening(group.hours, utcnow(), settings.timezone) if group is not None else None
    return render_template(
        "splash/index.html",
        place=place_name(nas),
        handoff=handoff,
        nas=nas,
        message=message,
        terms=settings.terms_text,
        group=group,
        opens_at=opens_at,
        opening=opening_in_words(opens_at, settings.timezone) if opens_at else None,
        hours=hours_in_words(group.hours) if group is not None else [],
        group_text=group.splash(str(get_locale())) if group is not None else "",
        random_mac=is_random_mac(handoff.mac),
        **context,
    ), status


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


def _require_gateway() -> tuple[GatewayHandoff, Router]:
    handoff, nas = current_handoff(), current_nas()
    if handoff is None:
        raise refuse(_("Sesi login tidak ditemukan. Sambungkan ulang ke Wi-Fi lalu buka halaman login lagi."))
    if nas is None:
        raise refuse(_("Titik akses ini belum terdaftar. Hubungi petugas Wi-Fi kota."))
    if not _login_target_ok(handoff, nas):
        raise refuse(_("Alamat login router tidak dikenal, jadi login tidak dikirim ke sana."))
    return handoff, nas


def hand_over(handoff: GatewayHandoff, nas: Router, issued: logins.IssuedTicket, kind_label: str):
    """Give the ticket to the router: MikroTik's login form (auto-submitted), or Chilli's /logon redirect."""
    settings = extensions.settings()
    session[LOGIN] = {
        **issued.standing.to_dict(),
        "logout_url": handoff.logout_url,
        "kind": kind_label,
        "original_url": handoff.original_url,
        "place": place_name(nas),
    }
    if handoff.vendor == "mikrotik":
        dst = settings.portal_url.rstrip("/") + url_for("splash.status")
    else:
        dst = handoff.original_url or settings.landing_url
    form = gateways.login_form(handoff, issued.ticket.username, issued.ticket.secret, dst, _uam_secret(nas))
    allow_form_target(handoff.login_origin)
    if form.method == "get":
        return redirect(form.redirect_url, 303)
    return render_template("splash/handoff.html", form=form, place=place_name(nas))


def _log_refusal(method: str, reason: str, who: str | None, now: datetime) -> None:
    """The refusal goes to the failed-login log the helpdesk reads, like a RADIUS reject."""
    handoff, nas = current_handoff(), current_nas()
    auth_log.record_refusal(
        extensions.db(),
        method,
        reason,
        who,
        handoff.mac if handoff else None,
        nas.id if nas else None,
        now,
        radio=handoff.called if handoff else None,
    )


def _login(kind: str, issue, who: str | None = None):
    """Check quota and issue the ticket with `issue(db, mac, nas, now, tz, ttl, terms)`, then hand it over."""
    handoff, nas = _require_gateway()
    settings, now, db = extensions.settings(), utcnow(), extensions.db()
    try:
        granted = issue(
            db,
            handoff.mac,
            nas,
            now,
            settings.timezone,
            settings.login_ticket_seconds,
            settings.terms_version,
        )
    except logins.Refused as exc:
        _log_refusal(kind, exc.reason, who, now)
        status = (
            403
            if exc.reason
            in (
                "quota_time",
                "quota_data",
                "blocked",
                "expired",
                "too_many_sessions",
                "closed",
                "phone_login_required",
            )
            else 400
        )
        return render_splash(
            handoff,
            nas,
            refusal_message(exc.reason, exc.resets_at, now),
            status,
            phone_login_asked=exc.reason == "phone_login_required",
        )
    return hand_over(handoff, nas, granted, kind)


@bp.post("/login/free")
@per_ip
@per_mac
def login_free():
    """Way in 1: accept the terms, one tap."""
    nas = current_nas()
    hours = group.hours if (group := site_group(nas)) is not None else None
    return _login("free", lambda db, *rest: logins.grant_free(db, site_free_plan(nas), *rest, hours=hours))


@bp.post("/login/account")
@per_ip
@per_mac
def login_account():
    """Way in 2: a registered citizen's phone number and password."""
    handoff, nas = _require_gateway()
    form, now = AccountLoginForm(), utcnow()
    if not form.validate():
        return render_splash(handoff, nas, form.first_error(), 400)
    try:
        account = citizens.check_login(extensions.db(), form.phone.data, form.password.data, now)
    except citizens.CitizenError as exc:
        _log_refusal("account", exc.reason, form.phone.data, now)
        return render_splash(handoff, nas, refusal_message(exc.reason, None, now), 400, phone=form.phone.data)
    return _login(
        "account",
        lambda db, *rest: logins.grant_account(
            db, account, *rest, stale_grace=extensions.settings().radius_stale_grace_seconds
        ),
        account.phone,
    )


@bp.post("/login/voucher")
@per_ip
@per_mac
def login_voucher():
    """Way in 3: a voucher code from an event or a longer plan."""
    form = VoucherForm()
    if not form.validate():
        return render_splash(*_require_gateway(), form.first_error(), 400)
    code = form.code.data
    return _login(
        "voucher",
        lambda db, *rest: logins.grant_voucher(
            db, code, *rest, stale_grace=extensions.settings().radius_stale_grace_seconds
        ),
        normalize_code(code),
    )


def _sms_rules() -> citizens.SmsRules:
    return citizens.SmsRules.from_settings(extensions.settings())


def request_code_page(purpose: str, template: str, next_endpoint: str, form: Form, send):
    """Step 1 of registration, reset or a data request (portal.mydata): send an SMS code, then ask for it
    on the next page.

    `send(db, form, now, sender, city, rules)` returns what this browser keeps for step 2 (at least the
    phone)."""
    message, reason = None, None
    if request.method == "POST" and not form.validate():
        message = form.first_error()
    elif request.method == "POST":
        settings = extensions.settings()
        try:
            pending = send(
                extensions.db(), form, utcnow(), make_sender(settings), settings.city_name, _sms_rules()
            )
        except citizens.CitizenError as exc:
            reason = exc.reason
        except SmsError:
            reason = "sms_failed"
        else:
            session[PENDING] = {**pending, "purpose": purpose}
            return redirect(url_for(next_endpoint), 303)
        message = refusal_message(reason, None, utcnow())
        _log_refusal("sms", reason, form.phone.data, utcnow())
    offer_free = reason == "sms_budget_spent" and current_handoff() is not None
    return render_template(
        template,
        message=message,
        place=place_name(current_nas()),
        offer_free=offer_free,
        phone=form.phone.data or "",
    ), 400 if message else 200


def _check_code(purpose: str, form: SmsCodeForm, complete):
    """Step 2: the SMS code (and for a reset the new password); then the citizen is online.

    `complete(db, pending, form, now)` returns the citizen's account."""
    pending = session.get(PENDING) or {}
    if pending.get("purpose") != purpose:
        raise refuse(_("Mulai lagi dari halaman login."))
    phone, message = pending["phone"], None
    if request.method == "POST" and not form.validate():
        message = form.first_error()
    elif request.method == "POST":
        try:
            account = complete(extensions.db(), pending, form, utcnow())
        except citizens.CitizenError as exc:
            message = refusal_message(exc.reason, None, utcnow())
            _log_refusal("sms", exc.reason, phone, utcnow())
        else:
            return _sign_in_after_code(account)
    return render_template(
        "splash/code.html", message=message, phone=phone, purpose=purpose, place=place_name(current_nas())
    ), 400 if message else 200


def _sign_in_after_code(account):
    """After registration or reset: straight online when a router sent us here, else back to sign-in."""
    session.pop(PENDING, None)
    if current_handoff() is None:
        return render_template("splash/info.html", place=extensions.settings().city_name, account_ready=True)
    return _login(
        "account",
        lambda db, *rest: logins.grant_account(
            db, account, *rest, stale_grace=extensions.settings().radius_stale_grace_seconds
        ),
        account.phone,
    )


sms_per_address = limiter.shared_limit(
    lambda: extensions.settings().sms_codes_per_address,
    scope="sms-address",
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 303,
)


def _registration_started(db, form: RegisterForm, now, sender, city, rules) -> dict:
    registration = citizens.start_registration(
        db, form.phone.data, form.password.data, now, sender, city, rules
    )
    box = extensions.state().box
    return {"phone": registration.phone, "password": box.encrypt(registration.password_hash)}


def _registration_completed(db, pending: dict, form: SmsCodeForm, now):
    if "password" not in pending:
        raise citizens.CitizenError("code_expired")
    box = extensions.state().box
    registration = citizens.Registration(pending["phone"], box.decrypt(pending["password"]))
    return citizens.complete_registration(db, registration, form.code.data, now)


@bp.route("/register", methods=["GET", "POST"])
@per_ip
@per_mac
@sms_per_address
def register():
    """Registration, step 1: phone and password; a code goes out by SMS."""
    return request_code_page(
        "register", "splash/register.html", "splash.verify", RegisterForm(), _registration_started
    )


@bp.route("/register/verify", methods=["GET", "POST"])
@per_ip
@per_mac
def verify():
    """Registration, step 2: the SMS code; the password is the one this browser chose at step 1."""
    return _check_code("register", SmsCodeForm(), _registration_completed)


@bp.route("/reset", methods=["GET", "POST"])
@per_ip
@per_mac
@sms_per_address
def reset():
    """Password reset, step 1: the phone number; a code goes out when it has an account."""
    return request_code_page(
        "reset",
        "splash/reset.html",
        "splash.reset_confirm",
        PhoneForm(),
        lambda db, form, now, sender, city, rules: {
            "phone": citizens.request_reset(db, form.phone.data, now, sender, city, rules)
        },
    )


@bp.route("/reset/confirm", methods=["GET", "POST"])
@per_ip
@per_mac
def reset_confirm():
    """Password reset, step 2: the SMS code and a new password."""
    return _check_code(
        "reset",
        NewPasswordForm(),
        lambda db, pending, form, now: citizens.reset_password(
            db, pending["phone"], form.code.data, form.password.data, now
        ),
    )


@bp.get("/status")
def status():
    """After login: time and data left today, logout, the city's links."""
    login = session.get(LOGIN)
    settings, db = extensions.settings(), extensions.db()
    standing = logins.Standing.from_dict(db, login) if login else None
    handoff = current_handoff()
    if standing is None and handoff is not None and handoff.mac:
        nas = current_nas()
        online = client_session(
            db,
            routers().all(),
            request.remote_addr,
            mac=handoff.mac,
            named=nas,
            vouched=nas is not None and nas.uam_secret_encrypted is not None,
        )
        standing = logins.Standing.of_session(db, online) if online else None
        login = {"logout_url": handoff.logout_url, "place": place_name(current_nas())}
    if standing is None:
        return render_template("splash/info.html", place=settings.city_name, not_signed_in=True)
    left = logins.what_is_left(db, standing, utcnow(), settings.timezone)
    if login.get("logout_url"):
        allow_form_target(login["logout_url"].rsplit("/", 1)[0])
    return render_template(
        "splash/status.html",
        login=login,
        left=left,
        plan=standing.plan,
        random_mac=handoff is not None and is_random_mac(handoff.mac),
        place=login.get("place") or settings.city_name,
        landing_url=settings.landing_url,
        complaint_url=settings.complaint_url,
        wait=wait_in_words((left.resets_at - utcnow()).total_seconds()),
        slowed_until=local_time(left.resets_at, settings.timezone, "%H:%M") if left.throttled else None,
    )


@bp.get("/privacy")
def privacy():
    """The privacy notice (its text is the city's, in `privacy_text` / `privacy_text_en`)."""
    settings = extensions.settings()
    english = chosen_language(settings.default_language) == "en"
    text = settings.privacy_text_en if english else settings.privacy_text
    return render_template(
        "splash/privacy.html",
        paragraphs=[p for p in text.split("\n\n") if p.strip()],
        days=settings.retention_days,
        complaint_url=settings.complaint_url,
        place=settings.city_name,
    )


@bp.post("/logout")
def logout():
    """Forget the login here and send the browser to the router's own logout address."""
    login = session.pop(LOGIN, None) or {}
    handoff = current_handoff()
    target = login.get("logout_url") or (handoff.logout_url if handoff else None)
    if target:
        return redirect(target, 303)
    return redirect(url_for("splash.index"), 303)
