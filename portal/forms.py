"""Forms as classes (Flask-WTF): what a person may type into each form, and the error they see.

Too long is an error shown to the person, never a silent cut. Messages are the
catalog's (Indonesian msgids, English in portal/translations/en). CSRF is
checked for every POST by CSRFProtect before a view runs, so the forms do not
check it a second time.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, PasswordField, StringField, validators

from hotspot.validation import ValidationError


class Form(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has already refused a POST without its token

    def first_error(self) -> str | None:
        """The message to show: the first field's first error, in form order."""
        return next((field.errors[0] for field in self if field.errors), None)

    def checked(self):
        """This form once valid; raises the services' ValidationError with the first error when not."""
        if not self.validate():
            raise ValidationError(self.first_error())
        return self


def at_most(limit: int):
    """A validator: no more than `limit` characters."""

    def check(form, field):
        if len(field.data or "") > limit:
            raise validators.ValidationError(
                gettext(
                    "%(field)s terlalu panjang: paling banyak %(max)d karakter.",
                    field=field.label.text,
                    max=limit,
                )
            )

    return check


def text_field(label, limit: int) -> StringField:
    """Text of at most `limit` characters; empty when the browser did not send the field."""
    return StringField(label, [at_most(limit)], default="")


class _Converted:
    """A typed field: empty is None, anything else must convert, or the error names the field."""

    convert = staticmethod(str)
    message = ""

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = self.convert(text)
            except ValueError as exc:
                raise ValueError(self.message % {"field": self.label.text}) from exc


class WholeNumberField(_Converted, IntegerField):
    convert = staticmethod(int)
    message = _("%(field)s harus bilangan bulat")


class NumberField(_Converted, FloatField):
    """A decimal number (a coordinate)."""

    convert = staticmethod(float)
    message = _("%(field)s harus berupa angka")


def phone_field():
    return text_field(_("Nomor HP"), 32)


def password_field():
    return PasswordField(_("Kata sandi"), [at_most(128)], default="")


class AccountLoginForm(Form):
    phone = phone_field()
    password = password_field()


class VoucherForm(Form):
    code = text_field(_("Kode voucher"), 64)


class RegisterForm(Form):
    phone = phone_field()
    password = password_field()


class PhoneForm(Form):
    phone = phone_field()


class SmsCodeForm(Form):
    code = text_field(_("Kode SMS"), 16)


class NewPasswordForm(SmsCodeForm):
    password = password_field()
