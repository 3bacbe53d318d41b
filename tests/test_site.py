"""The book builds as a static website (no execution, no network) whose pages render.

The build is checked on its files; the pages are opened in headless Chromium (Debian's
`chromium` and `chromium-driver`, driven by selenium), served from 127.0.0.1. Without
Chromium those tests skip and say so.
"""

import functools
import http.server
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from convexnn_lab.book import site as site_mod

pytestmark = pytest.mark.slow  # builds the website and opens it in Chromium

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [p.stem for p in site_mod.chapters(ROOT)]
GUIDE = [p.stem for p in site_mod.guide_pages(ROOT)]
BUILD = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    lines = []
    t0 = time.perf_counter()
    site_mod.build(out, root=ROOT, log=lines.append)
    BUILD["seconds"] = time.perf_counter() - t0
    BUILD["log"] = "\n".join(lines)
    return out


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
                    None)
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("headless Chromium not found (needs `chromium` and `chromedriver` on PATH: "
                    "apt-get install chromium chromium-driver); the site's pages were not opened")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _html(site, name):
    return (site / name).read_text()


def _wait(driver, script, what, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))
    except Exception as exc:  # selenium's TimeoutException
        raise AssertionError(f"{what} (waited {timeout} s)") from exc


def _severe(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# ---------------------------------------------------------------- the built files


def test_build_is_quick_and_has_no_warnings(site):
    # CI must stay well under its limit: the build reads stored outputs, executes nothing
    assert BUILD["seconds"] < 120, f"site build took {BUILD['seconds']:.0f} s"
    # a sphinx warning is a broken link, reference or heading in a chapter
    assert "(0 warnings)" in BUILD["log"], BUILD["log"]


def test_chapters_are_in_the_readme_order(site):
    readme = (ROOT / "README.md").read_text()
    # the chapter table ("| 00 The non-convex ..."), not the exercise table ("| 00 | 4 |")
    table = re.findall(r"^\|\s*(\d\d) [A-Z]", readme, flags=re.MULTILINE)
    assert table == [c[:2] for c in CHAPTERS] and len(CHAPTERS) >= 8
    index = _html(site, "index.html")
    main = index[index.index('id="main-content"'):]
    order = list(dict.fromkeys(re.findall(r'href="book/(\d\d_\w+)\.html"', main)))
    assert order == CHAPTERS
    for i, name in enumerate(CHAPTERS):
        page = _html(site, f"book/{name}.html")
        nav = dict(re.findall(r'class="(left-prev|right-next)"\s+href="([^"]+)"', page))
        if i > 0:
            assert nav["left-prev"] == f"{CHAPTERS[i - 1]}.html", name
        if i + 1 < len(CHAPTERS):
            assert nav["right-next"] == f"{CHAPTERS[i + 1]}.html", name


def test_every_chapter_links_its_exercise_page_and_notebook(site):
    linked = 0
    for name in CHAPTERS:
        if not (ROOT / "exercises" / f"ex{name}.ipynb").exists():
            continue
        page = _html(site, f"book/{name}.html")
        assert f'href="../exercises/ex{name}.html"' in page, name
        download = re.search(rf'href="\.\./(_downloads/\w+/ex{name}\.ipynb)"', page)
        assert download and (site / download.group(1)).is_file(), name
        assert (site / "exercises" / f"ex{name}.html").is_file()
        linked += 1
    assert linked == len(CHAPTERS)


def test_index_lists_the_preface_first_and_links_the_reference_pages(site):
    assert GUIDE == ["preface", "cheatsheet", "glossary", "bibliography"]
    index = _html(site, "index.html")
    main = index[index.index('id="main-content"'):]
    pages = list(dict.fromkeys(re.findall(r'href="(book/[\w/]+)\.html"', main)))
    # the body's first link to a page of the book is the preface, before the chapter table
    assert pages[0] == "book/guide/preface", pages
    assert pages.index("book/guide/preface") < pages.index(f"book/{CHAPTERS[0]}")
    for name in ("glossary", "bibliography", "cheatsheet"):
        assert f"book/guide/{name}" in pages, name
    # the sidebar: the preface right after the home page, the reference pages after the chapters
    nav = index[index.index("bd-docs-nav"):index.index('id="main-content"')]
    order = list(dict.fromkeys(re.findall(r'href="(book/[\w/]+)\.html"', nav)))
    assert order[:2] == ["book/guide/preface", f"book/{CHAPTERS[0]}"], order
    assert order[len(CHAPTERS) + 1:len(CHAPTERS) + 4] == [
        "book/guide/cheatsheet", "book/guide/glossary", "book/guide/bibliography"], order
    preface = _html(site, "book/guide/preface.html")
    nav = dict(re.findall(r'class="(left-prev|right-next)"\s+href="([^"]+)"', preface))
    assert nav == {"left-prev": "../../index.html", "right-next": f"../{CHAPTERS[0]}.html"}
    # the preface's roadmap links every chapter
    for name in CHAPTERS:
        assert f'href="../{name}.html"' in preface, name


def test_guide_pages_are_not_chapters():
    # the chapters' globs (site, build, tests) must not pick up the guide pages
    from convexnn_lab.book import build

    guide = {p.resolve() for p in site_mod.guide_pages(ROOT)}
    assert len(guide) == 4 and not set(GUIDE) & set(CHAPTERS)
    for pattern in (*build.SOURCES, "book/[0-9][0-9]_*.md", "book/*.md", "book/*.ipynb"):
        assert not guide & {p.resolve() for p in ROOT.glob(pattern)}, pattern


def test_guide_pages_link_only_to_files_that_exist():
    for page in site_mod.guide_pages(ROOT):
        text = page.read_text()
        links = re.findall(r"\]\(([^)\s]+)\)", text)
        local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:", link)]
        assert links, page.name
        for link in local:
            if link:
                assert (page.parent / link).is_file(), f"{page.name} links {link}"
        for anchor in re.findall(r"\]\(glossary\.md#([\w-]+)\)|\]\(#([\w-]+)\)", text):
            slug = anchor[0] or anchor[1]
            target = (page.parent / "glossary.md") if anchor[0] else page
            headings = re.findall(r"^#+ (.+)$", target.read_text(), flags=re.MULTILINE)
            slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
                     for h in headings}
            assert slug in slugs, f"{page.name} links #{slug}"


def test_guide_pages_survive_opening_and_saving_in_jupyterlab(tmp_path):
    # jupytext's contents manager serves a .md as a notebook; book/guide/jupytext.toml makes
    # a save write the same plain Markdown back, with no header and no paired .ipynb
    jupytext = pytest.importorskip("jupytext")
    shutil.copytree(ROOT / "book", tmp_path / "book",
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    before = {p: p.read_bytes() for p in (tmp_path / "book" / "guide").iterdir()}
    cm = jupytext.TextFileContentsManager(root_dir=str(tmp_path))
    for name in GUIDE:
        path = f"book/guide/{name}.md"
        model = cm.get(path, content=True, type="notebook")
        assert model["content"]["cells"], name
        cm.save({"type": "notebook", "format": "json", "content": model["content"]}, path)
    after = {p: p.read_bytes() for p in (tmp_path / "book" / "guide").iterdir()}
    assert after == before, sorted(str(p.name) for p in set(after) ^ set(before))


def test_pages_load_no_script_or_style_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 2 * len(CHAPTERS)
    for page in pages:
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page.read_text()):
            if tag.startswith("<link") and re.search(r'rel="(next|prev|index|search)"', tag):
                continue
            assert not re.search(r'(src|href)="(https?:)?//', tag), f"{page.name}: {tag}"
    for css in (site / "_static").rglob("*.css"):
        assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", css.read_text()), css
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()


def test_explorers_are_replaced_by_a_note_after_their_static_figure(site):
    notes = 0
    for name in CHAPTERS:
        page = _html(site, f"book/{name}.html")
        assert "widget-view+json" not in page and "embed-amd" not in page, name
        for m in re.finditer(r'class="explorer-note', page):
            section_start = page.rfind("<section", 0, m.start())
            assert "<img " in page[section_start:m.start()], f"{name}: no figure before explorer"
            notes += 1
    assert notes >= 3  # chapters 00, 01 and 02 each have one


# ---------------------------------------------------------------- in the browser


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_renders_in_chromium(browser, server, name):
    browser.get(f"{server}/book/{name}.html")
    _wait(browser, "return window.MathJax && MathJax.startup && MathJax.startup.promise"
          " && document.querySelectorAll('mjx-container').length > 0"
          " && document.querySelectorAll('.math:not(:has(mjx-container))').length == 0",
          f"{name}: MathJax did not typeset every formula")
    assert browser.execute_script("return document.querySelectorAll('mjx-merror').length") == 0
    n_img = _wait(browser, "const imgs = [...document.images];"
                  " return imgs.every(i => i.complete) && imgs.length",
                  f"{name}: images did not finish loading")
    broken = browser.execute_script(
        "return [...document.images].filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
    assert n_img >= 1 and broken == [], f"{name}: broken images {broken}"
    elsewhere = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => !u.startsWith(location.origin))")
    assert elsewhere == [], f"{name}: requested {elsewhere}"
    assert browser.find_elements("css selector", "nav.bd-docs-nav a[href$='.html']")
    links = browser.find_elements("css selector", "a.left-prev, a.right-next")
    assert len(links) == 2 or name in (CHAPTERS[0],)
    assert _severe(browser) == [], f"{name}: console errors"


@pytest.mark.parametrize("name", GUIDE)
def test_guide_page_renders_in_chromium(browser, server, name):
    browser.get(f"{server}/book/guide/{name}.html")
    _wait(browser, "return window.MathJax && MathJax.startup && MathJax.startup.promise"
          " && document.querySelectorAll('.math:not(:has(mjx-container))').length == 0",
          f"{name}: MathJax did not typeset every formula")
    assert browser.execute_script("return document.querySelectorAll('mjx-merror').length") == 0
    elsewhere = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => !u.startsWith(location.origin))")
    assert elsewhere == [], f"{name}: requested {elsewhere}"
    assert len(browser.find_elements("css selector", "a.left-prev, a.right-next")) == 2
    # a display formula wider than the text column gets a scroll bar: keep them narrow
    wide = browser.execute_script(
        "return [...document.querySelectorAll('div.math, mjx-container[display=\"true\"]')]"
        ".filter(m => m.scrollWidth > "
        "m.clientWidth + 1).map(m => m.textContent.slice(0, 60))")
    assert wide == [], f"{name}: formulas wider than the page {wide}"
    assert _severe(browser) == [], f"{name}: console errors"


def test_search_finds_a_chapter_in_chromium(browser, server):
    browser.get(f"{server}/search.html?q=arrangement")
    hits = _wait(browser, "const r = document.querySelectorAll('#search-results li');"
                 " return r.length > 0 && [...r].map(li => li.querySelector('a').href)",
                 "search for 'arrangement' returned nothing")
    assert any("01_hyperplane_arrangements" in h for h in hits), hits
    assert _severe(browser) == [], "search page: console errors"


def test_exercise_page_renders_in_chromium(browser, server):
    browser.get(f"{server}/exercises/ex{CHAPTERS[0]}.html")
    assert "NotImplementedError" in browser.page_source
    assert browser.find_elements("css selector", "a.left-prev")
    assert _severe(browser) == [], "exercise page: console errors"


def test_site_command_never_replaces_a_folder_that_is_not_a_site(tmp_path, capsys):
    from convexnn_lab.cli import main

    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit) as info:
        main(["site", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "holds no site built before" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"
