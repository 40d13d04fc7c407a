"""Clear error pages in the citizen's language (JSON under /api/), never a stack trace."""

from __future__ import annotations

import math
import time

from flask import Flask, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import limiter


def _message(code: int) -> str:
    messages = {
        400: _("Permintaan tidak valid. Coba sambungkan ulang ke Wi-Fi dan buka halaman ini lagi."),
        403: _("Akses ditolak."),
        404: _("Halaman tidak ditemukan."),
        405: _("Permintaan tidak valid."),
        413: _("Data yang dikirim terlalu besar."),
        429: _("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi."),
    }
    return messages.get(code, _("Maaf, terjadi kesalahan. Coba lagi sebentar lagi."))


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if request.path.startswith("/api/"):
        return {"error": error.name, "status": code}, code
    detail = getattr(error, "portal_detail", None)
    if isinstance(error, CSRFError):
        detail = _("Halaman ini sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.")
    response = make_response(
        render_template("errors/error.html", code=code, message=detail or _message(code)), code
    )
    if code == 429:
        retry_after(response)
    return response


def retry_after(response) -> None:
    """Retry-After on a 429: seconds until the breached limit's window ends (read from the limiter's storage
    here only, not on every limited request)."""
    breached = limiter.current_limit
    if breached is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(breached.window.reset_time - time.time())))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
