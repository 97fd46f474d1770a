"""Orthanc (Debian's package, a private instance: orthanc_env.py) as a real PACS talking to
an Arca receiver: Orthanc sends a study (C-STORE), Arca stores it de-identified; Orthanc
queries Arca (C-FIND) and gets the de-identified values; Orthanc retrieves the study back
(C-MOVE with itself as the destination) and receives the de-identified instances."""

import glob
import io
import os
import tempfile
import time
import uuid

import pytest

import orthanc_env
from arca_env import free_port

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

if not orthanc_env.available():
    pytest.skip("Orthanc is not installed (Debian package orthanc)", allow_module_level=True)

PHI_NAME = "Verdi^Giuseppina"
PHI_ID = "PAT-4471-ORTHANC-SECRET"


def study_files(project, subject, session, n_series=2, per_series=3):
    """Part 10 files (bytes) of one synthetic CT study with PHI and XNAT's routing
    comment, and its Study Instance UID."""
    study = pydicom.uid.generate_uid()
    out = []
    for s in range(1, n_series + 1):
        series = pydicom.uid.generate_uid()
        for i in range(1, per_series + 1):
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
            ds.PatientName, ds.PatientID = PHI_NAME, PHI_ID
            ds.PatientComments = f"Project: {project} Subject: {subject} Session: {session}"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesNumber, ds.InstanceNumber = s, i
            buf = io.BytesIO()
            ds.save_as(buf, write_like_original=False)
            out.append(buf.getvalue())
    return study, out


class Setup:
    def __init__(self, env):
        self.env = env
        self.project = f"Ort{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        s = env.session()
        assert s.put(env.url(f"/data/projects/{self.project}")).status_code == 201
        default = s.get(env.url("/xapi/anonymize/default")).text
        r = s.put(env.url("/data/config/anon/script"), params={"status": "enabled"},
                  data=default)
        assert r.status_code in (200, 201), r.text
        self.tmp = tempfile.mkdtemp(prefix="orthanc-", dir=env.tmp)
        self.orthanc = orthanc_env.Orthanc(self.tmp, aet="ORTHANC",
                                           modalities={"arca": ("ARCA_ORT", self.port)})
        env.httpd.write_snippet("dicom-orthanc", f"""
ArcaDicomReceiver ARCA_ORT 127.0.0.1:{self.port} project={self.project} dest=archive user=admin
ArcaDicomPeer ORTHANC 127.0.0.1:{self.orthanc.dicom_port}
""")
        env.httpd.restart()
        self.orthanc.start()

    def close(self):
        self.orthanc.stop()
        self.env.httpd.remove_snippet("dicom-orthanc")
        self.env.httpd.restart()
        self.env.session().delete(self.env.url(f"/data/projects/{self.project}"
                                               "?removeFiles=true"))


@pytest.fixture(scope="module")
def setup(env):
    s = Setup(env)
    yield s
    s.close()


def results(env, path):
    r = env.get(path, params={"format": "json"})
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


def test_orthanc_stores_queries_and_retrieves(env, setup):
    orthanc, project = setup.orthanc, setup.project
    study_uid, files = study_files(project, "OrtSub", "OrtSess")

    # 1. the study into Orthanc over its REST API
    for body in files:
        orthanc.post("/instances", data=body)
    (study_id,) = [s for s in orthanc.get("/studies")
                   if orthanc.get(f"/studies/{s}")["MainDicomTags"]["StudyInstanceUID"]
                   == study_uid]
    orthanc.post("/modalities/arca/echo", body={})  # C-ECHO: the receiver answers

    # 2. Orthanc sends it to Arca (C-STORE): stored de-identified
    sent = orthanc.post("/modalities/arca/store",
                        body={"Resources": [study_id], "Synchronous": True})
    assert int(sent["InstancesCount"]) == len(files) and int(sent["FailedInstancesCount"]) == 0
    (exp,) = results(env, f"/data/projects/{project}/experiments")
    assert exp["label"] == "OrtSess"
    scans = results(env, f"/data/experiments/{exp['ID']}/scans")
    assert len(scans) == 2
    n = sum(len(results(env, f"/data/experiments/{exp['ID']}/scans/{sc['ID']}/resources/"
                             "DICOM/files")) for sc in scans)
    assert n == len(files)
    stored = glob.glob(os.path.join(env.httpd.root, "archive", project, "**", "*.dcm"),
                       recursive=True)
    assert len(stored) == len(files)
    for path in stored:
        with open(path, "rb") as f:
            blob = f.read()
        assert PHI_ID.encode() not in blob and b"Verdi" not in blob, path
    arca_uid = pydicom.dcmread(stored[0]).StudyInstanceUID

    # 3. Orthanc queries Arca (C-FIND, study level): the de-identified values
    q = orthanc.post("/modalities/arca/query", body={
        "Level": "Study", "Query": {"StudyInstanceUID": arca_uid, "PatientID": "",
                                    "PatientName": "", "ModalitiesInStudy": "",
                                    "NumberOfStudyRelatedInstances": ""}})
    answers = orthanc.get(f"/queries/{q['ID']}/answers")
    assert len(answers) == 1
    found = orthanc.get(f"/queries/{q['ID']}/answers/0/content", params={"simplify": ""})
    assert found["StudyInstanceUID"] == arca_uid
    assert found["PatientID"] == "OrtSub"
    assert PHI_ID not in str(found) and "Verdi" not in str(found)
    assert int(found["NumberOfStudyRelatedInstances"]) == len(files)

    # 4. Orthanc retrieves it back (C-MOVE to itself): new, de-identified instances
    before = set(orthanc.get("/instances"))
    orthanc.post(f"/queries/{q['ID']}/retrieve",
                 body={"TargetAet": "ORTHANC", "Synchronous": True})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(set(orthanc.get("/instances")) - before) \
            < len(files):
        time.sleep(0.1)
    new = set(orthanc.get("/instances")) - before
    assert len(new) == len(files), orthanc.log_text()
    for inst in new:
        tags = orthanc.get(f"/instances/{inst}/simplified-tags")
        assert tags["PatientID"] != PHI_ID and "Verdi" not in tags.get("PatientName", "")
        assert tags["StudyInstanceUID"] == arca_uid
    log = env.httpd.error_log()
    assert PHI_ID not in log and "Verdi" not in log
