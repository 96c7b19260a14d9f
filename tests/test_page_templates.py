"""The pages as files: the templates, the one renderer that escapes what it inserts, the words
from the catalog (the JS formatter's Korean particles agree with Python's), and ESLint."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tinygrad_ko import Value, write_steps
from tinygrad_ko.messages import catalog, particle
from tinygrad_ko.messages.catalogs import _FORMATTER, _PARTICLES, format_message
from tinygrad_ko.pages.render import Code, Html, Json, render_text, template

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tinygrad_ko" / "pages"


def test_the_renderer_escapes_what_it_inserts() -> None:
    out = render_text('<p title="{{t}}">{{t}}</p><script type="application/json">{{d}}</script>{{h}}',
                      t='<"a" & b>', d=Json({"s": "</script><!--"}), h=Html("<i>made here</i>"))
    assert out == ('<p title="&lt;&quot;a&quot; &amp; b&gt;">&lt;&quot;a&quot; &amp; b&gt;</p>'
                   '<script type="application/json">{"s": "\\u003c/script>\\u003c!--"}</script><i>made here</i>')
    with pytest.raises(ValueError, match="end its element early"):
        render_text("<script>{{c}}</script>", c=Code("let a = '</SCRIPT>';"))
    with pytest.raises(KeyError):
        render_text("{{a}}", b="x")  # a field missing and one too many
    with pytest.raises(TypeError):
        render_text("{{a}}", a=[1])


def test_the_pages_share_their_head_styles_and_runtime() -> None:
    for name in ("steps", "training"):
        page = template(f"{name}.html")
        assert page.startswith("{{head}}") and "{{scripts}}" in page
    assert "function fmt(" in template("runtime.js") and "const K = " in template("runtime.js")


def test_no_javascript_or_css_inside_the_page_modules() -> None:
    for path in sorted(PAGES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for sign in ("function (", "const ", "=> ", "<style", "<script", "{ margin", "<!DOCTYPE"):
                    if sign == "function (" and path.name == "jsops.py":
                        continue  # the op rules, generated as JavaScript functions, are jsops' output
                    assert sign not in node.value or node.value.startswith(("The ", "A ", "``")), (path.name, sign)


def _chromium() -> str:
    chromium = os.environ.get("TINYGRAD_KO_CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).exists(), f"the browser test needs Chromium at {chromium} (Debian: apt install chromium)"
    return chromium


# Words ending in a vowel, a consonant, ㄹ, digits, Latin letters, quotes and brackets.
SAMPLE = ["사과", "귤", "물", "값", "x", "l", "m", "apple", "N", "0", "1", "2", "3", "6", "7", "8", "9", "10",
          "'abc'", "x1", "(y)", "출력 1", "", "노드", "기울기", "1.5e-05"]


def test_the_page_formats_messages_as_python_does(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    x = Value(2.0, label="x")
    path = write_steps(x * x, tmp_path / "words.html", lang="ko", engine="graphviz-pure")
    pairs = list(_PARTICLES)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=["--headless", "--no-sandbox"])
        tab = chromium.new_page()
        tab.goto(path.as_uri())
        shown = tab.evaluate("([words, pairs]) => words.map((w) => pairs.map((p) => particle(w, p)))", [SAMPLE, pairs])
        filled = tab.evaluate("format(CATALOG.messages['engine.div_zero'], {x: '3.0', y: '0.0'})")
        spec = tab.evaluate("format('{a!r:은/는} {b!r} {{c}} {n}', {a: 'x', b: 2.5, n: 3})")
        chromium.close()
    assert shown == [[particle(word, pair) for pair in pairs] for word in SAMPLE]
    assert filled == format_message("engine.div_zero", "ko", x="3.0", y="0.0")
    assert spec == _FORMATTER.format("{a!r:은/는} {b!r} {{c}} {n}", a="x", b=2.5, n=3) == "'x'는 2.5 {c} 3"


@pytest.mark.skipif(shutil.which("npx") is None or not (ROOT / "node_modules" / ".bin" / "eslint").exists(),
                    reason="ESLint is a dev tool from npm: `npm ci` installs it (.ci/run does)")
def test_the_pages_javascript_passes_eslint() -> None:
    done = subprocess.run(["npx", "--no-install", "eslint", "tinygrad_ko/pages/templates"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lang_none_is_the_sessions_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_ko.pages.training import record, training_page

    monkeypatch.setenv("TINYGRAD_KO_LANG", "ko")
    x = Value(2.0, label="x")
    korean = catalog("ko")
    assert f"<title>{korean['pages.steps.title']}</title>" in write_steps(
        x * x, tmp_path / "s.html", engine="graphviz-pure").read_text(encoding="utf-8")
    page = training_page(record("xor", steps=2), engine="graphviz-pure").decode("utf-8")
    assert f"<title>{korean['pages.training.title'].format(dataset='xor')}</title>" in page
    with pytest.raises(ValueError, match=r"^write_steps\(lang=\.\.\.\) must be one of en, ko, got 'fr'$"):
        write_steps(x * x, tmp_path / "s.html", lang="fr")
