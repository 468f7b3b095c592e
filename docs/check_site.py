"""Look at the built documentation the way a reader does: in a real headless browser, offline.

Usage (after ``make docs``; ``make docs-check`` does both)::

    python docs/check_site.py [--site docs/_build/html] [--out docs/_build/screenshots]

The script serves the built site on a localhost port, opens every page in headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, driven through Selenium) with no network beyond
localhost, and checks on each page what the browser actually shows:

* **math renders**: every ``\\(...\\)`` / ``\\[...\\]`` and ``$$...$$`` that Sphinx wrote is typeset by
  MathJax (one ``mjx-container`` per formula, no MathJax error nodes) and no raw LaTeX delimiter is
  left in the visible text;
* **images load**: every ``<img>`` finished loading with a non-zero natural width;
* **scripts and styles load**: no request for a page resource failed (the browser's own log);
* **tables** that Sphinx wrote are in the DOM with rows;
* **internal links resolve**: every local ``href`` points at a page of the site and, when it names an
  anchor, at an element with that id on that page.

It saves full-page screenshots of the landing page, one tutorial and one theory note. ``make
docs-check`` also runs ``sphinx -b linkcheck`` with external addresses skipped (no network here),
which checks the local file links of the sources.

Exit status 0 when every page passes; otherwise each failure is printed with its page.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import pathlib
import shutil
import sys
import threading

SCREENSHOTS = {
    "landing": "index.html",
    "tutorial": "tutorials/optimal_transport.html",
    "theory": "theory/transport.html",
}

#: JavaScript run in each page once MathJax has finished: what the reader sees, as numbers.
_INSPECT = r"""
const done = arguments[arguments.length - 1];
const proseText = () => {  // visible text outside code, scripts and typeset math
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'MJX-CONTAINER', 'TEXTAREA']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => {
      for (let e = n.parentElement; e; e = e.parentElement) { if (skip.has(e.tagName)) return NodeFilter.FILTER_REJECT; }
      return NodeFilter.FILTER_ACCEPT;
    }});
  let out = '';
  while (walker.nextNode()) out += walker.currentNode.nodeValue + ' ';
  return out;
};
const report = () => {
  const text = document.body.innerText;
  const prose = proseText();
  const mathNodes = document.querySelectorAll('.math, span.math, div.math');
  const imgs = Array.from(document.images).map(i => ({src: i.getAttribute('src'),
                                                      ok: i.complete && i.naturalWidth > 0}));
  const tables = Array.from(document.querySelectorAll('article table')).map(t => t.rows.length);
  done({
    mathjax: typeof window.MathJax !== 'undefined' && !!window.MathJax.startup,
    mathSource: mathNodes.length,
    typeset: document.querySelectorAll('mjx-container').length,
    mathErrors: Array.from(document.querySelectorAll('mjx-merror')).map(
      e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 160)),
    rawLatex: (text.match(/\\\(|\\\[|\$\$|\\begin\{/g) || []).length,
    // TeX that escaped the math parser: a $ followed by a command, or a bare command in prose
    strayTex: (prose.match(/\$[^$]{0,120}?\\[A-Za-z]+|\\(?:mathrm|frac|langle|rangle|varepsilon|sqrt|times|sum|le|ge|alpha|beta|gamma|Delta)\b/g) || []).slice(0, 3),
    controlChars: /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(prose),
    images: imgs,
    tables: tables,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))
             .filter(h => !/^(https?:|mailto:|tel:|javascript:)/.test(h)),
  });
};
// MathJax loads deferred: the load event fires once every script has run (or failed to load), so
// then either MathJax has started (wait for its typesetting) or it never will (report what is there).
const wait = () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(report, report);
  } else { report(); }
};
if (document.readyState === 'complete') { wait(); } else { window.addEventListener('load', wait); }
"""


def _serve(root: pathlib.Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the browser's log says what failed; the server stays quiet
        pass


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        raise SystemExit("check_site: needs Debian's chromium and chromium-driver "
                         "(apt-get install -y chromium chromium-driver; `make docs-check` does it)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", "--hide-scrollbars"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_script_timeout(600)  # a guard against a page that never finishes, not a speed limit
    return driver


def _full_page_screenshot(driver, path: pathlib.Path) -> None:
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 12000)")
    driver.set_window_size(1280, max(900, int(height)))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)


def _broken_links(site: pathlib.Path, rel: str, links) -> list[str]:
    """Local links of page ``rel`` whose target page or anchor does not exist in the built site."""
    from urllib.parse import unquote, urlsplit

    out, here = [], (site / rel).parent
    for href in sorted(set(links)):
        parts = urlsplit(href)
        target = (here / unquote(parts.path)).resolve() if parts.path else (site / rel).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or site not in target.parents:
            out.append(f"broken link: {href} (no such page)")
            continue
        if parts.fragment and target.suffix == ".html":
            ids = _ids(target)
            if unquote(parts.fragment) not in ids:
                out.append(f"broken link: {href} (no anchor #{parts.fragment} on {target.relative_to(site)})")
    return out


@functools.lru_cache(maxsize=None)
def _ids(page: pathlib.Path) -> frozenset:
    import re

    return frozenset(re.findall(r'\bid="([^"]+)"', page.read_text(errors="replace")))


def check_page(driver, base: str, rel: str, site: pathlib.Path | None = None) -> list[str]:
    """Open one page; the list of problems a reader would see (empty when it renders fully)."""
    driver.get(f"{base}/{rel}")
    seen = driver.execute_async_script(_INSPECT)
    problems = []
    if seen["mathSource"] and not seen["mathjax"]:
        problems.append(f"{seen['mathSource']} formula(s) but MathJax did not load")
    if seen["mathSource"] and seen["typeset"] < seen["mathSource"]:
        problems.append(f"{seen['mathSource']} formula(s) in the source, {seen['typeset']} typeset")
    for error in seen["mathErrors"]:
        problems.append(f"MathJax could not typeset a formula: {error}")
    if seen["rawLatex"]:
        problems.append(f"{seen['rawLatex']} raw LaTeX delimiter(s) visible in the text")
    for snippet in seen["strayTex"]:
        problems.append(f"TeX outside math (a formula the Markdown did not parse): {snippet!r}")
    if seen["controlChars"]:
        problems.append("control characters in the text (a backslash escape eaten on the way, e.g. '\\v' in '\\varepsilon')")
    for img in seen["images"]:
        if not img["ok"]:
            problems.append(f"image did not load: {img['src']}")
    if any(rows == 0 for rows in seen["tables"]):
        problems.append("a table with no rows")
    if site is not None:
        problems += _broken_links(site, rel, seen["links"])
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if entry.get("level") == "SEVERE" and "favicon" not in message:
            problems.append(f"browser error: {message[:200]}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", default="docs/_build/html", type=pathlib.Path)
    parser.add_argument("--out", default="docs/_build/screenshots", type=pathlib.Path)
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").exists():
        raise SystemExit(f"check_site: no built site at {site} (run `make docs` first)")
    args.out.mkdir(parents=True, exist_ok=True)
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                   if not any(part.startswith("_") for part in p.relative_to(site).parts))

    server = _serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    failures = 0
    with contextlib.closing(_browser()) as driver:
        driver.close = driver.quit  # contextlib.closing calls close(); quit also stops chromedriver
        for rel in pages:
            problems = check_page(driver, base, rel, site)
            failures += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '}  {rel}")
            for p in problems:
                print(f"        {p}")
        for name, rel in SCREENSHOTS.items():
            driver.get(f"{base}/{rel}")
            driver.execute_async_script(_INSPECT)  # wait for MathJax before the picture
            _full_page_screenshot(driver, args.out / f"{name}.png")
            print(f"screenshot  {args.out / (name + '.png')}  ({rel})")
    server.shutdown()
    print(f"{len(pages) - failures} of {len(pages)} pages render fully")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
