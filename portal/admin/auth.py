"""Signing in and out of the console, the optional TOTP second factor, and each admin's own account page.

Sign-in starts a fresh session (no fixation), counts failures towards a
lock-out, and asks for the authenticator code when the admin turned it on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AdminUser, ApiToken
from hotspot.services import audit, signin
from hotspot.services.admins import create_api_token
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("auth", __name__)
PENDING_KEY = "totp_pending_admin"
PENDING_STAMP_KEY = "totp_pending_stamp"
ENROL_KEY = "totp_enrol_secret"


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin.dashboard.index")


def _start_session(admin: AdminUser, next_url: str | None):
    session.clear()
    session[extensions.ADMIN_SESSION_KEY] = signin.complete_sign_in(
        extensions.db(), admin, utcnow(), ip=request.remote_addr
    )
    login_user(admin)
    return redirect(_safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@extensions.limiter.limit("30/minute", methods=["POST"])
def login():
    """Name and password; then the second factor when the admin has one."""
    if request.method == "GET":
        return render_template("admin/auth/login.html", next=request.args.get("next", ""))
    result = signin.check_password(
        extensions.db(),
        request.form.get("username", ""),
        request.form.get("password", ""),
        utcnow(),
        ip=request.remote_addr,
    )
    next_url = request.form.get("next")
    if result.admin is None:
        flash(explain(result.error), "error")
        return render_template(
            "admin/auth/login.html", next=next_url or "", username=request.form.get("username", "")
        ), 401
    if result.needs_totp:
        session.clear()
        session[PENDING_KEY] = result.admin.id
        session[PENDING_STAMP_KEY] = signin.pending_stamp(result.admin)
        session["next"] = next_url or ""
        return redirect(url_for(".totp"))
    return _start_session(result.admin, next_url)


@bp.route("/login/totp", methods=["GET", "POST"])
@extensions.limiter.limit("30/minute", methods=["POST"])
def totp():
    """The authenticator code after a correct password; five wrong codes count like wrong passwords."""
    admin = extensions.db().get(AdminUser, session.get(PENDING_KEY, 0))
    if (
        admin is None
        or (admin.locked_until is not None and admin.locked_until > utcnow())
        or session.get(PENDING_STAMP_KEY) != signin.pending_stamp(admin)
    ):
        session.pop(PENDING_KEY, None)  # a void pending sign-in goes; a signed-in admin stays signed in
        session.pop(PENDING_STAMP_KEY, None)
        return redirect(url_for(".login"))
    if request.method == "GET":
        return render_template("admin/auth/totp.html")
    if signin.check_totp(
        extensions.db(), extensions.state().box, admin, request.form.get("code", ""), utcnow()
    ):
        return _start_session(admin, session.get("next"))
    if signin.record_failure(extensions.db(), admin, utcnow(), ip=request.remote_addr):
        session.clear()
        flash(
            _("Terlalu banyak kode salah: dikunci %(minutes)s menit.", minutes=signin.LOCK_MINUTES), "error"
        )
        return redirect(url_for(".login"))
    flash(_("Kode salah."), "error")
    return render_template("admin/auth/totp.html"), 401


@bp.post("/logout")
@login_required
def logout():
    audit.record(
        extensions.db(),
        current_user.username,
        "admin.logout",
        current_user.username,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    signin.end_session(extensions.db(), session.get(extensions.ADMIN_SESSION_KEY))
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for(".login"))


def _tokens():
    return list(
        extensions.db().scalars(
            select(ApiToken).where(ApiToken.admin_id == current_user.id).order_by(ApiToken.created_at.desc())
        )
    )


@bp.get("/account")
@requires("viewer")
def account():
    """Own password, second factor and API tokens."""
    secret = session.get(ENROL_KEY)
    uri = signin.totp_uri(secret, current_user.username) if secret else None
    return render_template("admin/auth/account.html", tokens=_tokens(), enrol_secret=secret, enrol_uri=uri)


@bp.post("/account/password")
@requires("viewer")
def change_password():
    try:
        signin.change_password(
            extensions.db(),
            current_user,
            request.form.get("current", ""),
            request.form.get("new", ""),
            ip=request.remote_addr,
            keep_session=session.get(extensions.ADMIN_SESSION_KEY),
        )
        flash(_("Kata sandi sudah diganti."), "info")
    except ValidationError as exc:
        flash(explain(exc), "error")
    return redirect(url_for(".account"))


@bp.post("/account/totp")
@requires("viewer")
def enrol_totp():
    """Start (new secret shown), confirm (code checked) or turn off the second factor."""
    step = request.form.get("step")
    if step == "start":
        session[ENROL_KEY] = signin.new_totp_secret()
    elif step == "confirm" and session.get(ENROL_KEY):
        try:
            signin.enable_totp(
                extensions.db(),
                extensions.state().box,
                current_user,
                session[ENROL_KEY],
                request.form.get("code", ""),
                utcnow(),
                ip=request.remote_addr,
            )
            session.pop(ENROL_KEY)
            flash(_("Masuk dua langkah sudah aktif."), "info")
        except ValidationError as exc:
            flash(explain(exc), "error")
    elif step == "disable":
        try:
            signin.disable_totp(
                extensions.db(),
                extensions.state().box,
                current_user,
                request.form.get("password", ""),
                request.form.get("code", ""),
                utcnow(),
                ip=request.remote_addr,
            )
            flash(_("Masuk dua langkah sudah dimatikan."), "info")
        except ValidationError as exc:
            flash(str(exc), "error")
    return redirect(url_for(".account"))


@bp.post("/account/tokens")
@requires("viewer")
def new_token():
    """A bearer token acting with the admin's own role; shown on this one page only."""
    token = create_api_token(
        extensions.db(), current_user.username, request.form.get("name", "")[:64], actor=current_user.username
    )
    return render_template(
        "admin/auth/account.html", tokens=_tokens(), new_token=token, enrol_secret=None, enrol_uri=None
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@requires("viewer")
def revoke_token(token_id: int):
    token = extensions.db().get(ApiToken, token_id)
    if token is None or token.admin_id != current_user.id:
        flash(_("Token tidak ditemukan."), "error")
        return redirect(url_for(".account"))
    token.revoked = True
    audit.record(
        extensions.db(),
        current_user.username,
        "admin.token.revoke",
        token.name or str(token.id),
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    extensions.db().commit()
    flash(_("Token sudah dicabut."), "info")
    return redirect(url_for(".account"))
