"""Reconstructions (xnat:reconstructedImageData): .../experiments/{E}/reconstructions/{R},
created, listed, read and deleted as pyxnat does it, with their output resources and files
at .../reconstructions/{R}/out/resources/{label}/files/{path}; access follows the session's
project, as for its scans."""

import io
import uuid
import zipfile
import xml.etree.ElementTree as ET

import pytest

from test_access import as_user, make_user

XNAT_NS = "{http://nrg.wustl.edu/xnat}"


@pytest.fixture(scope="module")
def session(env):
    """A CT session in a fresh private project; yields the session's path."""
    tag = uuid.uuid4().hex[:6]
    p = f"Recon{tag}"
    admin = env.session()
    assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
    assert admin.put(env.url(f"/data/projects/{p}/subjects/S1")).ok
    assert admin.put(env.url(f"/data/projects/{p}/subjects/S1/experiments/E1"
                             "?xsiType=xnat:ctSessionData")).ok
    yield {"project": p, "path": f"/data/projects/{p}/subjects/S1/experiments/E1",
           "tag": tag}
    admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def rows(r):
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


class TestWithPyxnat:
    def test_create_exists_list_delete(self, xnat, session):
        e = xnat.select.project(session["project"]).subject("S1").experiment("E1")
        reco = e.reconstruction("R_py")
        assert not reco.exists()
        reco.create()
        assert reco.exists()
        assert reco.datatype() == "xnat:reconstructedImageData"
        assert "R_py" in e.reconstructions().get()
        reco.delete()
        assert not reco.exists()

    def test_out_resource_files(self, xnat, session, tmp_path):
        e = xnat.select.project(session["project"]).subject("S1").experiment("E1")
        reco = e.reconstruction("R_files")
        reco.create()
        local = tmp_path / "brain.nii"
        local.write_bytes(b"NIfTI data\n")
        f = reco.out_resource("NIFTI").file("brain.nii")
        f.put(str(local))
        assert f.exists()
        assert reco.out_resource("NIFTI").exists()
        # (pyxnat's out_resources() collection makes no objects of its rows, whatever the
        # server: the label is checked through the listing it reads)
        listing = xnat._get_json(reco._uri + "/out/resources?format=json")
        assert [r["label"] for r in listing] == ["NIFTI"]
        assert reco.out_resource("NIFTI").files().get() == ["brain.nii"]
        got = f.get_copy(str(tmp_path / "copy.nii"))
        assert open(got, "rb").read() == b"NIfTI data\n"
        f.delete()
        assert not f.exists()
        reco.out_resource("NIFTI").delete()
        assert not reco.out_resource("NIFTI").exists()


class TestRest:
    def test_put_with_type_and_listing(self, env, session):
        s, base = env.session(), session["path"]
        r = s.put(env.url(f"{base}/reconstructions/R1?type=T1_recon&baseScanType=T1"))
        assert r.status_code == 201, r.text
        assert r.text == "R1"
        # a second PUT changes it
        r = s.put(env.url(f"{base}/reconstructions/R1?type=T1_brain"))
        assert r.status_code == 200, r.text
        got = rows(s.get(env.url(f"{base}/reconstructions?format=json")))
        row = next(x for x in got if x["ID"] == "R1")
        assert row["type"] == "T1_brain" and row["baseScanType"] == "T1"
        assert row["xsiType"] == "xnat:reconstructedImageData"
        eid = s.get(env.url(f"{base}?format=json")).json()["items"][0]["data_fields"]["ID"]
        assert row["URI"] == f"/data/experiments/{eid}/reconstructions/R1"
        csv = s.get(env.url(f"{base}/reconstructions?format=csv")).text
        assert csv.splitlines()[0].split(",")[:4] == [
            "xnat_reconstructedimagedata_id", "ID", "type", "baseScanType"]

    def test_item_json_and_xml(self, env, session):
        s, base = env.session(), session["path"]
        s.put(env.url(f"{base}/reconstructions/R2?type=DTI&baseScanType=DWI"))
        item = s.get(env.url(f"{base}/reconstructions/R2?format=json")).json()["items"][0]
        assert item["meta"]["xsi:type"] == "xnat:reconstructedImageData"
        assert item["data_fields"]["ID"] == "R2"
        assert item["data_fields"]["type"] == "DTI"
        assert item["data_fields"]["baseScanType"] == "DWI"
        r = s.get(env.url(f"{base}/reconstructions/R2?format=xml"))
        assert r.status_code == 200, r.text
        root = ET.fromstring(r.content)
        assert root.get("ID") == "R2" and root.get("type") == "DTI"
        assert root.find(f"{XNAT_NS}baseScanType").text == "DWI"

    def test_put_xml_document(self, env, session):
        s, base = env.session(), session["path"]
        doc = ('<xnat:ReconstructedImage xmlns:xnat="http://nrg.wustl.edu/xnat" '
               'ID="R3" type="PET_AC"><xnat:baseScanType>PET</xnat:baseScanType>'
               '</xnat:ReconstructedImage>')
        r = s.put(env.url(f"{base}/reconstructions/R3"), data=doc,
                  headers={"Content-Type": "text/xml"})
        assert r.status_code == 201, r.text
        row = rows(s.get(env.url(f"{base}/reconstructions?format=json&ID=R3")))[0]
        assert (row["type"], row["baseScanType"]) == ("PET_AC", "PET")

    def test_in_session_document(self, env, session):
        s, base = env.session(), session["path"]
        s.put(env.url(f"{base}/reconstructions/R4?type=MPR"))
        root = ET.fromstring(s.get(env.url(f"{base}?format=xml")).content)
        recons = root.find(f"{XNAT_NS}reconstructions")
        assert recons is not None
        ids = {x.get("ID"): x.get("type") for x in recons}
        assert ids["R4"] == "MPR"
        item = s.get(env.url(f"{base}?format=json")).json()["items"][0]
        child = next(c for c in item["children"]
                     if c["field"] == "reconstructions/reconstructedImage")
        assert any(i["data_fields"]["ID"] == "R4" for i in child["items"])

    def test_files_stored_under_the_session_and_zipped(self, env, session):
        s, base = env.session(), session["path"]
        s.put(env.url(f"{base}/reconstructions/R5"))
        r = s.put(env.url(f"{base}/reconstructions/R5/out/resources/SEG/files/a/seg.nii"),
                  data=b"segment", headers={"Content-Type": "application/octet-stream"})
        assert r.status_code in (200, 201), r.text
        files = rows(s.get(env.url(f"{base}/reconstructions/R5/out/resources/SEG/files"
                                   "?format=json")))
        assert [f["Name"] for f in files] == ["a/seg.nii"]
        assert "/reconstructions/R5/out/resources/" in files[0]["URI"]
        assert s.get(env.url(files[0]["URI"])).content == b"segment"
        d = env.sql("SELECT dir FROM arca_resource WHERE label = 'SEG'")[0][0]
        assert d == f"{session['project']}/arc001/E1/PROCESSED/R5/SEG"
        # the session's files include it
        z = s.get(env.url(f"{base}/files?format=zip"))
        assert z.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert any(n.endswith("E1/reconstructions/R5/out/resources/SEG/files/a/seg.nii")
                   for n in names), names
        # deleting the reconstruction removes its resources, and with removeFiles, files
        r = s.delete(env.url(f"{base}/reconstructions/R5?removeFiles=true"))
        assert r.status_code == 200, r.text
        assert env.sql("SELECT count(*) FROM arca_resource WHERE label = 'SEG'") == [["0"]]

    def test_unknown_is_404(self, env, session):
        s, base = env.session(), session["path"]
        assert s.get(env.url(f"{base}/reconstructions/nope?format=json")).status_code == 404
        assert s.get(env.url(f"{base}/reconstructions/nope/out/resources")).status_code == 404


class TestAccess:
    @pytest.fixture(scope="class")
    def users(self, env, session):
        tag, p = session["tag"], session["project"]
        admin = env.session()
        made = {}
        for role, group in (("member", "Members"), ("collab", "Collaborators")):
            made[role] = make_user(env, f"rc{role}_{tag}")
            assert admin.put(env.url(f"/data/projects/{p}/users/{group}/{made[role]}")).ok
        made["outsider"] = make_user(env, f"rcout_{tag}")
        r = admin.put(env.url(f"{session['path']}/reconstructions/RA"))
        assert r.status_code == 201, r.text
        return made

    def test_outsider_sees_nothing(self, env, session, users):
        s = as_user(env, users["outsider"])
        assert s.get(env.url(f"{session['path']}/reconstructions/RA?format=json")) \
            .status_code == 404
        assert s.put(env.url(f"{session['path']}/reconstructions/RX")).status_code == 404

    def test_collaborator_reads_only(self, env, session, users):
        s = as_user(env, users["collab"])
        assert s.get(env.url(f"{session['path']}/reconstructions?format=json")).ok
        assert s.put(env.url(f"{session['path']}/reconstructions/RC")).status_code == 403
        r = s.put(env.url(f"{session['path']}/reconstructions/RA/out/resources/X/files/f"),
                  data=b"x")
        assert r.status_code == 403

    def test_member_edits_but_does_not_delete(self, env, session, users):
        s = as_user(env, users["member"])
        assert s.put(env.url(f"{session['path']}/reconstructions/RM")).status_code == 201
        r = s.put(env.url(f"{session['path']}/reconstructions/RM/out/resources/X/files/f"),
                  data=b"x")
        assert r.status_code in (200, 201), r.text
        assert s.delete(env.url(f"{session['path']}/reconstructions/RM")).status_code == 403
