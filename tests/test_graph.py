"""`inventory-solver graph`: dot, mermaid and the self-contained HTML page, the page
checked in a real headless browser (Debian's chromium + chromium-driver, via selenium;
skipped with the reason when they are not installed).

    python tests/test_graph.py docs/graph.png   # refresh the README's picture
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from solver.api import check
from solver.cli import get_cli
from solver.render.graph import to_dot, to_html, to_mermaid

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "borgbackup-clients-by-tag"
MISTAKES = ROOT / "examples" / "mistakes"


def graph(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(get_cli(), ["graph", *args], catch_exceptions=False)
    return res.exit_code, res.stdout


def test_dot_by_tag_and_by_service() -> None:
    code, out = graph(str(EXAMPLE))
    assert code == 0
    assert out.startswith("digraph fleet {") and out.rstrip().endswith("}")
    # machines grouped by their first own tag
    clusters = re.findall(r'label="(tag [^"]+)";\n((?:    m\d+ [^\n]+\n)+)', out)
    grouped = {t: re.findall(r'label="([^"]+)"', body) for t, body in clusters}
    assert grouped == {"tag backup": ["fred", "jon", "sara"], "tag server": ["backup-server"]}
    names = dict(re.findall(r"(m\d+) \[shape=box, label=\"([^\"]+)\"", out))
    edges = {(names[m], role) for m, role in re.findall(r"i0 -> (m\d+) \[label=\"(\w+)\"", out)}
    assert edges == {
        ("backup-server", "server"),
        ("fred", "client"),
        ("jon", "client"),
        ("sara", "client"),
    }
    assert 'tooltip="client: tag backup"' in out
    code, out = graph(str(EXAMPLE), "--by", "service")
    assert 'label="service borgbackup";' in out
    if shutil.which("dot"):
        import subprocess

        subprocess.run(["dot", "-Tsvg"], input=out.encode(), check=True, capture_output=True)


def test_findings_are_marked() -> None:
    report = check(MISTAKES)
    dot = to_dot(report)
    drawn = report.resolution.machines
    bad_machines = {d.machine for d in report.diagnostics if d.machine in drawn}
    assert bad_machines and set(drawn) - bad_machines  # some marked, some not
    for name in drawn:
        marked = re.search(rf'label="{re.escape(name)}\\n\d+ finding\(s\)", color="#c00000"', dot)
        assert bool(marked) == (name in bad_machines), name
    for name in bad_machines:
        assert re.search(rf'label="{re.escape(name)}\\n\d+ finding\(s\)", color="#c00000"', dot)
    mm = to_mermaid(report, "service")
    assert mm.startswith("flowchart LR\n")
    assert ":::finding" in mm and "classDef finding" in mm


def test_names_cannot_break_out() -> None:
    data: dict[str, Any] = {
        "machines": {'</script><img src=x onerror=alert(1)>"a': {}, "b": {}},
        "instances": {
            "i": {
                "module": {"name": "hello-world"},
                "roles": {"morning": {"machines": {'</script><img src=x onerror=alert(1)>"a': {}}}},
            }
        },
    }
    report = check(data)
    page = to_html(report)
    assert "</script><img" not in page
    assert page.count("</script>") == 2  # the data block and the program
    dot = to_dot(report)
    assert 'label="</script><img src=x onerror=alert(1)>\\"a"' in dot
    mm = to_mermaid(report)
    assert "<img" not in mm
    assert 'm0["#60;/script#62;#60;img src=x onerror=alert#40;1#41;#62;#34;a"]' in mm


def test_page_is_self_contained() -> None:
    page = to_html(check(EXAMPLE))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"<script[^>]+src", page)
    assert "Content-Security-Policy" in page
    data = re.search(r'<script type="application/json" id="fleet-data">(.*?)</script>', page, re.S)
    assert data is not None
    fleet = json.loads(data.group(1))
    assert [m["name"] for m in fleet["machines"]] == ["backup-server", "fred", "jon", "sara"]


def test_html_to_a_file_and_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "fleet.html"
    res = CliRunner().invoke(get_cli(), ["graph", str(EXAMPLE), "--format", "html", "-o", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "borgbackup-clients-by-tag" in page
    bad = tmp_path / "bad.json"
    bad.write_text('{"machines": ')
    res = CliRunner().invoke(get_cli(), ["graph", str(bad)])
    assert res.exit_code == 2 and "Traceback" not in res.output


# --- in a browser ---------------------------------------------------------------------


def _driver() -> Any:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if chromium is None or driver_bin is None:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1100,700",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(options=opts, service=Service(driver_bin))
    except Exception as exc:  # a browser that cannot start here (no display, sandbox, ...)
        pytest.skip(f"chromium could not be started: {exc}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    d = _driver()
    try:
        yield d
    finally:
        d.quit()


def _page(tmp_path: Path, report: Any) -> str:
    p = tmp_path / "fleet.html"
    p.write_text(to_html(report), encoding="utf-8")
    return p.as_uri()


def _visible_rows(browser: Any) -> list[str]:
    rows = browser.find_elements("css selector", "#matrix tbody tr")
    return [r.find_element("css selector", "th").text.split()[0] for r in rows if r.is_displayed()]


def test_page_in_a_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import Select

    report = check(EXAMPLE)
    browser.get(_page(tmp_path, report))
    # the right cells: one per membership, the role in it, provenance on hover
    cells = browser.find_elements("css selector", "#matrix td.r")
    got = {
        (c.find_element("xpath", "..").find_element("css selector", "th").text, c.text)
        for c in cells
    }
    assert got == {
        ("backup-server", "server"),
        ("fred", "client"),
        ("jon", "client"),
        ("sara", "client"),
    }
    titles = {c.get_attribute("title") for c in cells}
    assert titles == {"server: explicit", "client: tag backup"}
    assert _visible_rows(browser) == ["backup-server", "fred", "jon", "sara"]
    # a tag filter hides the other machines
    Select(browser.find_element("id", "f-tag")).select_by_value("laptop")
    assert _visible_rows(browser) == ["fred"]
    assert "1 of 4 machines" in browser.find_element("id", "summary").text
    Select(browser.find_element("id", "f-tag")).select_by_value("")
    # the class filter: no darwin machine here
    Select(browser.find_element("id", "f-class")).select_by_value("darwin")
    assert _visible_rows(browser) == []
    Select(browser.find_element("id", "f-class")).select_by_value("")
    # provenance on click
    cells[0].click()
    assert "server: explicit" in browser.find_element("id", "side").text
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_service_filter_and_findings_in_a_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import Select

    report = check(MISTAKES)
    browser.get(_page(tmp_path, report))
    heads = browser.find_elements("css selector", "#matrix thead th.inst")
    assert len(heads) == len(report.resolution.instances)
    Select(browser.find_element("id", "f-service")).select_by_value("sshd")
    shown = [h.text.split()[0] for h in heads if h.is_displayed()]
    assert shown == sorted(
        n for n, i in report.resolution.instances.items() if i.module.name == "sshd"
    )
    # the findings of a machine, on click
    drawn = report.resolution.machines
    bad = sorted({d.machine for d in report.diagnostics if d.machine in drawn})
    browser.find_element("id", "f-findings").click()
    assert _visible_rows(browser) == bad
    row = browser.find_element("css selector", "#matrix tbody tr:not([hidden]) th")
    row.click()
    side = browser.find_element("id", "side").text
    first = next(d for d in report.diagnostics if d.machine == bad[0])
    assert first.code in side
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def screenshot(path: Path) -> None:
    """The README's picture: the bundled example, opened in headless chromium."""
    import tempfile

    d = _driver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            d.set_window_size(900, 420)
            p = Path(tmp) / "fleet.html"
            p.write_text(to_html(check(EXAMPLE), title=EXAMPLE.name), encoding="utf-8")
            d.get(p.as_uri())
            d.find_element("css selector", "#matrix tbody tr th").click()
            d.save_screenshot(str(path))
    finally:
        d.quit()


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]))
