"""Finding console text left in one language: in templates, in Python, in rendered pages, in the catalog.

The console's message ids are Indonesian and English is the translation in
portal/translations/en. Four independent nets, each able to fail on its own:
template text outside `_()`, a Python message outside `_()`, a catalog entry
without English, and English words on a page served in Indonesian.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_TEMPLATES = ROOT / "portal" / "templates" / "admin"
CONSOLE_CODE = ROOT / "portal" / "admin"
CATALOG = ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOG.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "both_languages": None}
TRANSLATING_CALLS = {"_", "gettext", "ngettext", "pgettext", "both_languages"}
TRANSLATING_FILTERS = {"label", "yes_no"}
# Elements whose text is machine text (router configuration, tokens, CSS, scripts), never translated.
MACHINE_TEXT = {"script", "style", "pre", "code"}
SHOWN_ATTRIBUTES = {"title", "aria-label", "alt"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PLACEHOLDER = "\ue002"
FORMAT = re.compile(r"%(\(\w+\))?[-#0 +]*\d*(\.\d+)?[sdif]")


def has_words(text: str) -> bool:
    """Letters left once placeholders and printf formats are gone: something a reader would read."""
    return bool(re.search(r"[^\W\d_]", FORMAT.sub("", text.replace(PLACEHOLDER, ""))))


class TextNodes(HTMLParser):
    """Text a reader sees in the page's language (and the attributes a screen reader speaks).

    Machine text is left out, and so is an element marked as another language (`<span lang="en">` on a
    page in `id`): the voucher card's deliberate English half.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._machine = 0
        self._language: str | None = None
        self._foreign: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self._language = attributes.get("lang")
        elif (attributes.get("lang") not in (None, self._language) or self._foreign) and tag not in VOID:
            self._foreign.append(tag)
        if tag in MACHINE_TEXT:
            self._machine += 1
        if not self._foreign:
            self.texts.extend(value for name, value in attrs if name in SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in MACHINE_TEXT and self._machine:
            self._machine -= 1
        if self._foreign and self._foreign[-1] == tag:
            self._foreign.pop()

    def handle_data(self, data):
        if not self._machine and not self._foreign and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = TextNodes()
    parser.feed(html)
    parser.close()
    return parser.texts


JINJA = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.S)
MARK = re.compile("\ue000(\\d+)\ue001")


def _template_skeleton(source: str) -> tuple[str, list[str]]:
    """The template's own markup, each {{ expression }} replaced by a numbered mark, each tag by a
    placeholder."""
    parts, expressions = [], []
    for piece in JINJA.split(source):
        if piece.startswith("{{"):
            parts.append(f"\ue000{len(expressions)}\ue001")
            expressions.append(piece[2:-2].strip("-+ \n"))
        elif piece.startswith(("{%", "{#")):
            parts.append(PLACEHOLDER)
        else:
            parts.append(piece)
    return "".join(parts), expressions


def _shown_constants(node: nodes.Node):
    """String constants an output expression prints as they are (not keys, URLs or comparisons)."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, nodes.CondExpr):
        yield from _shown_constants(node.expr1)
        if node.expr2 is not None:
            yield from _shown_constants(node.expr2)
    elif isinstance(node, nodes.Concat):
        for child in node.nodes:
            yield from _shown_constants(child)
    elif isinstance(node, (nodes.Add, nodes.Or, nodes.And)):
        yield from _shown_constants(node.left)
        yield from _shown_constants(node.right)
    elif isinstance(node, nodes.Filter) and node.name not in TRANSLATING_FILTERS:
        if node.node is not None:
            yield from _shown_constants(node.node)
        if node.name == "default":
            for arg in node.args:
                yield from _shown_constants(arg)
    elif isinstance(node, (nodes.Dict, nodes.List, nodes.Tuple)):
        for child in node.items:
            yield from _shown_constants(child.value if isinstance(child, nodes.Pair) else child)


def untranslated_in_template(env: Environment, source: str) -> list[str]:
    """Text of a template that reaches the page without passing through the catalog.

    Static markup text, and string constants of the {{ expressions }} that stand in text or in a spoken
    attribute (a constant in `class="..."` or in a URL is not read by anyone).
    """
    skeleton, expressions = _template_skeleton(source)
    texts = visible_texts(skeleton)
    found = [MARK.sub("", text).strip() for text in texts if has_words(MARK.sub("", text))]
    shown = {int(number) for text in texts for number in MARK.findall(text)}
    for number in sorted(shown):
        output = env.parse("{{ " + expressions[number] + " }}").find(nodes.Output)
        found.extend(value for child in output.nodes for value in _shown_constants(child) if has_words(value))
    for assign in env.parse(source).find_all(nodes.Assign):
        if isinstance(assign.node, (nodes.Dict, nodes.List, nodes.Tuple)):
            found.extend(value for value in _shown_constants(assign.node) if has_words(value))
    return found


def console_templates() -> list[Path]:
    return sorted(CONSOLE_TEMPLATES.rglob("*.html"))


# Calls whose first argument is text for the admin: it must be `_(...)`, never a literal or an f-string.
MESSAGE_CALLS = {"flash", "bar_chart", "ValidationError"}


def untranslated_in_python(source: str) -> list[str]:
    """Literal messages handed to flash(), chart titles or console validation errors."""
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name not in MESSAGE_CALLS:
            continue
        first = call.args[0]
        for part in ast.walk(first):
            if isinstance(part, ast.Call) and getattr(part.func, "id", "") in TRANSLATING_CALLS:
                break
        else:
            if isinstance(first, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                found.append(f"line {call.lineno}: {ast.unparse(first)}")
    return found


def _entries(messages) -> dict[str, str | tuple]:
    """msgid (the singular for plurals) -> English (a tuple of forms for plurals)."""
    return {
        message.id if isinstance(message.id, str) else message.id[0]: message.string
        if isinstance(message.string, str)
        else tuple(message.string)
        for message in messages
        if message.id
    }


def catalog() -> dict[str, str | tuple]:
    with CATALOG.open("rb") as handle:
        return _entries(read_po(handle))


def compiled_catalog() -> dict[str, str | tuple]:
    with COMPILED.open("rb") as handle:
        return _entries(read_mo(handle))


def extracted_msgids(directory: Path, method_map: list[tuple[str, str]]) -> dict[str, str]:
    """Every msgid pybabel finds under a directory, with the file it came from."""
    found = {}
    for filename, _, message, _, _ in extract_from_dir(str(directory), method_map, keywords=KEYWORDS):
        found[message if isinstance(message, str) else message[0]] = filename
    return found


def words(texts: list[str]) -> set[str]:
    """Plain words, lower case; tokens with digits, dots or dashes are identifiers and data, not prose."""
    return {
        token.lower()
        for text in texts
        for token in re.findall(r"[\w.:/@'-]+", text)
        if re.fullmatch(r"[^\W\d_]+", token)
    }


def english_only_words(entries: dict[str, str | tuple]) -> set[str]:
    """Words of the English translations that no Indonesian message id uses (so: words a page in id lacks)."""
    english = [
        text for value in entries.values() for text in (value if isinstance(value, tuple) else [value])
    ]
    return words([FORMAT.sub("", text) for text in english]) - words([FORMAT.sub("", key) for key in entries])


SERVICES = ROOT / "hotspot"
SERVICE_MESSAGE_CALLS = {"ValidationError", "SignIn"}


def _canonical(node: ast.expr) -> str | None:
    """A message argument with each interpolated value as `{}`; None when it is not literal text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def service_messages(source: str) -> list[str]:
    """The English messages a service module hands to ValidationError or SignIn, values as `{}`."""
    found = []
    for call in ast.walk(ast.parse(source)):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") in SERVICE_MESSAGE_CALLS:
            found.extend(text for arg in call.args if (text := _canonical(arg)) is not None)
    return found


def canonical_template(msgid: str) -> str:
    return re.sub(r"%\(\w+\)s", "{}", msgid)
