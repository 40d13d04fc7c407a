"""The console language test's scanners find what they must and leave machine text alone."""

from __future__ import annotations

import jinja2
import pytest

from tests.support.console_language import (
    english_only_words,
    service_messages,
    untranslated_in_python,
    untranslated_in_template,
    visible_texts,
    words,
)

ENV = jinja2.Environment(extensions=["jinja2.ext.i18n"])


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<h1>Sessions</h1>", ["Sessions"]),
        ('<button title="Remove">{{ _("Hapus") }}</button>', ["Remove"]),
        ("<td>{{ 'blocked' if d.blocked else _('normal') }}</td>", ["blocked"]),
        ("<td>{{ x or 'never' }}</td>", ["never"]),
        ("<h2>{{ 'Edit ' ~ name }}</h2>", ["Edit "]),
        ('{% set labels = {"up": "up", "down": _("mati")} %}', ["up"]),
        ("<p>Go to {{ _('halaman') }}</p>", ["Go to"]),
    ],
)
def test_text_outside_the_catalog_is_found(source, found):
    assert untranslated_in_template(ENV, source) == found


@pytest.mark.parametrize(
    "source",
    [
        '<td class="{{ \'online\' if up else \'offline\' }}">{{ _("online") if up else _("offline") }}</td>',
        "<a href=\"{{ url_for('admin.nas.index', status='active') }}\">{{ _('Daftar') }}</a>",
        "<pre>{{ text }}</pre><code>Authorization: Bearer TOKEN</code><style>@page { size: A4 }</style>",
        "<td>{{ s.status|label }}</td><td>{{ '—' }}</td><td>{{ '%.4f, %.4f'|format(a, b) }}</td> · » |",
        '<input name="batch" placeholder="Festival 2026">'
        "<option {% if x %}selected{% endif %}>{{ n }}</option>",
    ],
)
def test_translated_and_machine_text_passes(source):
    assert untranslated_in_template(ENV, source) == []


def test_python_messages_outside_the_catalog_are_found():
    source = """
flash("Saved.", "info")
flash(f"Saved {name}.", "info")
flash(_("%(name)s disimpan.", name=name), "info")
flash(explain(exc), "error")
raise ValidationError(f"{name} must be a number")
raise ValidationError(_("%(field)s harus berupa angka", field=name))
chart = charts.bar_chart("Traffic", labels, values)
"""
    assert untranslated_in_python(source) == [
        "line 2: 'Saved.'",
        "line 3: f'Saved {name}.'",
        "line 6: f'{name} must be a number'",
        "line 8: 'Traffic'",
    ]


def test_page_text_leaves_out_the_other_language_and_machine_text():
    html = (
        '<html lang="id"><body><h1>Voucher</h1><div><span lang="id">Ketik kode</span> / '
        '<span lang="en">Type the <b>code</b><br>here</span></div><pre>secret=abc</pre>'
        '<a aria-label="Bahasa">id</a></body></html>'
    )
    assert visible_texts(html) == ["Voucher", "Ketik kode", "/", "Bahasa", "id"]


def test_english_only_words_skip_words_indonesian_also_uses():
    entries = {"Sesi": "Sessions", "Voucher %(name)s": "Voucher %(name)s", "Sesi online": "Online sessions"}
    assert english_only_words(entries) == {"sessions"}
    assert words(["Kode user1 nas.add User-Request dan Sessions"]) == {"kode", "dan", "sessions"}


def test_service_messages_are_read_with_their_values_as_placeholders():
    source = 'raise ValidationError(f"not a MAC address: {value!r}")\nSignIn(None, "Wrong name or password.")'
    assert service_messages(source) == ["not a MAC address: {}", "Wrong name or password."]
