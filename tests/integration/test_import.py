"""DICOM import through XNAT's import service, direct to the archive: zip and single
files, de-identification before storage, session building, idempotency, refusals that
store nothing. (The prearchive is not served yet.)"""

import io
import subprocess
import os
import uuid
import zipfile

import pytest
import requests

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

PHI_NAME = "Rossi^Mario"
PHI_ID = "PAT-0042-SECRET"


def instances(n_series=2, per_series=3, study_uid=None):
    """CT instances made from pydicom's CT_small, with PHI in them."""
    study_uid = study_uid or pydicom.uid.generate_uid()
    out = []
    for s in range(1, n_series + 1):
        series_uid = pydicom.uid.generate_uid()
        for i in range(1, per_series + 1):
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
            ds.PatientName, ds.PatientID = PHI_NAME, PHI_ID
            ds.PatientAddress = "Via Roma 1, Pisa"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesNumber, ds.InstanceNumber = s, i
            ds.SeriesDescription = f"Axial {s}"
            buf = io.BytesIO()
            ds.save_as(buf, write_like_original=False)
            out.append((f"{PHI_NAME}_{s}_{i}.dcm", buf.getvalue()))
    return out


def file_rows(env, project):
    return int(env.sql(
        "SELECT count(*) FROM arca_file f JOIN arca_resource r ON r.pk = f.resource_pk "
        "JOIN arca_scan s ON s.pk = r.scan_pk JOIN arca_experiment e ON e.id = "
        f"s.experiment_id WHERE e.project = '{project}'")[0][0])


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def project(env):
    p = f"Imp{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def import_(env, body, project, subject="Sub1", session="Sess1", **params):
    q = {"import-handler": "DICOM-zip", "PROJECT_ID": project, "SUBJECT_ID": subject,
         "EXPT_LABEL": session, "dest": "/archive", "inbody": "true"}
    q.update(params)
    return env.session().post(env.url("/data/services/import"), params=q, data=body,
                              headers={"Content-Type": "application/zip"})


def stored_files(env, project):
    root = os.path.join(env.httpd.root, "archive", project)
    for d, _, names in os.walk(root):
        for n in names:
            yield os.path.join(d, n)


class TestImport:
    def test_zip_builds_a_ct_session_with_scans(self, env, project):
        r = import_(env, zipped(instances()), project)
        assert r.status_code == 200, r.text
        assert r.text.strip() == f"/data/archive/projects/{project}/subjects/Sub1/experiments/Sess1"
        s = env.session()
        exp = s.get(env.url(f"/data/projects/{project}/subjects/Sub1/experiments/Sess1"
                            "?format=json")).json()["items"][0]
        assert exp["meta"]["xsi:type"] == "xnat:ctSessionData"
        scans = s.get(env.url(f"/data/projects/{project}/subjects/Sub1/experiments/Sess1/"
                              "scans?format=json")).json()["ResultSet"]["Result"]
        assert [(x["ID"], x["series_description"], x["xsiType"]) for x in scans] == \
            [("1", "Axial 1", "xnat:ctScanData"), ("2", "Axial 2", "xnat:ctScanData")]
        files = s.get(env.url(f"/data/projects/{project}/subjects/Sub1/experiments/Sess1/"
                              "scans/1/resources/DICOM/files?format=json")).json()
        assert files["ResultSet"]["totalRecords"] == "3"

    def test_phi_is_gone_before_storage(self, env, project):
        """The project's script puts the archive's labels in and removes the address (the
        site's script runs first, whatever other tests left there). Neither name, ID nor
        address is on disk or in the database."""
        env.session().put(env.url(f"/xapi/anonymize/projects/{project}"),
                          data='version "6.1"\n(0010,0010) := subject\n'
                               '(0010,0020) := session\n-(0010,1040)\n')
        assert import_(env, zipped(instances(1, 2)), project).ok
        blobs = b"".join(open(f, "rb").read() for f in stored_files(env, project))
        assert blobs and b"Rossi" not in blobs and PHI_ID.encode() not in blobs
        assert b"Via Roma" not in blobs
        names = [os.path.basename(f) for f in stored_files(env, project)]
        assert all(n.endswith(".dcm") and "Rossi" not in n for n in names)
        dump = env.sql(f"SELECT string_agg(t::text, ' ') FROM arca_file t")[0][0] or ""
        assert "Rossi" not in dump and PHI_ID not in dump
        ds = pydicom.dcmread(next(stored_files(env, project)))
        assert str(ds.PatientName) == "Sub1" and ds.PatientID == "Sess1"

    def test_same_instances_twice_are_stored_once(self, env, project):
        body = zipped(instances(1, 3))
        assert import_(env, body, project).ok
        assert import_(env, body, project, overwrite="append").ok
        assert len(list(stored_files(env, project))) == 3
        assert file_rows(env, project) == 3

    def test_single_file_gradual(self, env, project):
        (_, data), = instances(1, 1)
        r = env.session().post(env.url("/data/services/import"), data=data, params={
            "import-handler": "gradual-DICOM", "PROJECT_ID": project, "SUBJECT_ID": "G1",
            "EXPT_LABEL": "GS1", "dest": "/archive"},
            headers={"Content-Type": "application/dicom"})
        assert r.status_code == 200, r.text
        assert "experiments/GS1" in r.text

    def test_bad_members_are_reported_while_the_rest_imports(self, env, project):
        good = instances(1, 2)
        truncated = instances(1, 1)[0][1][:-1000]  # cut inside the pixel data
        files = good + [("notdicom.dcm", b"this is not DICOM at all" * 10),
                        ("cut.dcm", truncated)]
        r = import_(env, zipped(files), project, report="full")
        assert r.status_code == 200, r.text
        lines = r.text.strip().splitlines()
        assert lines[0].endswith("/experiments/Sess1")
        assert any(l.startswith("rejected notdicom.dcm: not a DICOM") for l in lines)
        assert any(l.startswith("rejected cut.dcm:") for l in lines)
        assert r.headers["X-Arca-Rejected"] == "2"
        assert len(list(stored_files(env, project))) == 2
        # the cut file's study opened no session: its rows went with it
        assert len(lines) == 3 and env.sql(
            f"SELECT count(*) FROM arca_experiment WHERE project = '{project}'") == [["1"]]

    def test_only_bad_members_is_a_400_storing_nothing(self, env, project):
        r = import_(env, zipped([("a.txt", b"hello"), ("b.bin", b"\0" * 300)]), project)
        assert r.status_code == 400 and "rejected a.txt" in r.text
        assert list(stored_files(env, project)) == []
        assert env.sql(f"SELECT count(*) FROM arca_experiment WHERE project = '{project}'") \
            == [["0"]]

    def test_script_error_stores_nothing(self, env, project):
        env.session().put(env.url(f"/xapi/anonymize/projects/{project}"),
                          data='version "6.1"\n(0008,0020) := shiftDateByIncrement[(0010,0010), "x"]\n')
        r = import_(env, zipped(instances(1, 1)), project)
        assert r.status_code == 400 and "line 2" in r.text
        assert list(stored_files(env, project)) == []

    def test_data_without_names_waits_in_the_projects_prearchive(self, env, project):
        r = env.session().post(env.url("/data/services/import"), data=zipped(instances(1, 1)),
                               params={"PROJECT_ID": project, "dest": "/archive"})
        assert r.status_code == 200, r.text
        assert r.text.startswith(f"/data/prearchive/projects/{project}/")
        assert list(stored_files(env, project)) == []

    def test_access_and_bad_parameters(self, env, project):
        login = f"imp_{uuid.uuid4().hex[:6]}"
        env.session().post(env.url("/xapi/users"), json={"username": login,
                                                         "password": "Imp-pw-1"})
        r = env.session(auth=(login, "Imp-pw-1")).post(
            env.url("/data/services/import"), data=b"x",
            params={"PROJECT_ID": project, "dest": "/archive"})
        assert r.status_code == 404  # a private project it may not know of
        assert import_(env, b"x", project, **{"import-handler": "XAR"}).status_code == 400
        assert import_(env, b"x", project, dest="/elsewhere").status_code == 400


class TestPrearchive:
    def test_wait_then_archive(self, env, project):
        r = import_(env, zipped(instances(1, 2)), project, subject="PS1", session="PSess1",
                    dest=f"/prearchive/projects/{project}")
        assert r.status_code == 200, r.text
        url = r.text.strip()
        assert url.startswith(f"/data/prearchive/projects/{project}/") and url.endswith("/PSess1")
        rows = env.session().get(env.url(f"/data/prearchive/projects/{project}?format=json")) \
            .json()["ResultSet"]["Result"]
        assert [(x["folderName"], x["subject"], x["status"]) for x in rows] == \
            [("PSess1", "PS1", "READY")]
        # nothing in the archive yet
        assert env.session().get(env.url(
            f"/data/projects/{project}/subjects/PS1")).status_code == 404
        r = env.session().post(env.url(url + "?action=commit"))
        assert r.status_code == 200, r.text
        assert r.text.strip() == \
            f"/data/archive/projects/{project}/subjects/PS1/experiments/PSess1"
        files = env.session().get(env.url(
            f"/data/projects/{project}/subjects/PS1/experiments/PSess1/scans/1/resources/"
            "DICOM/files?format=json")).json()
        assert files["ResultSet"]["totalRecords"] == "2"
        assert env.session().get(env.url(
            f"/data/prearchive/projects/{project}?format=json")).json()["ResultSet"] \
            ["totalRecords"] == "0"
        pre = os.path.join(env.httpd.root, "prearchive", project)
        assert not os.path.exists(pre) or not any(os.scandir(pre))

    def test_unassigned_needs_names_to_archive(self, env, project):
        r = env.session().post(env.url("/data/services/import"), data=zipped(instances(1, 1)),
                               params={"dest": "/prearchive", "inbody": "true"},
                               headers={"Content-Type": "application/zip"})
        assert r.status_code == 200, r.text
        url = r.text.strip()
        assert url.startswith("/data/prearchive/projects/Unassigned/")
        src = url[len("/data"):]
        r = env.session().post(env.url("/data/services/archive"), params={"src": src})
        assert r.status_code == 400
        r = env.session().post(env.url("/data/services/archive"), params={
            "src": src, "project": project, "subject": "U1", "label": "U1_CT"})
        assert r.status_code == 200, r.text
        assert r.text.strip().endswith("/subjects/U1/experiments/U1_CT")

    def test_delete_and_access(self, env, project):
        r = import_(env, zipped(instances(1, 1)), project, dest="/prearchive")
        url = r.text.strip()
        login = f"pre_{uuid.uuid4().hex[:6]}"
        env.session().post(env.url("/xapi/users"), json={"username": login,
                                                         "password": "Pre-pw-1"})
        stranger = env.session(auth=(login, "Pre-pw-1"))
        assert stranger.delete(env.url(url)).status_code == 404
        assert stranger.get(env.url("/data/prearchive/projects?format=json")).json() \
            ["ResultSet"]["totalRecords"] == "0"
        assert env.session().delete(env.url(url)).status_code == 200
        assert env.session().delete(env.url(url)).status_code == 404


# PS3.15 Annex E basic-profile attributes (string VRs), each given a marker value.
PROFILE_ATTRIBUTES = [
    "PatientName", "PatientID", "OtherPatientIDs", "OtherPatientNames", "PatientBirthName",
    "PatientAddress", "PatientMotherBirthName", "PatientTelephoneNumbers", "EthnicGroup",
    "Occupation", "AdditionalPatientHistory", "PatientComments", "AdmissionID",
    "AccessionNumber", "StudyID", "StudyDescription", "SeriesDescription", "ProtocolName",
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName",
    "ReferringPhysicianName", "ReferringPhysicianAddress", "PhysiciansOfRecord",
    "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "OperatorsName",
    "RequestingPhysician", "RequestingService", "RequestedProcedureDescription",
    "RequestedProcedureID", "StudyComments", "ImageComments", "PerformedProcedureStepID",
    "PerformedProcedureStepDescription", "StationName", "DeviceSerialNumber", "DetectorID",
]
MARK_UID_ROOT = "1.2.826.0.1.3680043.9.7777."


class TestBasicProfile:
    def test_no_marker_survives_anywhere(self, env, project):
        s = env.session()
        assert s.put(env.url(f"/data/projects/{project}/config/anon/basicProfile"),
                     data="on").ok
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        markers = []
        for i, name in enumerate(PROFILE_ATTRIBUTES):
            value = f"PHIMARK{i:03d}X"
            setattr(ds, name, value)
            markers.append(value.encode())
        ds.PatientBirthDate = "19230405"
        markers.append(b"19230405")
        ds.add_new(0x00290010, "LO", "PHIMARK CREATOR")
        ds.add_new(0x00291010, "LO", "PHIMARKPRIVATE")
        markers += [b"PHIMARK CREATOR", b"PHIMARKPRIVATE"]
        for k, tag in enumerate(("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                                 "FrameOfReferenceUID")):
            setattr(ds, tag, MARK_UID_ROOT + str(k + 1))
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        markers.append(MARK_UID_ROOT.encode())
        buf = io.BytesIO()
        ds.save_as(buf, write_like_original=False)
        r = import_(env, zipped([("phi.dcm", buf.getvalue())]), project)
        assert r.status_code == 200, r.text
        stored = list(stored_files(env, project))
        assert len(stored) == 1
        data = open(stored[0], "rb").read()
        assert [m for m in markers if m in data] == []
        out = pydicom.dcmread(stored[0])
        assert out.PatientIdentityRemoved == "YES" and out.DeidentificationMethod
        assert out.SOPInstanceUID != ds.SOPInstanceUID
        assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
        # the database and the logs
        dump = subprocess.run([os.path.join(env.pg.bin, "pg_dump"), "-h", env.pg.sockdir,
                               "-U", "arca", "arca"], capture_output=True, check=True).stdout
        logs = b"".join(open(os.path.join(env.httpd.root, "log", f), "rb").read()
                        for f in os.listdir(os.path.join(env.httpd.root, "log")))
        for where, blob in (("database", dump), ("logs", logs)):
            assert [m for m in markers if m in blob] == [], where

    def test_uids_map_the_same_way_within_a_project(self, env, project):
        env.session().put(env.url(f"/data/projects/{project}/config/anon/basicProfile"),
                          data="on")
        study = pydicom.uid.generate_uid()
        first = instances(1, 1, study_uid=study)
        second = instances(1, 1, study_uid=study)
        assert import_(env, zipped(first), project).ok
        assert import_(env, zipped(second), project, session="Sess2").ok
        studies = {pydicom.dcmread(f).StudyInstanceUID for f in stored_files(env, project)}
        assert len(studies) == 1 and study not in studies


class TestOverwrite:
    def test_none_refuses_an_existing_session_and_stores_nothing(self, env, project):
        assert import_(env, zipped(instances(1, 2)), project).ok
        before = sorted(stored_files(env, project))
        r = import_(env, zipped(instances(1, 3)), project)
        assert r.status_code == 409 and "overwrite=append" in r.text
        assert sorted(stored_files(env, project)) == before and file_rows(env, project) == 2
        r = import_(env, zipped(instances(1, 1)), project, overwrite="sometimes")
        assert r.status_code == 400 and "append" in r.text

    def test_append_adds_and_replaces_the_same_instance(self, env, project):
        first = instances(1, 2)
        assert import_(env, zipped(first), project).ok
        again = instances(1, 1, study_uid=None)
        r = import_(env, zipped(first[:1] + again), project, overwrite="append")  # 1 again, 1 new
        assert r.status_code == 200, r.text
        assert file_rows(env, project) == 3 and len(list(stored_files(env, project))) == 3

    def test_delete_replaces_the_sessions_scans(self, env, project):
        assert import_(env, zipped(instances(2, 2)), project).ok
        assert file_rows(env, project) == 4
        r = import_(env, zipped(instances(1, 1)), project, overwrite="delete")
        assert r.status_code == 200, r.text
        assert file_rows(env, project) == 1 and len(list(stored_files(env, project))) == 1
        scans = env.get(f"/data/projects/{project}/subjects/Sub1/experiments/Sess1/scans"
                        "?format=json").json()["ResultSet"]["Result"]
        assert [s["ID"] for s in scans] == ["1"]

    def test_a_failed_append_puts_back_what_it_replaced(self, env, project):
        good = instances(1, 2)
        assert import_(env, zipped(good), project).ok
        before = {f: open(f, "rb").read() for f in stored_files(env, project)}
        # the same instances again, then a script error on a later one: all is undone
        env.session().put(env.url(f"/xapi/anonymize/projects/{project}"),
                          data='version "6.1"\n(0010,4000) = "x" ? (0008,0020) := '
                               'shiftDateByIncrement[(0010,0010), "x"]\n')
        r = import_(env, zipped(good), project, overwrite="append")
        env.session().put(env.url(f"/xapi/anonymize/projects/{project}"), data="")
        assert r.status_code in (200, 400)
        after = {f: open(f, "rb").read() for f in stored_files(env, project)}
        assert after.keys() == before.keys() and file_rows(env, project) == 2
        if r.status_code == 400:
            assert after == before


class TestRouting:
    def named(self, **fields):
        out = []
        for name, data in instances(1, 2):
            ds = pydicom.dcmread(io.BytesIO(data))
            for k, v in fields.items():
                setattr(ds, k, v)
            buf = io.BytesIO()
            ds.save_as(buf, write_like_original=False)
            out.append((name, buf.getvalue()))
        return zipped(out)

    def post(self, env, body, **params):
        q = {"import-handler": "DICOM-zip", "dest": "/archive", "inbody": "true"}
        q.update(params)
        return env.session().post(env.url("/data/services/import"), params=q, data=body,
                                  headers={"Content-Type": "application/zip"})

    def test_project_subject_session_from_patient_comments(self, env, project):
        r = self.post(env, self.named(PatientComments=f"Project: {project} Subject: RS1 "
                                                      "Session: RE1"))
        assert r.status_code == 200, r.text
        assert r.text.strip() == f"/data/archive/projects/{project}/subjects/RS1/experiments/RE1"

    def test_project_from_study_description(self, env, project):
        r = self.post(env, self.named(StudyDescription=project,
                                      StudyComments="subject: RS2 session: RE2"))
        assert r.status_code == 200, r.text
        assert r.text.strip() == f"/data/archive/projects/{project}/subjects/RS2/experiments/RE2"

    def test_unroutable_data_waits_unassigned(self, env, project):
        r = self.post(env, self.named(StudyDescription="CT CHEST W/O",
                                      PatientComments="Project: NoSuchProject9"))
        assert r.status_code == 200, r.text
        assert r.text.startswith("/data/prearchive/projects/Unassigned/")
        listed = env.get("/data/prearchive/projects/Unassigned?format=json").json()
        assert any(row["url"] == r.text.strip()[5:] for row in listed["ResultSet"]["Result"])

    def test_a_project_the_uploader_may_not_write_is_not_a_route(self, env, project):
        login = f"rt_{uuid.uuid4().hex[:6]}"
        env.session().post(env.url("/xapi/users"), json={"username": login,
                                                         "password": "Rt-pw-1"})
        s = env.session(auth=(login, "Rt-pw-1"))
        r = s.post(env.url("/data/services/import"), data=self.named(
            PatientComments=f"Project: {project} Subject: X Session: Y"),
            params={"dest": "/archive", "inbody": "true"})
        assert r.status_code == 200, r.text
        assert r.text.startswith("/data/prearchive/projects/Unassigned/")
        assert list(stored_files(env, project)) == []

    def test_an_anonymous_uploader_is_asked_to_log_in_for_a_project_it_can_see(self, env,
                                                                              project):
        """Where a site lets anyone upload: data naming a project the anonymous client can
        see (but not write to) is a 401, as REST answers; data naming none waits under
        Unassigned."""
        assert env.session().put(
            env.url(f"/data/projects/{project}/accessibility/public")).ok
        env.httpd.write_snippet("anonymous-import", """
<LocationMatch "^/data/services/import$">
    Require all granted
</LocationMatch>
""")
        env.httpd.restart()
        try:
            q = {"import-handler": "DICOM-zip", "dest": "/archive", "inbody": "true"}
            r = requests.post(env.url("/data/services/import"), params=q, headers={
                "Content-Type": "application/zip"}, data=self.named(
                    PatientComments=f"Project: {project} Subject: X Session: Y"))
            assert r.status_code == 401, r.text
            assert r.text.strip() == "The request requires user authentication"
            r = requests.post(env.url("/data/services/import"), params=q, headers={
                "Content-Type": "application/zip"}, data=self.named(
                    PatientComments="Subject: X Session: Y"))
            assert r.status_code == 200, r.text
            assert r.text.startswith("/data/prearchive/projects/Unassigned/")
            assert list(stored_files(env, project)) == []
        finally:
            env.httpd.remove_snippet("anonymous-import")
            env.httpd.restart()


class TestArchiveLimits:
    def test_a_decompression_bomb_is_refused(self, env, project):
        # one member of 50 MB of zeros: a ratio of about 1000
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a/b.dcm", bytes(50 * 1024 * 1024))
        r = import_(env, buf.getvalue(), project)
        assert r.status_code == 413 and "ArcaImportMaxRatio" in r.text
        assert list(stored_files(env, project)) == []

    def test_deep_member_names_are_refused(self, env, project):
        (name, data), = instances(1, 1)
        r = import_(env, zipped([("/".join(["d"] * 40) + "/x.dcm", data)]), project)
        assert r.status_code == 413 and "ArcaImportMaxDepth" in r.text

    def test_unsafe_member_names_are_refused(self, env, project):
        (name, data), = instances(1, 1)
        for bad in ("../../etc/x.dcm", "/abs/x.dcm"):
            r = import_(env, zipped([("ok.dcm", data), (bad, data)]), project)
            assert r.status_code == 400, (bad, r.text)
            assert list(stored_files(env, project)) == []

    def test_dest_names_the_session(self, env, project):
        r = import_(env, zipped(instances(1, 1)), project, subject="", session="",
                    dest=f"/archive/projects/{project}/subjects/DS1/experiments/DE1")
        assert r.status_code == 200, r.text
        assert r.text.strip().endswith("/subjects/DS1/experiments/DE1")
        r = import_(env, b"x", project, dest="/archive/projects/../x")
        assert r.status_code == 400


class TestForms:
    """XNAT's upload page and older tools send the archive as a multipart form."""

    def post(self, env, files, project, **params):
        q = {"import-handler": "DICOM-zip", "PROJECT_ID": project, "SUBJECT_ID": "F1",
             "EXPT_LABEL": "FE1", "dest": "/archive"}
        q.update(params)
        return env.session().post(env.url("/data/services/import"), params=q, files=files)

    def test_a_zip_in_a_form(self, env, project):
        r = self.post(env, {"image_archive": ("upload.zip", zipped(instances(2, 3)),
                                              "application/zip")}, project)
        assert r.status_code == 200, r.text
        assert r.text.strip().endswith("/subjects/F1/experiments/FE1")
        assert file_rows(env, project) == 6

    def test_two_files_and_a_field(self, env, project):
        a, b = instances(1, 1), instances(1, 1)
        files = [("note", (None, "a form field, not a file")),
                 ("f1", ("a.zip", zipped(a), "application/zip")),
                 ("f2", ("b.dcm", b[0][1], "application/dicom"))]
        r = self.post(env, files, project, overwrite="append")
        assert r.status_code == 200, r.text
        assert file_rows(env, project) == 2

    def test_a_truncated_form_stores_nothing(self, env, project):
        body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.zip\"\r\n"
                b"Content-Type: application/zip\r\n\r\n" + zipped(instances(1, 2))[:-30])
        r = env.session().post(env.url("/data/services/import"), data=body, params={
            "PROJECT_ID": project, "SUBJECT_ID": "F1", "EXPT_LABEL": "FE1", "dest": "/archive"},
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
        assert r.status_code == 400, r.text
        assert file_rows(env, project) == 0 and list(stored_files(env, project)) == []


class TestDiskFull:
    """A full disk answers 507 and leaves nothing behind: no rows, no files, the space
    freed (a small tmpfs stands for the full archive filesystem)."""

    @pytest.fixture
    def full_server(self, env):
        from arca_env import IS_ROOT, RUN_USER
        import pwd
        if not IS_ROOT:
            pytest.skip("mounting a small filesystem needs root")
        server = env.new_server(f"full{uuid.uuid4().hex[:6]}")
        archive = os.path.join(server.root, "archive")
        pw = pwd.getpwnam(RUN_USER)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                  f"size=2m,mode=2775,uid={pw.pw_uid},gid={pw.pw_gid}",
                                  "tmpfs", archive], capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
        try:
            server.start()
            yield server, archive
        finally:
            server.stop()
            subprocess.run(["umount", archive], check=False)

    def test_507_and_nothing_half_written(self, env, project, full_server):
        server, archive = full_server
        s = env.session()
        url = server.base_url + "/data/services/import"
        params = {"import-handler": "DICOM-zip", "PROJECT_ID": project, "SUBJECT_ID": "D1",
                  "EXPT_LABEL": "DE1", "dest": "/archive", "inbody": "true"}
        r = s.post(url, params=params, data=zipped(instances(4, 20)))  # ~3 MB unpacked
        assert r.status_code == 507, r.text
        assert file_rows(env, project) == 0
        left = [os.path.join(d, f) for d, _, fs in os.walk(archive) for f in fs]
        assert left == []
        # the space was given back: a small upload fits
        r = s.post(url, params=params, data=zipped(instances(1, 2)))
        assert r.status_code == 200, r.text
        assert file_rows(env, project) == 2


class TestResourceExtract:
    """extract=true into a session's DICOM resource is an import into that session."""

    def test_zip_into_the_sessions_dicom_resource(self, env, project):
        s = env.session()
        s.put(env.url(f"/xapi/anonymize/projects/{project}"),
              data='version "6.1"\n(0010,0010) := subject\n(0010,0020) := session\n')
        base = f"/data/projects/{project}/subjects/X1/experiments/XE1"
        assert s.put(env.url(f"/data/projects/{project}/subjects/X1")).status_code in (200, 201)
        assert s.put(env.url(base + "?xsiType=xnat:ctSessionData")).status_code in (200, 201)
        r = s.put(env.url(base + "/resources/DICOM/files?extract=true"),
                  data=zipped(instances(2, 2)),
                  headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        assert file_rows(env, project) == 4
        names = [os.path.basename(f) for f in stored_files(env, project)]
        assert all("Rossi" not in n for n in names)
        ds = pydicom.dcmread(next(stored_files(env, project)))
        assert (str(ds.PatientName), ds.PatientID) == ("X1", "XE1")
        scans = s.get(env.url(base + "/scans?format=json")).json()["ResultSet"]["Result"]
        assert sorted(x["ID"] for x in scans) == ["1", "2"]

    def test_other_resources_still_unpack_as_they_are(self, env, project):
        s = env.session()
        base = f"/data/projects/{project}/subjects/X2/experiments/XE2"
        s.put(env.url(f"/data/projects/{project}/subjects/X2"))
        s.put(env.url(base + "?xsiType=xnat:ctSessionData"))
        r = s.put(env.url(base + "/resources/NOTES/files?extract=true"),
                  data=zipped([("a.txt", b"hello")]),
                  headers={"Content-Type": "application/octet-stream"})
        assert r.status_code in (200, 201), r.text
        files = s.get(env.url(base + "/resources/NOTES/files?format=json")).json()
        assert [f["Name"] for f in files["ResultSet"]["Result"]] == ["a.txt"]


class TestArchivingUnassignedData:
    def test_the_target_projects_deidentification_runs_when_archived(self, env, project):
        """Data that waited under Unassigned had the site's script only: archived into a
        project, that project's script runs before anything reaches the archive."""
        s = env.session()
        s.put(env.url(f"/xapi/anonymize/projects/{project}"),
              data='version "6.1"\n-(0010,1040)\n(0010,0020) := "scrubbed"\n')
        r = s.post(env.url("/data/services/import"), data=zipped(instances(1, 2)),
                   params={"import-handler": "DICOM-zip", "dest": "/archive"},
                   headers={"Content-Type": "application/zip"})
        assert r.status_code == 200 and "/Unassigned/" in r.text, r.text
        src = r.text.strip()[len("/data"):]
        r = s.post(env.url("/data/services/archive"), data={
            "src": src, "project": project, "subject": "U1", "label": "UE1"})
        assert r.status_code == 200, r.text
        files = list(stored_files(env, project))
        assert len(files) == 2
        for f in files:
            ds = pydicom.dcmread(f)
            assert "PatientAddress" not in ds and ds.PatientID == "scrubbed"

    def test_data_received_for_the_project_is_not_deidentified_again(self, env, project):
        """Data received for the project had its Basic Profile: archived there, the UIDs
        are not remapped a second time."""
        s = env.session()
        assert s.put(env.url(f"/data/projects/{project}/config/anon/basicProfile"),
                     data="on").ok
        r = s.post(env.url("/data/services/import"), data=zipped(instances(1, 1)),
                   params={"import-handler": "DICOM-zip", "PROJECT_ID": project,
                           "SUBJECT_ID": "R1", "EXPT_LABEL": "RE1", "dest": "/prearchive"},
                   headers={"Content-Type": "application/zip"})
        assert r.status_code == 200 and f"/{project}/" in r.text, r.text
        waiting = [os.path.join(d, n) for d, _, names in
                   os.walk(os.path.join(env.httpd.root, "prearchive", project)) for n in names]
        assert len(waiting) == 1
        uid = pydicom.dcmread(waiting[0]).SOPInstanceUID
        r = s.post(env.url("/data/services/archive"), data={"src": r.text.strip()[5:]})
        assert r.status_code == 200, r.text
        files = list(stored_files(env, project))
        assert [pydicom.dcmread(f).SOPInstanceUID for f in files] == [uid]


class TestDefaultDestination:
    """Without dest, XNAT's rule: the prearchive, unless the project archives what it
    receives (prearchive_code 4 or 5)."""

    def post(self, env, project, **extra):
        q = {"import-handler": "DICOM-zip", "PROJECT_ID": project, "SUBJECT_ID": "DD1",
             "EXPT_LABEL": "DDE1"}
        q.update(extra)
        return env.session().post(env.url("/data/services/import"), params=q,
                                  data=zipped(instances(1, 1)),
                                  headers={"Content-Type": "application/zip"})

    def test_waits_in_the_prearchive_by_default(self, env, project):
        r = self.post(env, project)
        assert r.status_code == 200 and r.text.startswith(
            f"/data/prearchive/projects/{project}/"), r.text

    def test_a_project_that_auto_archives_takes_it(self, env, project):
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
        r = self.post(env, project)
        assert r.text.strip() == \
            f"/data/archive/projects/{project}/subjects/DD1/experiments/DDE1", r.text
        assert self.post(env, project).status_code == 409  # code 4: no merging
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/5")).ok
        assert self.post(env, project).status_code == 200  # code 5: adds to it
        assert file_rows(env, project) == 2

    def test_direct_archive(self, env, project):
        r = self.post(env, project, **{"Direct-Archive": "true"})
        assert r.text.startswith("/data/archive/"), r.text
