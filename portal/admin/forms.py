"""The console's forms for plans and routers (NAS): fields, labels and limits in one place each.

The services check what the database needs (a unique name, a valid range);
these classes turn what the admin typed into values, with an error the admin
sees for text too long or a number that is not one.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import BooleanField, SelectField

from hotspot.models import NAS_VENDORS
from hotspot.services.ap_groups import GroupSpec
from hotspot.services.nas import NasSpec
from hotspot.services.plans import PlanSpec
from portal.forms import Form, NumberField, WholeNumberField, text_field

LIMIT_FIELDS = (
    "session_minutes",
    "daily_minutes",
    "daily_mb",
    "down_kbps",
    "up_kbps",
    "valid_days",
    "throttle_kbps",
    "max_sessions",
)
NUMBER_FIELDS = (*LIMIT_FIELDS, "idle_timeout_seconds", "interim_interval_seconds", "random_mac_limit")


class PlanForm(Form):
    name = text_field(_("Nama"), 64)
    session_minutes = WholeNumberField(_("Menit per sesi"))
    daily_minutes = WholeNumberField(_("Menit per hari"))
    daily_mb = WholeNumberField(_("MB per hari"))
    down_kbps = WholeNumberField(_("Unduh kbit/s"))
    up_kbps = WholeNumberField(_("Unggah kbit/s"))
    valid_days = WholeNumberField(_("Berlaku (hari)"))
    throttle_kbps = WholeNumberField(_("Diperlambat ke kbit/s"))
    max_sessions = WholeNumberField(_("Sesi sekaligus"))
    idle_timeout_seconds = WholeNumberField(_("Batas diam (detik)"))
    interim_interval_seconds = WholeNumberField(_("Interval interim (detik)"))
    random_mac_limit = WholeNumberField(
        _("Batas MAC acak per lokasi per hari (paket gratis; lebih dari itu diminta login dengan nomor HP)")
    )
    free_access = BooleanField(_("Paket gratis sekali klik"))
    mac_relogin = BooleanField(_("Login ulang di hari yang sama lewat MAC"))

    def spec(self) -> PlanSpec:
        """The plan the admin typed; ValidationError with the first error when the form is not valid."""
        self.checked()
        numbers = {name: self[name].data for name in NUMBER_FIELDS if self[name].data is not None}
        return PlanSpec(
            name=self.name.data,
            free_access=self.free_access.data,
            mac_relogin=self.mac_relogin.data,
            **numbers,
        )


class NasForm(Form):
    name = text_field(_("Nama"), 64)
    ip_range = text_field(_("IP sumber atau CIDR paket RADIUS-nya"), 64)
    secret = text_field(_("Shared secret (kosong: dibuatkan yang kuat)"), 128)
    vendor = SelectField(_("Vendor"), choices=NAS_VENDORS, default="generic", validate_choice=False)
    identifier = text_field(_("Identitas (identity MikroTik / NAS-Identifier / nasid Chilli)"), 128)
    location_name = text_field(_("Lokasi"), 128)
    latitude = NumberField(_("Lintang"))
    longitude = NumberField(_("Bujur"))
    login_host = text_field(
        _(
            "Alamat login router (nama DNS hotspot atau IP gateway; kosong: MikroTik "
            "10.5.50.1, Chilli 10.1.0.1)"
        ),
        255,
    )
    uam_secret = text_field(_("uamsecret CoovaChilli"), 128)
    require_message_authenticator = BooleanField()

    def spec(self, secret: str) -> NasSpec:
        """The router the admin typed, with `secret`; ValidationError with the first error when not valid."""
        self.checked()
        return NasSpec(
            name=self.name.data,
            ip_range=self.ip_range.data,
            secret=secret,
            vendor=self.vendor.data,
            location_name=self.location_name.data.strip(),
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            require_message_authenticator=self.require_message_authenticator.data,
            uam_secret=self.uam_secret.data.strip() or None,
            login_host=self.login_host.data.strip() or None,
            identifier=self.identifier.data.strip() or None,
        )


class AccessPointForm(Form):
    name = text_field(_("Nama"), 64)
    location = text_field(_("Lokasi"), 128)
    latitude = NumberField(_("Lintang"))
    longitude = NumberField(_("Bujur"))


class VoucherBatchForm(Form):
    plan = text_field(_("Paket"), 64)
    count = WholeNumberField(_("Jumlah"))
    batch = text_field(_("Label kelompok (opsional)"), 64)


class GroupForm(Form):
    name = text_field(_("Nama grup"), 64)
    free_plan = text_field(_("Paket gratis grup"), 64)
    opening_hours = text_field(_("Jam buka (waktu setempat, kosong: selalu buka)"), 255)
    splash_text = text_field(_("Teks halaman login (Indonesia)"), 2000)
    splash_text_en = text_field(_("Teks halaman login (Inggris)"), 2000)

    def spec(self) -> GroupSpec:
        """The group the admin typed; ValidationError with the first error when the form is not valid."""
        self.checked()
        return GroupSpec(
            name=self.name.data,
            free_plan=self.free_plan.data or None,
            opening_hours=self.opening_hours.data,
            splash_text=self.splash_text.data,
            splash_text_en=self.splash_text_en.data,
        )
