"""Voucher batches: generate, list, print as an A4 sheet of cut-out cards, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from hotspot.clock import utcnow
from hotspot.models import Plan, Voucher
from hotspot.services import audit
from hotspot.services.plans import list_plans
from hotspot.services.vouchers import find_voucher, generate_vouchers, shown_code, voucher_status
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.forms import VoucherBatchForm
from portal.admin.roles import allowed, requires
from portal.admin.service_messages import explain

bp = Blueprint("vouchers", __name__)


def batches():
    """One row per batch: plan, size, how many used and revoked, newest first."""
    return (
        extensions.db()
        .execute(
            select(
                Voucher.batch,
                Plan.name.label("plan"),
                func.count().label("count"),
                func.sum(case((Voucher.first_used_at.is_not(None), 1), else_=0)).label("used"),
                func.sum(case((Voucher.revoked.is_(True), 1), else_=0)).label("revoked"),
                func.min(Voucher.created_at).label("created_at"),
            )
            .join(Plan, Plan.id == Voucher.plan_id)
            .group_by(Voucher.batch, Plan.name)
            .order_by(func.min(Voucher.created_at).desc())
        )
        .all()
    )


@bp.get("/vouchers")
@requires("viewer")
def index():
    plans = [p for p in list_plans(extensions.db()) if p.active]
    return render_template("admin/vouchers/index.html", batches=batches(), plans=plans)


@bp.post("/vouchers")
@requires("operator")
def generate():
    try:
        form = VoucherBatchForm().checked()
        created = generate_vouchers(
            extensions.db(),
            form.plan.data,
            form.count.data or 0,
            form.batch.data.strip() or None,
            actor=current_user.username,
        )
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return redirect(url_for(".index"))
    flash(
        _("%(count)s voucher dibuat dalam kelompok %(batch)s.", count=len(created), batch=created[0].batch),
        "info",
    )
    return redirect(url_for(".batch", name=created[0].batch))


@bp.get("/vouchers/batch/<path:name>")
@requires("viewer")
def batch(name: str):
    vouchers = list(
        extensions.db().scalars(select(Voucher).where(Voucher.batch == name).order_by(Voucher.code))
    )
    if not vouchers:
        abort(404)
    may_see = allowed(current_user.role, "operator")
    codes = {v.id: shown_code(v, may_see) for v in vouchers}
    return render_template(
        "admin/vouchers/batch.html",
        name=name,
        vouchers=vouchers,
        status=voucher_status,
        codes=codes,
        now=utcnow(),
    )


@bp.get("/vouchers/batch/<path:name>/print")
@requires("operator")
def print_batch(name: str):
    """A4 sheet of cards (code, plan, validity) to print and cut; unused, unrevoked codes only."""
    vouchers = list(
        extensions.db().scalars(
            select(Voucher)
            .where(Voucher.batch == name, Voucher.revoked.is_(False), Voucher.first_used_at.is_(None))
            .order_by(Voucher.code)
        )
    )
    if not vouchers:
        abort(404)
    return render_template(
        "admin/vouchers/print.html", name=name, vouchers=vouchers, city=extensions.settings().city_name
    )


@bp.post("/vouchers/revoke")
@requires("operator")
def revoke():
    voucher = find_voucher(extensions.db(), request.form.get("code", ""))
    if voucher is None:
        flash(_("Voucher tidak ditemukan."), "error")
        return redirect(url_for(".index"))
    voucher.revoked = True
    audit.record(
        extensions.db(),
        current_user.username,
        "voucher.revoke",
        voucher.code,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    extensions.db().commit()
    flash(_("Voucher %(code)s dicabut.", code=voucher.code), "info")
    return redirect(url_for(".batch", name=voucher.batch))
