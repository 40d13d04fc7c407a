"""Clear error pages in the citizen's language (JSON under /api/), never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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
    return render_template("errors/error.html", code=code, message=detail or _message(code)), code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
