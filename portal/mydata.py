"""Citizens' data rights on the splash side: prove the phone with an SMS code, then download what the city
holds (JSON) or delete the account. The rules live in hotspot.services.data_rights; these pages only ask."""

from __future__ import annotations

import json

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from hotspot.clock import utcnow
from hotspot.services import data_rights
from hotspot.services.citizens import CitizenError
from portal import extensions
from portal.forms import PhoneForm, SmsCodeForm
from portal.splash import (
    PENDING,
    current_nas,
    per_ip,
    per_mac,
    place_name,
    refusal_message,
    request_code_page,
    sms_per_address,
)

bp = Blueprint("mydata", __name__)


@bp.route("/my-data", methods=["GET", "POST"])
@per_ip
@per_mac
@sms_per_address
def request_code():
    """Step 1: the phone number; a code goes out when it has an account (the answer is the same anyway),
    within the same SMS limits as registration and reset."""
    return request_code_page(
        data_rights.PURPOSE,
        "splash/my_data.html",
        "mydata.act",
        PhoneForm(),
        lambda db, form, now, sender, city, rules: {
            "phone": data_rights.request_code(db, form.phone.data, now, sender, city, rules)
        },
    )


@bp.route("/my-data/verify", methods=["GET", "POST"])
@per_ip
@per_mac
def act():
    """Step 2: the SMS code and what to do: download the data, or delete the account (ticked to confirm)."""
    pending = session.get(PENDING) or {}
    if pending.get("purpose") != data_rights.PURPOSE:
        return redirect(url_for(".request_code"))
    phone = pending["phone"]
    message, place = None, place_name(current_nas())
    form = SmsCodeForm()
    if request.method == "POST" and not form.validate():
        message = form.first_error()
    elif request.method == "POST":
        db, now, action = extensions.db(), utcnow(), request.form.get("action")
        try:
            if action == "download":
                document = data_rights.export(db, phone, form.code.data, now, ip=request.remote_addr)
                session.pop(PENDING, None)
                return Response(
                    json.dumps(document, indent=2, default=str),
                    mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-wifi-data.json"'},
                )
            if action == "delete" and request.form.get("confirm") == "yes":
                data_rights.delete_account(
                    db, extensions.settings().secret_key, phone, form.code.data, now, ip=request.remote_addr
                )
                session.pop(PENDING, None)
                return render_template("splash/my_data.html", step="deleted", place=place)
            message = _("Centang kotak konfirmasi untuk menghapus akun.")
        except CitizenError as exc:
            message = refusal_message(exc.reason, None, now)
    return render_template(
        "splash/my_data.html", step="code", message=message, phone=phone, place=place
    ), 400 if message else 200
