"""The prearchive page in a real browser (headless Chromium): sessions sent to a
project's prearchive are listed; a status in progress refreshes by itself; a session's
scans; archive one under another label, delete one, delete two ticked at once. axe-core
on the page."""

import os
import uuid

import pytest

from web_browser import admin_browser
from web_seed import ct_zip

pytest.importorskip("pydicom")
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
LABELS = ["PA", "PB", "PC", "PD"]


def to_prearchive(env, project, label):
    r = env.session().post(env.url("/data/services/import"), data=ct_zip(), params={
        "import-handler": "DICOM-zip", "SUBJECT_ID": "PreSub", "EXPT_LABEL": label,
        "dest": f"/prearchive/projects/{project}", "inbody": "true"},
        headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    return r.text.strip()[len("/data"):]


def waiting(env, project):
    r = env.get(f"/data/prearchive/projects/{project}", params={"format": "json"})
    return {x["folderName"]: x for x in r.json()["ResultSet"]["Result"]}


@pytest.fixture(scope="module")
def project(env):
    p = f"Pa{uuid.uuid4().hex[:6]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
    srcs = {label: to_prearchive(env, p, label) for label in LABELS}
    yield p, srcs
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def browser(env):
    b = admin_browser(env)
    yield b
    b.close()


def shown(b):
    """{session: status} as the table shows them."""
    return b.js("const t = document.querySelector('#prearchive'); if (!t) return {};"
                "return Object.fromEntries([...t.tBodies[0].rows].filter(r => r.dataset.src)"
                ".map(r => [r.cells[1].textContent, r.querySelector('.status').textContent]))")


def row_button(b, label, text):
    b.js("const r = [...document.querySelectorAll('#prearchive tr[data-src]')].find("
         "r => r.cells[1].textContent === arguments[0]);"
         "[...r.querySelectorAll('button')].find(x => x.textContent === arguments[1]).click()",
         label, text)


class TestWebPrearchive:
    def test_listed_and_status_refreshes_by_itself(self, env, browser, project):
        p, srcs = project
        b = browser
        r = env.session().post(env.url(f"/data{srcs['PD']}"),
                               data={"action": "set-status", "status": "ARCHIVING"})
        assert r.status_code == 200, r.text
        b.goto(f"/projects/{p}")
        b.find(f"a[href='/projects/{p}/prearchive']").click()
        b.wait(lambda d: shown(b) == {"PA": "READY", "PB": "READY", "PC": "READY",
                                      "PD": "ARCHIVING"}, what="the four sessions")
        assert "refresh by themselves" in b.text("#prearchive caption")
        b.screenshot("prearchive")
        r = env.session().post(env.url(f"/data{srcs['PD']}"), data={"action": "reset-status"})
        assert r.status_code == 200, r.text
        # no click, no reload: the page asks again while a status is in progress
        b.wait(lambda d: shown(b).get("PD") == "READY", timeout=20, what="PD to be READY")
        b.assert_clean()

    def test_scans_of_a_session(self, env, browser, project):
        b = browser
        row_button(b, "PA", "Scans")
        scan = b.wait(lambda d: b.js("const r = document.querySelector('#prearchive-scans tbody tr');"
                                     "return r && [...r.cells].map(c => c.textContent)"),
                      what="the scans")
        assert scan[0] == "1" and scan[1] == "Axial 5mm" and scan[3] == "CT", scan
        b.assert_clean()

    def test_archive_under_another_label(self, env, browser, project):
        p, _ = project
        b = browser
        row_button(b, "PA", "Archive…")
        form = b.find("#archive-form")
        assert b.js("return document.querySelector('#arc-project').value") == p
        assert b.js("return document.querySelector('#arc-subject').value") == "PreSub"
        label = b.find("#arc-label")
        label.clear()
        label.send_keys("PA_archived")
        form.find_element("css selector", "button[type=submit]").click()
        msg = b.wait_text("#prearchive-message", lambda t: t.startswith("Archived"))
        assert msg.endswith(f"/projects/{p}/subjects/PreSub/experiments/PA_archived."), msg
        b.wait(lambda d: "PA" not in shown(b), what="PA to leave the list")
        assert "PA" not in waiting(env, p)
        r = env.get(f"/data/projects/{p}/experiments/PA_archived", params={"format": "json"})
        assert r.status_code == 200, r.text
        b.assert_clean()

    def test_delete_one(self, env, browser, project):
        p, _ = project
        b = browser
        row_button(b, "PB", "Delete")
        b.wait(lambda d: b.alert_open(), what="the confirmation")
        b.driver.switch_to.alert.accept()
        b.wait_text("#prearchive-message", lambda t: t == "Deleted 1 session.")
        b.wait(lambda d: sorted(shown(b)) == ["PC", "PD"], what="PB to leave the list")
        assert sorted(waiting(env, p)) == ["PC", "PD"]
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, project):
        b = browser
        with open(AXE) as f:
            axe = f.read()
        p, _ = project
        b.goto(f"/projects/{p}/prearchive")
        b.find("#prearchive tr[data-src]")
        row_button(b, "PC", "Archive…")  # the form open too
        b.find("#archive-form")
        assert b.axe(axe) == []

    def test_bulk_delete(self, env, browser, project):
        p, _ = project
        b = browser
        b.find("#prearchive-all").click()
        assert b.text("#prearchive-selected") == "2 sessions ticked"
        b.find("#bulk-delete").click()
        b.wait(lambda d: b.alert_open(), what="the confirmation")
        b.driver.switch_to.alert.accept()
        b.wait_text("#prearchive-message", lambda t: t == "Deleted 2 sessions.")
        b.wait_text("main", lambda t: "No session is waiting." in t)
        assert waiting(env, p) == {}
        b.assert_clean()
