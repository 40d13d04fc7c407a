"""Security headers on every response (a strict Content-Security-Policy and its friends),
and the refusal of NUL characters in any input before a view sees them.

No inline script or style is allowed (`unsafe-inline` is never granted): the
one inline style (the brand colour) carries a per-request nonce. Forms may be
posted only to the portal itself and to the router a view names with
`allow_form_target` (the MikroTik login form, the CoovaChilli logon redirect).
"""

from __future__ import annotations

import secrets

from flask import Flask, abort, g, request

from hotspot.settings import Settings


def allow_form_target(origin: str) -> None:
    """Let this response's page submit (or be redirected after a submit) to the router's origin."""
    g.setdefault("form_targets", []).append(origin)


def allow_image_origin(origin: str) -> None:
    """Let this response's page load images (map tiles) from `origin`, e.g. `https://*.tile.example.org`."""
    g.setdefault("image_origins", []).append(origin)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, form_targets: list[str], image_origins: list[str] = ()) -> str:
    form_action = " ".join(["'self'", *sorted(set(form_targets))])
    img_src = " ".join(["'self'", "data:", *sorted(set(image_origins))])
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src {img_src}; font-src 'self'; connect-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def has_nul_byte() -> bool:
    """True when the path, a query or form field, or a JSON body carries a NUL character: never meaningful
    in this portal, and PostgreSQL refuses it in text (the query would fail with a 500)."""
    fields = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.keys(), *request.form.values()]
    body = request.get_data(cache=True) if request.is_json else b""
    return any("\x00" in field for field in fields) or b"\x00" in body or b"\\u0000" in body


def init_app(app: Flask, settings: Settings) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def refuse_nul_bytes():
        if has_nul_byte():
            abort(400)

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(csp_nonce(), g.get("form_targets", []), g.get("image_origins", [])),
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: over https Flask-WTF refuses a form post without a same-site Referer.
        headers.setdefault("Referrer-Policy", "same-origin")
        if settings.behind_tls:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
