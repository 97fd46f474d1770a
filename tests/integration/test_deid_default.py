"""A fresh install de-identifies: the site's PS3.15 Basic Profile is on until an admin
turns it off (anon/basicProfile), through REST imports and C-STORE alike; its options keep
what they name; UIDs are replaced consistently, so a study still makes one session."""

import glob
import io
import os
import shutil
import socket
import subprocess
import time
import uuid
import zipfile

import pytest

from arca_env import Httpd, free_port

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

PHI = {
    "PatientName": "Rossi^Mario",
    "PatientID": "PAT-0042-SECRET",
    "PatientBirthDate": "19610415",
    "InstitutionName": "Ospedale Santa Chiara",
    "ImageComments": "scanned after a fall at home",
    "OtherPatientIDs": "OTHER-778899",
    "ReferringPhysicianName": "Bianchi^Luca",
    "AccessionNumber": "ACC99887766",
    "StudyDate": "20230517",
    "SeriesDate": "20230517",
    "AcquisitionDate": "20230517",
    "ContentDate": "20230517",
}
DATES = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")


class Fresh:
    """A second database, migrated from nothing, and its own httpd with a C-STORE port:
    a fresh install, not the shared session (which turns the profile off)."""

    def __init__(self, env):
        self.env = env
        self.dbname = f"fresh{uuid.uuid4().hex[:6]}"
        env.pg.createdb(self.dbname)
        self.database = env.pg.conninfo(self.dbname)
        env.arcactl("migrate", database=self.database)
        pwfile = os.path.join(env.tmp, f"{self.dbname}-pw")
        with open(pwfile, "w") as f:
            f.write(env.ADMIN_PASSWORD + "\n")
        env.arcactl("user", "add", env.ADMIN, "--admin", "--password-file", pwfile,
                    database=self.database)
        self.project = "Phi1"
        self.port = free_port()
        self.server = Httpd(os.path.join(env.tmp, self.dbname), free_port(), self.database)
        self.server.write_snippet("dicom", f"""
ArcaDicomReceiver ARCA_PHI 127.0.0.1:{self.port} project={self.project} dest=archive user=admin
ArcaDicomTimeout 5
""")
        self.server.start()
        s = self.session()
        assert s.put(self.url(f"/data/projects/{self.project}")).status_code == 201

    def url(self, path):
        return self.server.base_url + path

    def session(self):
        import requests
        s = requests.Session()
        s.auth = (self.env.ADMIN, self.env.ADMIN_PASSWORD)
        return s

    def wait_listening(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the DICOM receiver does not listen")

    def stored(self, session):
        return sorted(glob.glob(os.path.join(self.server.root, "archive", self.project,
                                             "arc001", session, "**", "*.dcm"),
                                recursive=True))

    def close(self):
        self.server.stop()


@pytest.fixture(scope="module")
def fresh(env):
    f = Fresh(env)
    yield f
    f.close()


def instances(n_series=2, per_series=2, comments=None):
    """CT instances with PHI in them: (name, bytes) pairs and their original UIDs."""
    study_uid = pydicom.uid.generate_uid()
    out, uids = [], {study_uid}
    for s in range(1, n_series + 1):
        series_uid = pydicom.uid.generate_uid()
        uids.add(series_uid)
        for i in range(1, per_series + 1):
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
            for k, v in PHI.items():
                setattr(ds, k, v)
            ds.PatientComments = comments or "lives alone in Pisa"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            uids.add(ds.SOPInstanceUID)
            ds.SeriesNumber, ds.InstanceNumber = s, i
            buf = io.BytesIO()
            ds.save_as(buf, write_like_original=False)
            out.append((f"{s}_{i}.dcm", buf.getvalue()))
    return out, uids


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


def upload(fresh, files, session):
    r = fresh.session().post(fresh.url("/data/services/import"), data=zipped(files),
                             params={"import-handler": "DICOM-zip",
                                     "PROJECT_ID": fresh.project, "SUBJECT_ID": "S1",
                                     "EXPT_LABEL": session, "dest": "/archive",
                                     "inbody": "true"},
                             headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text


def set_profile(fresh, **kw):
    r = fresh.session().put(fresh.url("/data/config/anon/basicProfile"), **kw)
    assert r.status_code in (200, 201), r.text


def assert_deidentified(paths, uids, keep_dates=False):
    assert paths
    studies, series = set(), set()
    for path in paths:
        raw = open(path, "rb").read()
        leaked = [k for k, v in PHI.items()
                  if v.encode() in raw and not (keep_dates and k in DATES)]
        assert leaked == [], f"{os.path.basename(path)} still holds {leaked}"
        assert b"lives alone" not in raw and b"Subject:" not in raw
        assert [u for u in uids if u.encode() in raw] == [], "an original UID survived"
        ds = pydicom.dcmread(path)
        assert str(ds.PatientName) == "S1"  # the archive's labels, put in after the profile
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        studies.add(ds.StudyInstanceUID)
        series.add(ds.SeriesInstanceUID)
        if keep_dates:
            assert ds.StudyDate == PHI["StudyDate"]
        assert "PatientBirthDate" not in ds or ds.PatientBirthDate in ("", None)
    return studies, series


class TestFreshInstall:
    def test_rest_import_removes_phi_and_keeps_the_study_whole(self, fresh):
        files, uids = instances()
        upload(fresh, files, "Rest1")
        paths = fresh.stored("Rest1")
        assert len(paths) == 4
        studies, series = assert_deidentified(paths, uids)
        assert len(studies) == 1 and len(series) == 2
        # a second upload of more instances of the same study joins the same session
        scans = fresh.session().get(fresh.url(
            f"/data/projects/{fresh.project}/subjects/S1/experiments/Rest1/scans"
            "?format=json")).json()["ResultSet"]["Result"]
        assert len(scans) == 2

    def test_cstore_removes_phi(self, fresh):
        if not shutil.which("storescu"):
            pytest.skip("dcmtk's storescu is not installed")
        files, uids = instances(comments="Subject: S1 Session: Store1")
        tmp = os.path.join(fresh.server.root, "send")
        os.makedirs(tmp, exist_ok=True)
        paths = []
        for name, data in files:
            paths.append(os.path.join(tmp, name))
            with open(paths[-1], "wb") as f:
                f.write(data)
        fresh.wait_listening()
        r = subprocess.run(["storescu", "-aec", "ARCA_PHI", "127.0.0.1", str(fresh.port),
                            *paths], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        stored = fresh.stored("Store1")
        assert len(stored) == 4
        studies, series = assert_deidentified(stored, uids)
        assert len(studies) == 1 and len(series) == 2

    def test_keep_dates_option_keeps_dates(self, fresh):
        set_profile(fresh, data="keepDates")
        try:
            files, uids = instances(1, 1)
            upload(fresh, files, "Dates1")
            assert_deidentified(fresh.stored("Dates1"), uids, keep_dates=True)
        finally:
            set_profile(fresh, data="none")

    def test_unknown_option_is_refused(self, fresh):
        r = fresh.session().put(fresh.url("/data/config/anon/basicProfile"),
                                data="keepEverything")
        assert r.status_code == 400 and "keepEverything" in r.text

    def test_switched_off_keeps_values_and_logs_who(self, fresh):
        set_profile(fresh, params={"status": "disabled"})
        try:
            assert "turned off by admin" in fresh.server.error_log()
            files, uids = instances(1, 1)
            upload(fresh, files, "Off1")
            (path,) = fresh.stored("Off1")
            ds = pydicom.dcmread(path)
            assert ds.PatientBirthDate == PHI["PatientBirthDate"]
            assert ds.InstitutionName == PHI["InstitutionName"]
            assert ds.AccessionNumber == PHI["AccessionNumber"]
            assert ds.StudyInstanceUID in uids
        finally:
            set_profile(fresh, params={"status": "enabled"})
