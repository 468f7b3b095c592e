"""The browser check of the built documentation (docs/check_site.py), run in real headless Chromium
against a small site written by the test: a page that renders fully must pass, and each kind of
breakage a reader would see (raw LaTeX, TeX errors, a missing image, a broken link or anchor) must be
reported. The full site is checked by ``make docs-check``."""

import importlib.util
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("chromedriver") is None
    or importlib.util.find_spec("selenium") is None,
    reason="needs Debian's chromium and chromium-driver (the Makefile's test target installs them) and selenium",
)


def _check_site_module():
    spec = importlib.util.spec_from_file_location("check_site", ROOT / "docs" / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mathjax_dir():
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None:
        pytest.skip("sphinx-mathjax-offline is not installed (docs extra)")
    return pathlib.Path(spec.origin).parent / "static" / "mathjax"


PAGE = """<!doctype html><html><head><meta charset="utf-8">{head}</head>
<body><article id="top">{body}</article></body></html>"""
MATHJAX = '<script defer src="{prefix}_static/mathjax/tex-chtml.js"></script>'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(_mathjax_dir(), root / "_static" / "mathjax")
    (root / "sub").mkdir()
    (root / "img.png").write_bytes(_png())
    good = PAGE.format(head=MATHJAX.format(prefix=""), body=(
        '<p>Inline <span class="math notranslate nohighlight">\\(a^2 + b^2\\)</span>.</p>'
        '<div class="math notranslate nohighlight">\\[\\int_0^1 x\\, dx = \\tfrac12 \\tag{1}\\]</div>'
        '<img src="img.png" alt="pixel"><table><tr><td>1</td></tr></table>'
        '<a href="sub/other.html#there">there</a> <a href="#top">top</a> <a href="https://example.org">out</a>'))
    (root / "good.html").write_text(good)
    (root / "sub" / "other.html").write_text(PAGE.format(head="", body='<p id="there">target</p>'))
    bad = PAGE.format(head=MATHJAX.format(prefix=""), body=(
        '<div class="math notranslate nohighlight">\\[\\begin{split} a \\tag{2} \\\\ b \\end{split}\\]</div>'
        '<img src="missing.png" alt="gone">'
        '<a href="nowhere.html">dead</a> <a href="sub/other.html#elsewhere">dead anchor</a>'
        '<p>$\\langle C, P_\x0barepsilon$ in a table cell the Markdown did not parse</p>'))
    (root / "bad.html").write_text(bad)
    raw = PAGE.format(head="", body='<div class="math notranslate nohighlight">\\[\\min_{P \\ge 0} x\\]</div>')
    (root / "raw.html").write_text(raw)
    return root


def _png():
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def browser(site):
    check_site = _check_site_module()
    server = check_site._serve(site)
    driver = check_site._browser()
    yield check_site, driver, f"http://127.0.0.1:{server.server_address[1]}"
    driver.quit()
    server.shutdown()


def test_a_page_that_renders_fully_passes(browser, site):
    check_site, driver, base = browser
    assert check_site.check_page(driver, base, "good.html", site) == []


def test_what_a_reader_would_see_broken_is_reported(browser, site):
    check_site, driver, base = browser
    problems = check_site.check_page(driver, base, "bad.html", site)
    text = "\n".join(problems)
    assert "MathJax could not typeset a formula" in text and "tag not allowed" in text  # the split + \tag bug
    assert "image did not load: missing.png" in text
    assert "broken link: nowhere.html (no such page)" in text
    assert "broken link: sub/other.html#elsewhere (no anchor #elsewhere" in text
    assert "TeX outside math" in text and "control characters in the text" in text  # seen on a theory note


def test_formulas_without_mathjax_show_as_raw_latex_and_are_reported(browser, site):
    check_site, driver, base = browser
    problems = check_site.check_page(driver, base, "raw.html", site)
    assert any("raw LaTeX" in p for p in problems)
