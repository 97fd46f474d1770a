"""Upload Images in a real browser (headless Chromium): a zip of DICOM sent through the
page with the progress bar seen moving (the upload throttled by the DevTools protocol),
the per-file results, the session then in the project; a file the import refuses and a
zip member it rejects, each with the reason; a connection dropped mid-upload reported
naming the file, with nothing half-stored. axe-core on the page."""

import io
import os
import time
import uuid
import zipfile
from urllib.parse import urlparse

import pytest

from cut_proxy import CutProxy
from web_browser import ARTIFACTS, Browser, admin_browser

pytest.importorskip("pydicom")
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
NETWORK_OK = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def ct_files(n, description="Upload series"):
    """n CT objects of one series (pydicom's CT_small, about 39 KB each)."""
    import pydicom
    from pydicom.data import get_testdata_file
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    out = []
    for i in range(1, n + 1):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesNumber, ds.InstanceNumber = 1, i
        ds.SeriesDescription = description
        b = io.BytesIO()
        ds.save_as(b, write_like_original=False)
        out.append(b.getvalue())
    return out


def write_zip(name, members):
    """A stored (uncompressed) zip in the artifacts folder; its path."""
    d = os.path.join(ARTIFACTS, "uploads")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for member, data in members:
            z.writestr(member, data)
    return path


def write_file(name, data):
    d = os.path.join(ARTIFACTS, "uploads")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.fixture(scope="module")
def project(env):
    p = f"Up{uuid.uuid4().hex[:6]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def browser(env):
    b = admin_browser(env)
    yield b
    b.close()


def throttle(b, **conditions):
    b.driver.execute_cdp_cmd("Network.enable", {})
    b.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {**NETWORK_OK, **conditions})


def open_upload(b, project, dest="/archive", subject="", session=""):
    b.goto(f"/projects/{project}/upload")
    b.wait_text("h1", lambda t: t == "Upload images")
    b.wait(lambda d: b.js("return [...document.querySelectorAll('#up-project option')]"
                          ".some(o => o.value === arguments[0])", project), what="projects")
    for css, value in (("#up-dest", dest), ("#up-subject", subject), ("#up-session", session)):
        b.js("const e = document.querySelector(arguments[0]); e.value = arguments[1];"
             "e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input',"
             " {bubbles: true}))", css, value)
    assert b.js("return document.querySelector('#up-project').value") == project


def pick(b, *paths):
    b.find("#up-files").send_keys("\n".join(paths))
    b.wait_text("#upload-queue", lambda t: t.startswith(f"{len(paths)} file"))


def progress_values(b, until, timeout=60):
    """The progress bar's value, read while `until()` is false."""
    seen = []
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        v = b.js("const p = document.querySelector('#upload-progress');"
                 "return p && [p.value, p.max]")
        if v and (not seen or v != seen[-1]):
            seen.append(v)
        time.sleep(0.2)
    return seen


def result_rows(b):
    return b.js("return [...document.querySelectorAll('#upload-results tbody tr')].map("
                "tr => [...tr.cells].map(c => c.innerText.trim()))")


def sessions_of(env, project):
    r = env.get(f"/data/projects/{project}/experiments", params={"format": "json"})
    return sorted(x["label"] for x in r.json()["ResultSet"]["Result"])


class TestWebUpload:
    def test_zip_with_progress_then_session_in_project(self, env, browser, project):
        b = browser
        path = write_zip("series.zip", [(f"{i}.dcm", d) for i, d in enumerate(ct_files(40))])
        size = os.path.getsize(path)
        assert size > 1_000_000
        open_upload(b, project, subject="UpSub", session="UpSess")
        pick(b, path)
        throttle(b, uploadThroughput=300_000, latency=20)  # bytes/s: about 5 s for the zip
        try:
            b.find("#upload-start").click()
            seen = progress_values(b, lambda: bool(result_rows(b)))
        finally:
            throttle(b)
        moving = [v for v, m in seen if 0 < v < m]
        assert len(moving) >= 2 and moving == sorted(moving) and moving[0] < moving[-1], seen
        assert all(m == size for _, m in seen), (seen, size)
        rows = b.wait(lambda d: result_rows(b), what="the results")
        assert rows[0][:2] == ["series.zip", "imported"], rows
        assert "UpSess" in rows[0][2]
        assert "100%" in b.text("#upload-status")
        b.screenshot("upload")
        assert sessions_of(env, project) == ["UpSess"]
        b.js("[...document.querySelectorAll('#upload-results a')].find("
             "a => a.textContent === 'UpSess').click()")
        b.wait_text("h1", lambda t: t == "Session UpSess")
        b.find(f"a[href='/projects/{project}']").click()
        b.wait(lambda d: b.js("return [...document.querySelectorAll('table.grid a')]"
                              ".some(a => a.textContent === 'UpSess')"),
               what="the session on the project page")
        b.assert_clean()

    def test_refused_file_and_rejected_member_give_reasons(self, env, browser, project):
        b = browser
        b.expect_failure("/data/services/import", 400)
        good, = ct_files(1, "Mixed")
        mixed = write_zip("mixed.zip", [("good.dcm", good), ("notes.txt", b"not an image\n" * 20)])
        text = write_file("readme.txt", b"this is no DICOM file\n" * 20)
        open_upload(b, project, subject="UpSub", session="Mixed")
        pick(b, mixed, text)
        b.find("#upload-start").click()
        rows = b.wait(lambda d: len(result_rows(b)) == 2 and result_rows(b), what="both results")
        assert rows[0][0:2] == ["mixed.zip", "imported"]
        assert rows[0][3].startswith("notes.txt: "), rows
        assert len(rows[0][3]) > len("notes.txt: ")
        assert rows[1][0] == "readme.txt"
        assert rows[1][1].startswith("refused: ") and "DICOM" in rows[1][1], rows
        assert sessions_of(env, project) == ["Mixed", "UpSess"]
        b.screenshot("upload-rejected")
        b.assert_clean()

    def test_dropped_connection_is_reported(self, env, project):
        # the page through a relay whose connections the test cuts mid-upload
        proxy = CutProxy("127.0.0.1", urlparse(env.httpd.base_url).port)
        b = Browser(f"http://127.0.0.1:{proxy.port}")
        try:
            b.expect_failure("/data/auth", 401)
            b.goto("/")
            b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
            b.wait_text("h1", lambda t: t == "Projects")
            path = write_zip("dropped.zip", [(f"{i}.dcm", d) for i, d in
                                             enumerate(ct_files(40, "Dropped"))])
            open_upload(b, project, subject="UpSub", session="Dropped")
            pick(b, path)
            throttle(b, uploadThroughput=100_000, latency=20)
            b.find("#upload-start").click()
            b.wait(lambda d: (b.js("return document.querySelector('#upload-progress')?.value")
                              or 0) > 0, what="the upload to start")
            proxy.cut()
            error = b.text("#upload-error", timeout=60)
            throttle(b)
            assert "dropped.zip" in error and "connection was lost" in error, error
            rows = result_rows(b)
            assert rows[0][:2] == ["dropped.zip",
                                   "not uploaded: " + error[len("Upload failed: "):]], rows
            b.screenshot("upload-dropped")
            # the server's side of the cut transfer ends in a rollback: nothing of it stays
            time.sleep(1)
            assert "Dropped" not in sessions_of(env, project)
            # the browser notes the lost request as a console error: that one is expected
            problems = [p for p in b.problems() if "/data/services/import" not in p]
            assert not problems, problems
        finally:
            b.close()
            proxy.close()

    def test_no_serious_accessibility_findings(self, env, browser, project):
        b = browser
        with open(AXE) as f:
            axe = f.read()
        open_upload(b, project)
        assert b.axe(axe) == []
