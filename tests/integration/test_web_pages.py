"""The web pages in a real browser (headless Chromium) on the suite's server: login,
projects, a project's subjects table (every custom variable a column; sort, filter,
paging and CSV done through the API), subject, session and scan pages with the DICOM
header, axe-core's accessibility check, the session countdown and logout. Every test
fails on a console error and on any request to another host (web_browser.py).
Screenshots go to tests/integration/artifacts/."""

import csv
import io
import os
import uuid

import pytest

from web_browser import ARTIFACTS, Browser
from web_seed import CUSTOM_VARS, import_session, seed_project

pytest.importorskip("pydicom")
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
N_SUBJECTS = 250


@pytest.fixture(scope="module")
def project(env):
    p = f"Web{uuid.uuid4().hex[:6]}"
    s = env.session()
    seed_project(env, s, p, N_SUBJECTS, f"W{p[3:]}_", name="Phantom study",
                 description="Toy phantom scans", pi_firstname="Ada", pi_lastname="Lovelace",
                 keywords="phantom CT")
    import_session(env, s, p, "Sub000001", "Sess1")
    yield p
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def browser(env):
    b = Browser(env.httpd.base_url)
    # before anyone logs in the app asks who is logged in: the browser notes that 401
    b.expect_failure("/data/auth", 401)
    yield b
    b.close()
    print(f"\nweb screenshots in {ARTIFACTS}")


def defined_vars(env, p):
    """The subject custom variables as the API names them, in its order."""
    rows = env.get(f"/xapi/projects/{p}/customVariables").json()["ResultSet"]["Result"]
    return [r["name"] for r in rows if r["level"] == "subject"]


def rows_shown(b):
    return b.js("return [...document.querySelectorAll('#subjects tbody tr')].map("
                "tr => [...tr.cells].map(td => td.textContent))")


def api_rows(env, p, **params):
    q = {"format": "json", "columns": "label," + ",".join(
        f"xnat:subjectData/fields/field[name={n}]/field" for n, _ in CUSTOM_VARS)}
    q.update(params)
    return env.get(f"/data/projects/{p}/subjects", params=q).json()["ResultSet"]


def col_index(b, name):
    return b.js("return [...document.querySelectorAll('#subjects thead tr:first-child th')]"
                ".findIndex(th => th.textContent.trim().replace(/[▲▼]/g, '').trim() === arguments[0])",
                name)


class TestWebPages:
    def test_wrong_password_says_so(self, env, browser, project):
        b = browser
        b.expect_failure("/data/JSESSION", 401)
        b.goto("/")
        b.log_in(env.ADMIN, "not-the-password")
        assert b.text("#login-error") == "Wrong user name or password."
        b.screenshot("login")
        b.assert_clean()

    @pytest.mark.parametrize("state,message", [
        ("enabled", "your account '{}' exists but an administrator has not enabled it yet; "
                    "ask your site administrator to enable it"),
        ("verified", "your account '{}' exists but has not been verified yet; ask your "
                     "site administrator to verify it")])
    def test_disabled_or_unverified_account_says_so(self, env, browser, project, state,
                                                    message):
        b = browser
        b.expect_failure("/data/JSESSION", 403)
        login = f"w{state[:3]}{uuid.uuid4().hex[:6]}"
        r = env.session().post(env.url("/xapi/users"), json={
            "username": login, "password": "pw-123456789", "enabled": True,
            "verified": True, state: False})
        assert r.status_code in (200, 201), r.text
        b.goto("/")
        b.log_in(login, "pw-123456789")
        assert b.text("#login-error") == message.format(login)
        b.assert_clean()

    def test_login_then_projects_with_counts(self, env, browser, project):
        b = browser
        b.goto("/")
        b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
        row = b.wait(lambda d: b.js(
            "const a = [...document.querySelectorAll('#projects tbody tr')].find("
            "tr => tr.cells[0].textContent === arguments[0]);"
            "return a && [...a.cells].map(td => td.textContent)", project), what="the project row")
        assert row == [project, "Phantom study", "Toy phantom scans", "Ada Lovelace", "private",
                       str(N_SUBJECTS), "1"]
        b.screenshot("projects")
        ids = lambda: b.js("return [...document.querySelectorAll('#projects tbody tr')]"  # noqa: E731
                           ".map(tr => tr.cells[0].textContent)")
        b.js("[...document.querySelectorAll('.tabs button')].find(x => x.textContent === "
             "'Public').click()")
        b.wait(lambda d: b.js("return !document.querySelector('#projects') || "
                              "!document.querySelector('#projects tbody').textContent"
                              ".includes(arguments[0])", project), what="the public projects")
        b.js("[...document.querySelectorAll('.tabs button')].find(x => x.textContent === "
             "'My projects').click()")  # the admin created it: its owner
        b.wait(lambda d: project in (ids() if b.js("return !!document.querySelector("
                                                   "'#projects')") else []),
               what="my projects")
        b.js("[...document.querySelectorAll('.tabs button')].find(x => x.textContent === "
             "'All').click()")
        b.wait(lambda d: b.js("return !!document.querySelector('#projects')") and project in ids(),
               what="all projects")
        b.assert_clean()

    def test_project_page_and_subjects_table(self, env, browser, project):
        b = browser
        b.js("[...document.querySelectorAll('#projects a')].find(a => a.textContent === "
             "arguments[0]).click()", project)
        b.wait_text("h1", lambda t: t == "Phantom study")
        details = b.text("dl.fields")
        for v in (project, "Toy phantom scans", "Ada Lovelace", "phantom CT", "private"):
            assert v in details
        b.wait_text("#subjects-count", lambda t: t == f"Subjects 1–200 of {N_SUBJECTS}")
        headers = b.js("return [...document.querySelectorAll('#subjects thead tr:first-child th')]"
                       ".map(th => th.textContent.trim())")
        names = defined_vars(env, project)
        assert sorted(names) == sorted(n for n, _ in CUSTOM_VARS)  # as defined: CTDIvol
        assert headers == ["Subject", "Gender", "YOB"] + names
        shown = rows_shown(b)
        assert len(shown) == 200
        assert shown[0][0] == "Sub000001"
        assert shown[0][3 + names.index("Phantom_name")] == "Phantom 000001"
        assert b.js("return document.querySelector('.actions a').getAttribute('href')") == \
            f"/data/projects/{project}/files?format=zip"
        b.screenshot("project")
        b.assert_clean()

    def test_sort_by_a_custom_variable(self, env, browser, project):
        b = browser
        i = col_index(b, "CTDIvol")
        b.find(f'#subjects button.sort[data-col*="ctdivol"]').click()
        b.wait(lambda d: b.js("return document.querySelector('#subjects thead th:nth-child(%d)')"
                              ".getAttribute('aria-sort')" % (i + 1)) == "ascending")
        b.wait_text("#subjects-count", lambda t: t.startswith("Subjects 1–200"))
        key = "xnat:subjectData/fields/field[name=CTDIvol]/field"
        want = [r["label"] for r in api_rows(env, project, sortBy=key, sortOrder="ASC",
                                             limit=200)["Result"]]
        b.wait(lambda d: [r[0] for r in rows_shown(b)] == want, what="the sorted rows")
        b.find(f'#subjects button.sort[data-col*="ctdivol"]').click()
        want = [r["label"] for r in api_rows(env, project, sortBy=key, sortOrder="DESC",
                                             limit=200)["Result"]]
        b.wait(lambda d: [r[0] for r in rows_shown(b)] == want, what="the reversed rows")
        b.assert_clean()

    def test_filter_a_column(self, env, browser, project):
        b = browser
        key = "xnat:subjectData/fields/field[name=scanner]/field"
        expect = int(api_rows(env, project, limit=1, **{key: "*Scanner 3*"})["totalRecords"])
        assert 0 < expect < 200
        b.find(f'#subjects input[data-col="{key}"]').send_keys("Scanner 3")
        b.wait_text("#subjects-count", lambda t: t.endswith(f"of {expect}"))
        i = 3 + defined_vars(env, project).index("Scanner")
        assert {r[i] for r in rows_shown(b)} == {"Scanner 3"}
        # cleared: all again
        b.js("const i = document.querySelector(arguments[0]); i.value = '';"
             "i.dispatchEvent(new Event('input', {bubbles: true}))",
             f'#subjects input[data-col="{key}"]')
        b.wait_text("#subjects-count", lambda t: t.endswith(f"of {N_SUBJECTS}"))
        b.assert_clean()

    def test_next_page_and_csv_of_what_is_shown(self, env, browser, project):
        b = browser
        b.find("#subjects-next").click()
        b.wait_text("#subjects-count", lambda t: t == f"Subjects 201–{N_SUBJECTS} of {N_SUBJECTS}")
        shown = rows_shown(b)
        assert len(shown) == N_SUBJECTS - 200
        text = b.download("#subjects-csv", f"{project}_subjects.csv").decode()
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == ["Subject", "Gender", "YOB"] + defined_vars(env, project)
        assert table[1:] == shown
        b.assert_clean()

    def test_subject_session_and_scan_pages(self, env, browser, project):
        b = browser
        b.goto(f"/projects/{project}/subjects/Sub000001")  # a deep link, loaded afresh
        assert b.text("h1") == "Subject Sub000001"
        b.wait_text("dl[aria-label='Custom variables']", lambda t: "Phantom 000001" in t)
        b.find("table.grid a").click()  # its session
        assert b.text("h1") == "Session Sess1"
        scan = b.wait(lambda d: b.js("const r = document.querySelector('table.grid tbody tr');"
                                     "return r && [...r.cells].map(c => c.textContent)"),
                      what="the scans")
        assert scan[0] == "1" and scan[2] == "Axial 5mm" and scan[3] == "2"
        b.screenshot("session")
        b.find("table.grid tbody a").click()
        b.wait_text("h1", lambda t: t == "Scan 1: Axial 5mm")
        header = b.wait(lambda d: b.js(
            "const t = [...document.querySelectorAll('table.grid')].find(t => "
            "t.caption.textContent.startsWith('DICOM header'));"
            "return t && [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent))"),
            what="the DICOM header")
        tags = {r[0]: r[3] for r in header}
        assert tags["(0008,103E)"] == "Axial 5mm"
        assert tags["(0008,0060)"] == "CT"
        files = b.js("return [...document.querySelectorAll('table.grid')][0].tBodies[0].rows.length")
        assert files == 2
        b.screenshot("scan")
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, project):
        b = browser
        with open(AXE) as f:
            axe = f.read()
        found = {}
        for path, ready in (("/", "#projects"), (f"/projects/{project}", "#subjects tbody tr"),
                            (f"/projects/{project}/subjects/Sub000001", "table.grid"),
                            (f"/projects/{project}/experiments/Sess1/scans/1", "table.grid")):
            b.goto(path)
            b.find(ready)
            found[path] = b.axe(axe)
        assert all(not v for v in found.values()), found
        b.assert_clean()

    def test_session_countdown_and_renew(self, env, browser, project):
        b = browser
        # the server's idle time (900 s by default) less the minute it may lag behind
        left = b.text("#session-left time")
        m, s = map(int, left.split(":"))
        assert 13 * 60 < m * 60 + s <= 14 * 60
        b.find(".clock button").click()
        b.assert_clean()

    def test_logout(self, env, browser, project):
        b = browser
        b.js("[...document.querySelectorAll('header button')].find(x => x.textContent === "
             "'Log out').click()")
        assert b.text(".notice") == "You have logged out."
        b.find("#login-user")
        status = b.js_async("const done = arguments[arguments.length - 1];"
                            "fetch('/data/auth', {headers: {'X-Requested-With': 'XMLHttpRequest'}})"
                            ".then(r => done(r.status))")
        assert status == 401
        b.assert_clean()
