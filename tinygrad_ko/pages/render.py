"""The pages' one renderer: HTML, CSS and JS files under ``pages/templates/``, filled with escaped values.

A template marks each field as ``{{name}}``.  What fills it is escaped for where it goes:
text is HTML-escaped (:func:`html.escape`, quotes too), :class:`Json` is data for a
``<script type="application/json">`` element (``<`` written ``\\u003c``, so no text can
close the element), :class:`Code` is the text of a ``<script>`` or ``<style>`` element
(refused if it could close that element), and :class:`Html` is markup this renderer made.

>>> str(render_text("<b>{{x}}</b> {{d}}", x="a < b", d=Json({"s": "</script>"})))
'<b>a &lt; b</b> {"s": "\\\\u003c/script>"}'
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Code", "Html", "Json", "page_words", "render", "render_text", "template"]

_FIELD = re.compile(r"\{\{(\w+)\}\}")


class Html(str):
    """Markup made by :func:`render`: inserted as it is."""

    __slots__ = ()


@dataclass(frozen=True)
class Json:
    """Data for a JSON script element."""

    value: Any


@dataclass(frozen=True)
class Code:
    """The source of a ``<script>`` (``element="script"``) or ``<style>`` element."""

    source: str
    element: str = "script"


def template(name: str) -> str:
    """The text of the template file ``name`` (``"steps.html"``, ``"runtime.js"``), read from the package."""
    return resources.files(__package__).joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _escaped(name: str, value: Any) -> str:
    if isinstance(value, Html):
        return str(value)
    if isinstance(value, Json):
        return json.dumps(value.value, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    if isinstance(value, Code):
        if re.search(rf"</{value.element}|<!--", value.source, re.IGNORECASE):
            raise ValueError(f"the {value.element} for {{{{{name}}}}} would end its element early")
        return value.source
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{{{{{name}}}}}: a page field takes text, a number, Json, Code or Html, not {value!r}")
    return html.escape(str(value), quote=True)


def render_text(text: str, /, **fields: Any) -> Html:
    """``text`` with every ``{{name}}`` replaced by ``fields[name]``, escaped; every field must be used."""
    used = set(_FIELD.findall(text))
    if used != set(fields):
        raise KeyError(f"fields {sorted(used ^ set(fields))} are not both in the template and given")
    return Html(_FIELD.sub(lambda match: _escaped(match[1], fields[match[1]]), text))


def render(name: str, /, **fields: Any) -> Html:
    """The template file ``name`` rendered with ``fields`` (see :func:`render_text`)."""
    return render_text(template(name), **fields)


def page_words(lang: str, prefixes: tuple[str, ...]) -> dict[str, Any]:
    """The catalog subset a page's script reads (ids starting with ``prefixes``), with the particle rule's tables."""
    from ..messages import catalog
    from ..messages.catalogs import (
        _CONSONANT_DIGITS,
        _CONSONANT_LETTERS,
        _PARTICLES,
        _RIEUL_DIGITS,
        _SILENT_END,
        particle,
    )

    messages = {key: value for key, value in catalog(lang).items() if key.startswith(prefixes)}
    particles = {"pairs": {pair: list(forms) for pair, forms in _PARTICLES.items()},
                 "consonantDigits": _CONSONANT_DIGITS, "rieulDigits": "".join(sorted(_RIEUL_DIGITS)),
                 "consonantLetters": "".join(sorted(_CONSONANT_LETTERS)), "silentEnd": _SILENT_END,
                 # The pairs that take the after-vowel form after a final l (read from the rule).
                 "rieulPairs": [pair for pair in _PARTICLES if particle("l", pair) != particle("m", pair)]}
    return {"messages": messages, "particles": particles}


def page(name: str, *, lang: str, title: str, words: dict[str, Any], ops: str, modes: tuple[str, ...] = (),
         **fields: Any) -> Html:
    """A whole page: the shared head and scripts around the template ``name``.html (``name``.css, ``name``.js).

    Each of ``modes`` (``("quiz",)``) adds its ``mode``.css and ``mode``.js after the page's own:
    a mode of a page (the step page's quiz) changes what the page does, in files of its own.
    """
    styles = Code(template("common.css") + "".join(template(f"{part}.css") for part in (name, *modes)), "style")
    head = render("head.html", lang=lang, title=title, styles=styles)
    scripts = render("scripts.html", words=Json(words), ops=Code(ops), runtime=Code(template("runtime.js")),
                     script=Code("".join(template(f"{part}.js") for part in (name, *modes))))
    return render(f"{name}.html", head=head, scripts=scripts, title=title, **fields)
