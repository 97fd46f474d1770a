"""XNAT's DICOM dump service as xnatpy asks for it (Services.dicom_dump: GET
/data/services/dicomdump with src, format=json and field= repeated; it reads
ResultSet.Result, rows of tag1, tag2, vr, value, desc). Scans ask with
src=/archive/projects/{project}/experiments/{experiment ID}/scans/{scan}, prearchive scans
with their URI minus /data."""

import io
import uuid
import zipfile

import pytest

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

PHI_NAME = "Verdi^Giuseppe"


def zipped(n_series=2):
    study = pydicom.uid.generate_uid()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for s in range(1, n_series + 1):
            series = pydicom.uid.generate_uid()
            for i in (1, 2):
                ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
                ds.PatientName, ds.PatientID = PHI_NAME, "PHI-77"
                ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
                ds.SOPInstanceUID = pydicom.uid.generate_uid()
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                ds.SeriesNumber, ds.InstanceNumber = s, i
                ds.SeriesDescription = f"Series {s}"
                ds.SpecificCharacterSet = "ISO_IR 100"
                ds.ImageComments = "Qualit\u00e0 buona"  # Latin-1 on disk
                ref = pydicom.Dataset()
                ref.ReferencedSOPClassUID = ds.SOPClassUID
                ref.ReferencedSOPInstanceUID = "1.2.3.4"
                ds.ReferencedImageSequence = pydicom.Sequence([ref])
                out = io.BytesIO()
                ds.save_as(out, write_like_original=False)
                z.writestr(f"{s}_{i}.dcm", out.getvalue())
    return buf.getvalue()


@pytest.fixture
def session(env):
    """A project with a CT session (DumpSub/DumpSess) of two scans; its script writes the
    subject's label into Patient's Name. Yields (project, experiment ID)."""
    p = f"Dump{uuid.uuid4().hex[:8]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
    s.put(env.url(f"/xapi/anonymize/projects/{p}"),
          data='version "6.1"\n(0010,0010) := subject\n(0010,0020) := session\n')
    r = s.post(env.url("/data/services/import"), data=zipped(), params={
        "import-handler": "DICOM-zip", "PROJECT_ID": p, "SUBJECT_ID": "DumpSub",
        "EXPT_LABEL": "DumpSess", "dest": "/archive", "inbody": "true"},
        headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    exp = s.get(env.url(f"/data/projects/{p}/subjects/DumpSub/experiments/DumpSess"
                        "?format=json")).json()["items"][0]["data_fields"]["ID"]
    yield p, exp
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def dump(env, src, fields=None, auth=None):
    params = {"src": src, "format": "json"}
    if fields is not None:
        params["field"] = fields
    return env.session(auth=auth).get(env.url("/data/services/dicomdump"), params=params)


def by_tag(rows):
    return {x["tag1"]: x for x in rows if x["tag2"] == ""}


class TestDicomDump:
    def test_scan_as_xnatpy_asks(self, env, session):
        p, exp = session
        r = dump(env, f"/archive/projects/{p}/experiments/{exp}/scans/2")
        assert r.status_code == 200, r.text
        rows = r.json()["ResultSet"]["Result"]
        assert all(set(x) == {"tag1", "tag2", "vr", "value", "desc"} for x in rows)
        tags = by_tag(rows)
        assert tags["(0010,0010)"]["value"] == "DumpSub"
        assert tags["(0010,0010)"]["vr"] == "PN"
        assert tags["(0020,0011)"]["value"] == "2"
        assert tags["(0008,103E)"]["value"] == "Series 2"
        assert tags["(0008,0060)"]["desc"] == "Modality"
        assert tags["(0002,0010)"]["value"]  # the file meta's transfer syntax
        assert "(7FE0,0010)" not in tags
        assert tags["(0020,4000)"]["value"] == "Qualit\u00e0 buona"
        assert tags["(0008,1140)"]["vr"] == "SQ" and tags["(0008,1140)"]["value"] == ""
        nested = [x for x in rows if x["tag1"] == "(0008,1140)" and x["tag2"]]
        assert {x["tag2"]: x["value"] for x in nested}["(0008,1155)"] == "1.2.3.4"
        assert all(x["desc"] for x in nested)
        assert PHI_NAME not in r.text and "PHI-77" not in r.text

    def test_session_dumps_its_first_scan(self, env, session):
        p, exp = session
        for src in (f"/archive/projects/{p}/subjects/DumpSub/experiments/DumpSess",
                    f"/data/experiments/{exp}", f"/data/archive/experiments/{exp}"):
            r = dump(env, src)
            assert r.status_code == 200, (src, r.text)
            tags = by_tag(r.json()["ResultSet"]["Result"])
            assert tags["(0020,0011)"]["value"] == "1"
            assert tags["(0010,0020)"]["value"] == "DumpSess"

    def test_fields_by_number_and_keyword(self, env, session):
        p, exp = session
        src = f"/archive/projects/{p}/experiments/{exp}/scans/1"
        r = dump(env, src, ["00100010", "SeriesDescription"])
        assert r.status_code == 200, r.text
        rows = r.json()["ResultSet"]["Result"]
        assert sorted((x["tag1"], x["value"]) for x in rows) == \
            [("(0008,103E)", "Series 1"), ("(0010,0010)", "DumpSub")]
        rows = dump(env, src, "TransferSyntaxUID").json()["ResultSet"]["Result"]
        assert len(rows) == 1 and rows[0]["tag1"] == "(0002,0010)"
        assert dump(env, src, "NoSuchKeyword").status_code == 400

    def test_prearchive_scan(self, env, session):
        p, _ = session
        s = env.session()
        r = s.post(env.url("/data/services/import"), data=zipped(1), params={
            "import-handler": "DICOM-zip", "PROJECT_ID": p, "SUBJECT_ID": "PreSub",
            "EXPT_LABEL": "PreSess", "dest": f"/prearchive/projects/{p}", "inbody": "true"},
            headers={"Content-Type": "application/zip"})
        assert r.status_code == 200, r.text
        uri = r.text.strip()
        for src in (uri[len("/data"):] + "/scans/1", uri[len("/data"):]):
            r = dump(env, src)
            assert r.status_code == 200, (src, r.text)
            assert by_tag(r.json()["ResultSet"]["Result"])["(0010,0010)"]["value"] == "PreSub"
        assert dump(env, uri[len("/data"):] + "/scans/9").status_code == 404

    def test_access_errors_and_formats(self, env, session):
        p, exp = session
        src = f"/archive/projects/{p}/experiments/{exp}/scans/1"
        login = f"dump_{uuid.uuid4().hex[:6]}"
        env.session().post(env.url("/xapi/users"), json={"username": login,
                                                         "password": "Dump-pw-1"})
        r = dump(env, src, auth=(login, "Dump-pw-1"))
        assert r.status_code == 404 and "DumpSub" not in r.text
        assert dump(env, f"/archive/projects/{p}/experiments/{exp}/scans/77").status_code \
            == 404
        assert env.session().get(env.url("/data/services/dicomdump")).status_code == 400
        r = dump(env, "/nowhere/at/all")
        assert r.status_code == 400 and "src" in r.text
        assert dump(env, f"/archive/projects/{p}/subjects/DumpSub").status_code == 400
        r = env.session().get(env.url("/data/services/dicomdump"),
                              params={"src": src, "format": "csv"})
        assert r.status_code == 200 and r.text.startswith("tag1,tag2,vr,value,desc")
        # xnatpy's get_json may leave format out: JSON is the default
        r = env.session().get(env.url("/data/services/dicomdump"), params={"src": src})
        assert r.json()["ResultSet"]["Result"]
