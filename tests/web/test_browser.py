"""The query page in Debian's headless Chromium: run a query in YASGUI and read the table.

The browser talks to the real service (``live_service``) over a generated city; the test also
asks the store directly and compares. Chromium and chromedriver come from Debian (installed by
``scripts/bootstrap``); Selenium is pointed at them, so Selenium Manager never downloads a driver.
Every request the page makes is logged and must go to the service: nothing from another host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from kgservice.questions import example_query, load_catalog
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.examples import load_examples

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 30
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)
ENTITIES_PER_COUNTY = """
PREFIX city: <https://w3id.org/sckm/city/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?county (COUNT(DISTINCT ?entity) AS ?entities)
WHERE {
  ?entity a city:LegalEntity ; city:registrationDivision ?division .
  ?division a city:County ; rdfs:label ?county .
}
GROUP BY ?county
ORDER BY DESC(?entities) ?county
"""
# The rows of the active tab's result table: each cell's value (a literal's lexical form, before
# its quoted language or datatype, or an IRI), row numbers left out; or the error YASR shows.
READ_TABLE = """
const panel = document.querySelector('.tabPanel.active');
const error = panel && panel.querySelector('.yasr .errorResult');
if (error && error.textContent.trim()) { return {error: error.textContent.trim()}; }
const rows = panel ? [...panel.querySelectorAll('.yasr table.dataTable tbody tr')] : [];
if (!rows.length || rows[0].querySelector('td.dt-empty')) { return null; }
const value = (td) => {
  const literal = td.querySelector('.nonIri');
  if (literal) { return literal.firstChild.textContent.replace(/^"|"$/g, ''); }
  const iri = td.querySelector('a.iri');
  return iri ? iri.getAttribute('href') : td.textContent.trim();
};
return {rows: rows.map((tr) => [...tr.children].slice(1).map(value))};
"""


def _require(path: Path, package: str) -> None:
    """Fail (not skip) when a browser part is missing: the page is untested without it."""
    if not path.exists():
        pytest.fail(f"{path} is missing: install Debian's {package} (scripts/bootstrap does)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a fresh profile, its network requests logged."""
    _require(CHROMIUM, "chromium")
    _require(CHROMEDRIVER, "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def _requested_urls(driver: webdriver.Chrome) -> list[str]:
    """Every URL the browser asked for since the last call (from Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _wait_for_table(driver: webdriver.Chrome) -> list[list[str]]:
    """The cells of the active tab's result table, once shown; fail on an error or timeout."""
    try:
        result = WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script(READ_TABLE))
    except TimeoutException:
        pytest.fail(
            f"no result table within {WAIT_SECONDS} s; console: {driver.get_log('browser')}"
        )
    assert "error" not in result, result.get("error")
    return result["rows"]


def _open_page(driver: webdriver.Chrome, base_url: str) -> None:
    """Load the query page and wait until YASGUI has its tabs."""
    driver.get(base_url + "/")
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return !!(window.yasgui && window.yasgui.getTab())")
    )


def test_page_opens_one_tab_per_example(browser: webdriver.Chrome, live_service: str) -> None:
    _open_page(browser, live_service)
    names = browser.execute_script(
        "return [...document.querySelectorAll('.yasgui .tabsList .tab a[role=tab] > span')]"
        ".map((span) => span.textContent)"
    )
    examples = load_examples()
    assert names == [example.tab_name for example in examples]
    assert browser.execute_script("return window.yasgui.getTab().getQuery()") == examples[0].query
    completers = browser.execute_script(
        "return window.yasgui.getTab().getYasqe().config.autocompleters"
    )
    assert "prefixes" in completers
    assert not {"class", "property"} & set(completers)  # they would ask lov.linkeddata.es


def test_query_runs_in_the_page_and_the_table_shows_the_store_answer(
    browser: webdriver.Chrome, live_service: str, city_store: EmbeddedStore, tmp_path: Path
) -> None:
    expected = [
        [row["county"].value, row["entities"].value]
        for row in city_store.query(ENTITIES_PER_COUNTY)
    ]
    assert expected, "the generated city has no legal entity in a county"
    _open_page(browser, live_service)
    browser.execute_script("window.yasgui.getTab().setQuery(arguments[0])", ENTITIES_PER_COUNTY)
    browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    assert _wait_for_table(browser) == expected

    screenshot = tmp_path / "query-page.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.stat().st_size > 10_000

    origin = urlsplit(live_service).netloc
    urls = _requested_urls(browser)
    assert any(url.endswith("/sparql") for url in urls), urls
    remote = [
        u for u in urls if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != origin
    ]
    assert not remote, f"the page asked other hosts: {remote}"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_a_question_opens_in_a_tab_and_answers(
    browser: webdriver.Chrome, live_service: str, city_client
) -> None:
    question = load_catalog()["representatives-of-many"]
    query = example_query(question)
    answer = json.loads(city_client.get(f"/questions/{question.id}").data)
    expected = [
        [row["person"]["value"], row["entities"]["value"]] for row in answer["results"]["bindings"]
    ]
    assert expected, "nobody represents two entities in the generated city"
    _open_page(browser, live_service)
    tabs_before = browser.execute_script("return window.yasgui.persistentConfig.getTabs().length")
    Select(browser.find_element(By.ID, "kg-questions")).select_by_value(question.id)
    assert browser.execute_script("return window.yasgui.getTab().getQuery()") == query
    assert (
        browser.execute_script("return window.yasgui.persistentConfig.getTabs().length")
        == tabs_before + 1
    )
    browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    shown = [[row[0], row[2]] for row in _wait_for_table(browser)]
    assert shown == expected


def _answer(client, question_id: str, **params: str) -> list[dict[str, str]]:
    response = client.get(f"/questions/{question_id}", query_string=params)
    assert response.status_code == 200, response.data
    bindings = json.loads(response.data)["results"]["bindings"]
    return [{name: value["value"] for name, value in row.items()} for row in bindings]


def _both(zh: str | None, en: str | None) -> str:
    if not zh and not en:
        return "未知 / unknown"
    return f"{zh} / {en}" if en and en != zh else (zh or en or "")


def _totals(pairs: list[tuple[str, int]]) -> list[list]:
    order: dict[str, int] = {}
    for name, value in pairs:
        order[name] = order.get(name, 0) + value
    return [[name, total] for name, total in order.items()]


def _cockpit_shows(driver: webdriver.Chrome, division: str) -> dict:
    try:
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.execute_script(
                "return document.body.dataset.ready === arguments[0] "
                "|| !!document.body.dataset.error",
                division,
            )
        )
    except TimeoutException:
        pytest.fail(f"the cockpit did not show {division}; console: {driver.get_log('browser')}")
    assert not driver.execute_script("return document.body.dataset.error")
    return driver.execute_script(
        "const s = window.cockpit.state.shown;"
        "const data = (id) => echarts.getInstanceByDom(document.getElementById(id))"
        "  .getOption().series[0].data;"
        "return {kpi: ['residents', 'entities', 'facilities'].map("
        "  (k) => document.getElementById('kpi-' + k).textContent),"
        " byStatus: s.byStatus, byIndustry: s.byIndustry, byType: s.byFacilityType,"
        " pie: data('chart-status').map((p) => [p.name, p.value]),"
        " types: data('chart-facility-types'), points: data('chart-facility-map').length,"
        " quality: window.cockpit.state.quality, bars: data('chart-quality')};"
    )


def test_the_cockpit_shows_what_the_questions_answer(
    browser: webdriver.Chrome, live_service: str, city_client
) -> None:
    counties = {row["code"]: row for row in _answer(city_client, "division-summary")}
    county = counties["371302"]
    assert int(county["residents"]) > 0, "the generated city has nobody in 兰山区"
    browser.get(live_service + "/cockpit")
    shown = _cockpit_shows(browser, "371302")
    assert shown["kpi"] == [county["residents"], county["entities"], county["facilities"]]

    entities = _answer(city_client, "division-entities", division="371302")
    by_status = _totals(
        [(_both(r.get("statusZh"), r.get("statusEn")), int(r["entities"])) for r in entities]
    )
    assert shown["byStatus"] == by_status and shown["pie"] == by_status
    assert sum(total for _, total in by_status) == int(county["entities"])
    facilities = _answer(city_client, "division-facilities", division="371302")
    by_type = _totals([(_both(r.get("typeZh"), r.get("typeEn")), 1) for r in facilities])
    assert shown["byType"] == by_type
    assert shown["types"] == [total for _, total in by_type]
    assert shown["points"] == sum(1 for r in facilities if "longitude" in r)
    assert len(facilities) == int(county["facilities"])

    findings = _answer(city_client, "quality-by-department")
    per_department = _totals(
        [
            (_both(r.get("departmentName") or r.get("department"), r.get("departmentNameEn")),
             int(r["findings"]))
            for r in findings
        ]
    )  # fmt: skip
    assert per_department, "the city's bad records gave no findings"
    assert shown["quality"] == per_department
    assert shown["bars"] == [total for _, total in per_department]

    townships = _answer(city_client, "division-summary", parent="371302")
    township = max(townships, key=lambda row: int(row["residents"]))
    Select(browser.find_element(By.ID, "township")).select_by_value(township["code"])
    shown = _cockpit_shows(browser, township["code"])
    assert shown["kpi"] == [township["residents"], township["entities"], township["facilities"]]

    origin = urlsplit(live_service).netloc
    remote = [
        u
        for u in _requested_urls(browser)
        if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != origin
    ]
    assert not remote, f"the cockpit asked other hosts: {remote}"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
