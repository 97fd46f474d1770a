"""The search page in a real browser: a search built with the builder (subjects of a
project whose CTDIvol is above a value OR whose scanner is a given one) shows the rows the
API answers for the same search; stored, shared with a project (a member of it then sees
it through the API), listed, run again; its CSV download holds the rows shown. axe-core
on the page. Every step fails on a console error or a request to another host."""

import csv
import io
import os
import uuid

import pytest
from selenium.webdriver.support.ui import Select

from web_browser import admin_browser
from web_seed import seed_project

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
CTDI = "XNAT_SUBJECTDATA_FIELD_MAP=ctdivol"
SCANNER = "XNAT_SUBJECTDATA_FIELD_MAP=scanner"
PASSWORD = "pw-search-123456"


@pytest.fixture(scope="module")
def world(env):
    p = f"WSrch{uuid.uuid4().hex[:6]}"
    s = env.session()
    seed_project(env, s, p, 60, f"Q{p[5:]}_")
    member = f"wsm_{uuid.uuid4().hex[:6]}"
    r = s.post(env.url("/xapi/users"), json={"username": member, "password": PASSWORD,
                                             "firstName": "M", "lastName": "W",
                                             "email": f"{member}@example.org"})
    assert r.status_code == 201, r.text
    assert s.put(env.url(f"/data/projects/{p}/users/Members/{member}")).status_code in (200, 201)
    yield {"project": p, "member": member}
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def browser(env):
    b = admin_browser(env)
    yield b
    b.close()


def the_search(p):
    root = "xnat:subjectData"
    return {"root": root, "where": {"and": [
        {"field": f"{root}/PROJECT", "op": "=", "value": p},
        {"or": [{"field": f"{root}/{CTDI}", "op": ">", "value": "20"},
                {"field": f"{root}/{SCANNER}", "op": "=", "value": "Scanner 3"}]}]},
        "limit": 1000}


def api_rows(env, body, auth=None):
    r = env.session(auth).post(env.url("/data/search?format=json"), json=body)
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


def shown(b):
    return b.js("const t = document.querySelector('#results'); if (!t) return null;"
                "const h = [...t.querySelectorAll('thead th')].map(th => th.textContent);"
                "return [...t.querySelectorAll('tbody tr')].map(tr => Object.fromEntries("
                "[...tr.cells].map((td, i) => [h[i], td.textContent])))")


def pick(b, label, value):
    sel = Select(b.find(f"select[aria-label='{label}']"))
    if label.endswith("comparison"):  # selenium's option[value=...] selector misses ">"
        sel.select_by_visible_text(value)
    else:
        sel.select_by_value(value)


def type_in(b, label, text):
    el = b.find(f"input[aria-label^='{label}']")
    el.clear()
    el.send_keys(text)


def click_button(b, text):
    b.js("[...document.querySelectorAll('button')].find(x => x.textContent === arguments[0])"
         ".click()", text)


def build(b, p):
    b.goto("/search")
    b.wait(lambda d: b.js("return [...document.querySelectorAll('#search-root option')]"
                          ".some(o => o.value === 'xnat:subjectData')"), what="the types")
    Select(b.find("#search-root")).select_by_value("xnat:subjectData")
    b.wait(lambda d: b.js("return !!document.querySelector(\"option[value='" + CTDI + "']\")"),
           what="the custom variables among the fields")
    pick(b, "Condition 1: field", "PROJECT")
    type_in(b, "Condition 1: value", p)
    click_button(b, "Add group")
    pick(b, "Group 2: match", "or")
    pick(b, "Condition 2.1: field", CTDI)
    pick(b, "Condition 2.1: comparison", ">")
    type_in(b, "Condition 2.1: value", "20")
    click_button(b, "Add condition to group 2")
    pick(b, "Condition 2.2: field", SCANNER)
    type_in(b, "Condition 2.2: value", "Scanner 3")
    b.find("#search-run").click()


class TestWebSearch:
    def test_built_search_shows_the_apis_rows(self, env, browser, world):
        b, p = browser, world["project"]
        build(b, p)
        want = api_rows(env, the_search(p))
        assert 10 < len(want) < 60  # the OR matters: neither condition alone gives these
        got = b.wait(lambda d: shown(b), what="the results")
        assert got == want
        b.screenshot("search-results")
        b.assert_clean()

    def test_csv_download_equals_rows_shown(self, env, browser, world):
        b = browser
        got = shown(b)
        assert got
        data = b.download("#results-csv", "search.csv").decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(data)))
        assert [dict(r) for r in rows] == got
        b.assert_clean()

    def test_store_share_list_and_rerun(self, env, browser, world):
        b, p = browser, world["project"]
        sid = f"websrch_{uuid.uuid4().hex[:6]}"
        b.find("#save-id").send_keys(sid)
        b.find("#save-desc").send_keys("CTDIvol above 20 or scanner 3")
        Select(b.find("#save-share")).select_by_value(p)
        b.find("#save-run").click()
        assert b.text("#save-message") == f"Stored {sid}, shared with {p}."
        b.wait(lambda d: b.js("return !!document.querySelector(\"#saved button[aria-label='Run "
                              + sid + "']\")"), what="the stored search in the list")
        member = (world["member"], PASSWORD)
        listed = env.session(member).get(env.url("/data/search/saved?format=json")).json()
        assert sid in [r["id"] for r in listed["ResultSet"]["Result"]]
        r = env.session(member).get(env.url(f"/data/search/saved/{sid}/results?format=json"))
        assert r.status_code == 200, r.text
        want = r.json()["ResultSet"]["Result"]
        assert want == api_rows(env, the_search(p))
        b.goto("/")
        b.find("nav[aria-label=Main]")
        b.goto("/search")
        b.find(f"#saved button[aria-label='Run {sid}']").click()
        b.wait_text("#results-title", lambda t: t == f"Results of {sid}")
        assert b.wait(lambda d: shown(b), what="the rerun's rows") == want
        b.assert_clean()

    def test_bad_value_is_named(self, env, browser, world):
        b = browser
        b.goto("/search")
        b.expect_failure("/data/search?format=json", 400)
        b.wait(lambda d: b.js("return !!document.querySelector(\"option[value='" + CTDI + "']\")"),
               what="the fields")
        pick(b, "Condition 1: field", CTDI)
        pick(b, "Condition 1: comparison", ">")
        type_in(b, "Condition 1: value", "lots")
        b.find("#search-run").click()
        assert "lots" in b.text("#search-error")
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, world):
        b = browser
        build(b, world["project"])
        b.wait(lambda d: shown(b), what="the results")
        with open(AXE, encoding="utf-8") as f:
            assert b.axe(f.read()) == []
        b.assert_clean()
