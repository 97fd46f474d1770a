"""The rows of stored files, as the two writers leave them: a resource upload replaces a
row whole; a DICOM instance the import receives again takes its new size and digest, keeps
the row's format, content and tags, and adds no frame to its scan. Also which subject a
new experiment's subject_ID names when a label and an ID could both match."""

import hashlib
import io
import uuid
import xml.etree.ElementTree as ET

import pytest

from test_import import import_, instances, pydicom, zipped

CAT = "{http://nrg.wustl.edu/catalog}"


@pytest.fixture
def project(env):
    p = f"Rows{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def catalog(env, resource):
    r = env.get(resource)
    assert r.status_code == 200, r.text
    return {e.get("ID"): dict(e.attrib) for e in ET.fromstring(r.content).iter(CAT + "entry")}


def frames(env, session):
    rows = env.get(session + "/scans", params={"format": "json", "columns": "ID,frames"}) \
        .json()["ResultSet"]["Result"]
    return {x["ID"]: x["frames"] for x in rows}


def test_an_upload_over_a_file_replaces_its_whole_row(env, project):
    s = env.session()
    res = f"/data/projects/{project}/resources/R1"
    r = s.put(env.url(res + "/files/a.txt"), data=b"first",
              params={"format": "TXT", "content": "NOTES", "tags": "t1"})
    assert r.status_code == 200, r.text
    assert catalog(env, res)["a.txt"] == {
        "ID": "a.txt", "URI": "a.txt", "size": "5", "digest": hashlib.md5(b"first").hexdigest(),
        "format": "TXT", "content": "NOTES", "tags": "t1"}
    assert s.put(env.url(res + "/files/a.txt"), data=b"again").status_code == 409
    r = s.put(env.url(res + "/files/a.txt"), data=b"second!", params={"overwrite": "true"})
    assert r.status_code == 200, r.text
    # no format, content or tags given: the new row has none
    assert catalog(env, res)["a.txt"] == {
        "ID": "a.txt", "URI": "a.txt", "size": "7",
        "digest": hashlib.md5(b"second!").hexdigest()}


def test_an_instance_received_again_keeps_its_row_and_its_frame_count(env, project):
    session = f"/data/projects/{project}/subjects/Sub1/experiments/Sess1"
    dicom = session + "/scans/1/resources/DICOM"
    first = instances(1, 2)
    assert import_(env, zipped(first), project).ok
    assert frames(env, session) == {"1": "2"}
    entries = catalog(env, dicom)
    assert len(entries) == 2
    assert all((e["format"], e["content"]) == ("DICOM", "RAW") and "tags" not in e
               for e in entries.values())
    # one row given other format, content and tags (and other bytes) by an upload
    name = sorted(entries)[0]
    r = env.session().put(env.url(f"{dicom}/files/{name}"), data=b"x", params={
        "overwrite": "true", "format": "F", "content": "C", "tags": "T"})
    assert r.status_code == 200, r.text
    # both instances again, and a new one of the study: a frame more for the new one only
    study = pydicom.dcmread(io.BytesIO(first[0][1])).StudyInstanceUID
    (_, new), = instances(1, 1, study_uid=study)
    r = import_(env, zipped(first + [("new.dcm", new)]), project, overwrite="append")
    assert r.status_code == 200, r.text
    assert frames(env, session) == {"1": "3"}
    after = catalog(env, dicom)
    assert len(after) == 3
    assert (after[name]["format"], after[name]["content"], after[name]["tags"]) == \
        ("F", "C", "T")
    assert after[name]["size"] == entries[name]["size"]
    assert after[name]["digest"] == entries[name]["digest"]


def test_subject_id_names_a_label_before_an_id(env, project):
    """subject_ID finds the subject labelled so in the project before the one with that
    accession ID, as the path .../subjects/{name} does."""
    s = env.session()
    base = f"/data/projects/{project}/subjects"
    r = s.put(env.url(base + "/A"))
    assert r.status_code == 201, r.text
    a_id = r.text.strip()
    r = s.put(env.url(base + "/B"))
    assert r.status_code == 201, r.text
    b_id = r.text.strip()
    # B takes A's accession ID as its label
    assert s.put(env.url(base + "/B"), params={"label": a_id}).status_code == 200
    r = s.put(env.url(f"/data/projects/{project}/experiments/E1"),
              params={"xsiType": "xnat:mrSessionData", "subject_ID": a_id})
    assert r.status_code == 201, r.text
    rows = env.get(f"/data/projects/{project}/experiments",
                   params={"format": "json", "columns": "label,subject_ID"}) \
        .json()["ResultSet"]["Result"]
    assert [(x["label"], x["subject_ID"]) for x in rows] == [("E1", b_id)]
    item = env.get(f"{base}/{a_id}", params={"format": "json"}).json()["items"][0]
    assert item["data_fields"]["ID"] == b_id
