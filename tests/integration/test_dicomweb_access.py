"""DICOMweb and the one access decision: each role of a private project x QIDO, WADO and
STOW at both roots, a study shared into another project, 404 (never 403) for what a user
may not read; and the index behind it: filled by every import entry, rebuilt from the file
for an instance stored without it."""

import io
import uuid

import pydicom
import pytest

from dicomweb_util import multipart_parts, new_uid, obj, stow_body, value
from test_access import as_user, make_user

ROLES = ("owner", "member", "collaborator", "none", "admin")
GROUPS = {"owner": "Owners", "member": "Members", "collaborator": "Collaborators"}
READS = {"owner", "member", "collaborator", "admin"}
WRITES = {"owner", "member", "admin"}


@pytest.fixture(scope="module")
def world(env):
    tag = uuid.uuid4().hex[:6]
    admin = env.session()
    users = {role: make_user(env, f"dw{role[:5]}_{tag}") for role in ROLES if role != "admin"}
    users["other"] = make_user(env, f"dwother_{tag}")
    a, b = f"DWA{tag}", f"DWB{tag}"
    for p in (a, b):
        assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
        assert admin.put(env.url(f"/data/projects/{p}/accessibility/private")).ok
        assert admin.put(env.url(f"/data/projects/{p}/prearchive_code/4")).ok
    for role, group in GROUPS.items():
        assert admin.put(env.url(f"/data/projects/{a}/users/{group}/{users[role]}")).ok
    assert admin.put(env.url(f"/data/projects/{b}/users/Owners/{users['other']}")).ok
    st = new_uid()
    data = obj("CT_small.dcm", study=st, patient_id=f"P{tag}")
    body, ctype = stow_body([data])
    r = admin.post(env.url(f"/dicomweb/projects/{a}/studies"), data=body,
                   headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    subject, expt = env.sql(f"SELECT subject_id, id FROM arca_experiment WHERE uid = '{st}'")[0]
    ds = pydicom.dcmread(io.BytesIO(data))
    yield {"a": a, "b": b, "users": users, "st": st, "subject": subject, "expt": expt,
           "series": ds.SeriesInstanceUID, "sop": ds.SOPInstanceUID, "tag": tag}
    for p in (a, b):
        admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def client(env, world, role):
    return env.session() if role == "admin" else as_user(env, world["users"][role])


def studies(s, env, root, st):
    r = s.get(env.url(f"{root}/studies"), params={"StudyInstanceUID": st})
    return r.status_code, [value(x, "0020000D") for x in r.json()] if r.ok else None


@pytest.mark.parametrize("role", ROLES)
def test_qido_wado_by_role(env, world, role):
    s, st = client(env, world, role), world["st"]
    reads = role in READS
    # the whole-site root lists only readable studies; nothing else differs
    code, found = studies(s, env, "/dicomweb", st)
    assert code == 200 and (found == [st]) == reads
    # the project root of a private project a user cannot read does not exist for them
    code, found = studies(s, env, f"/dicomweb/projects/{world['a']}", st)
    assert (code, found) == ((200, [st]) if reads else (404, None))
    for root in ("/dicomweb", f"/dicomweb/projects/{world['a']}"):
        for path in (f"/studies/{st}/metadata", f"/studies/{st}",
                     f"/studies/{st}/series/{world['series']}/instances/{world['sop']}"
                     "/frames/1"):
            r = s.get(env.url(root + path))
            assert r.status_code == (200 if reads else 404), (role, root, path, r.text)
    # QIDO for series and instances of the study follow the same rule
    r = s.get(env.url(f"/dicomweb/studies/{st}/series"))
    assert r.status_code == 200 and bool(r.json()) == reads
    r = s.get(env.url("/dicomweb/instances"), params={"SOPInstanceUID": world["sop"]})
    assert r.status_code == 200 and bool(r.json()) == reads


@pytest.mark.parametrize("role", ROLES)
def test_stow_by_role(env, world, role):
    s = client(env, world, role)
    body, ctype = stow_body([obj("CT_small.dcm", patient_id=f"P{world['tag']}")])
    r = s.post(env.url(f"/dicomweb/projects/{world['a']}/studies"), data=body,
               headers={"Content-Type": ctype})
    expected = 200 if role in WRITES else 403 if role in READS else 404
    assert r.status_code == expected, (role, r.text)


def test_shared_study_appears_in_both_projects(env, world):
    admin = env.session()
    st = world["st"]
    other = as_user(env, world["users"]["other"])
    assert studies(other, env, "/dicomweb", st) == (200, [])
    r = admin.put(env.url(f"/data/projects/{world['a']}/subjects/{world['subject']}/"
                          f"experiments/{world['expt']}/projects/{world['b']}"))
    assert r.ok, r.text
    try:
        assert studies(other, env, "/dicomweb", st) == (200, [st])
        assert studies(other, env, f"/dicomweb/projects/{world['b']}", st) == (200, [st])
        assert studies(other, env, f"/dicomweb/projects/{world['a']}", st)[0] == 404
        assert other.get(env.url(f"/dicomweb/projects/{world['b']}/studies/{st}/metadata")).ok
        assert other.get(env.url(f"/dicomweb/projects/{world['a']}/studies/{st}/metadata")
                         ).status_code == 404
        owner = client(env, world, "owner")
        # the owner of A sees it in B's root? no: B is private and not theirs
        assert studies(owner, env, f"/dicomweb/projects/{world['b']}", st)[0] == 404
        assert studies(admin, env, f"/dicomweb/projects/{world['b']}", st) == (200, [st])
    finally:
        admin.delete(env.url(f"/data/projects/{world['b']}/subjects/{world['subject']}/"
                             f"experiments/{world['expt']}"))


def test_every_import_entry_fills_the_index(env, world):
    """An object imported through /data/services/import is indexed like a STOW-RS one."""
    st = new_uid()
    data = obj("MR_small.dcm", study=st)
    r = env.session().post(env.url("/data/services/import"), params={
        "PROJECT_ID": world["a"], "SUBJECT_ID": "S9", "EXPT_LABEL": f"E9{world['tag']}",
        "import-handler": "gradual-DICOM", "Direct-Archive": "true"},
        data=data, headers={"Content-Type": "application/dicom"})
    assert r.ok, r.text
    assert env.sql("SELECT count(*) FROM arca_instance i JOIN arca_scan s ON s.pk = "
                   f"i.scan_pk JOIN arca_experiment e ON e.id = s.experiment_id WHERE e.uid = "
                   f"'{st}' AND i.header ? '00100010'") == [["1"]]
    r = env.get("/dicomweb/instances", params={"StudyInstanceUID": st})
    assert r.ok and len(r.json()) == 1


def test_instances_stored_without_index_are_indexed_on_first_use(env, world):
    st = new_uid()
    data = obj("MR_small_bigendian.dcm", study=st, patient_id=f"P{world['tag']}")
    ds = pydicom.dcmread(io.BytesIO(data))
    body, ctype = stow_body([data])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['a']}/studies"), data=body,
                              headers={"Content-Type": ctype}).ok
    where = (f"scan_pk IN (SELECT s.pk FROM arca_scan s JOIN arca_experiment e ON e.id = "
             f"s.experiment_id WHERE e.uid = '{st}')")
    before = env.sql(f"SELECT pixel_offset, pixel_length, header::text FROM arca_instance "
                     f"WHERE {where}")
    env.sql(f"DELETE FROM arca_instance WHERE {where}")
    # QIDO answers from the index only: not listed until something reads it
    assert env.get("/dicomweb/instances", params={"StudyInstanceUID": st}).json() == []
    r = env.get(f"/dicomweb/studies/{st}/metadata")
    assert r.status_code == 200, r.text
    assert value(r.json()[0], "00080018") == ds.SOPInstanceUID
    after = env.sql(f"SELECT pixel_offset, pixel_length, header::text FROM arca_instance "
                    f"WHERE {where}")
    assert after == before
    r = env.get(f"/dicomweb/studies/{st}/series/{ds.SeriesInstanceUID}/instances/"
                f"{ds.SOPInstanceUID}/frames/1")
    (part,) = multipart_parts(r)
    assert part[0]["Content-Type"].endswith("transfer-syntax=1.2.840.10008.1.2.2")
    assert part[1] == ds.PixelData


def test_prearchived_stow_has_no_retrieve_url_until_archived(env, world):
    admin = env.session()
    p = f"DWQ{world['tag']}"
    assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
    try:
        body, ctype = stow_body([obj("CT_small.dcm", patient_id="PQ")])
        r = admin.post(env.url(f"/dicomweb/projects/{p}/studies"), data=body,
                       headers={"Content-Type": ctype})
        assert r.status_code == 200, r.text
        (item,) = r.json()["00081199"]["Value"]
        assert "00081190" not in item
        assert admin.get(env.url(f"/dicomweb/projects/{p}/studies")).json() == []
        # archived from the prearchive (the import path again): indexed then
        r = admin.get(env.url(f"/data/prearchive/projects/{p}?format=json"))
        (row,) = r.json()["ResultSet"]["Result"]
        r = admin.post(env.url("/data/services/archive"), data={
            "src": row["url"], "subject": "Q1", "session": f"Q1_{world['tag']}"})
        assert r.status_code == 200, r.text
        r = admin.get(env.url(f"/dicomweb/projects/{p}/instances"))
        assert [value(x, "00080018") for x in r.json()] == [value(item, "00081155")]
    finally:
        admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def test_a_file_replaced_by_an_upload_is_indexed_again(env, world):
    st = new_uid()
    data = obj("CT_small.dcm", study=st, patient_id=f"P{world['tag']}", InstanceNumber=1)
    ds = pydicom.dcmread(io.BytesIO(data))
    body, ctype = stow_body([data])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['a']}/studies"), data=body,
                              headers={"Content-Type": ctype}).ok
    expt, scan, path = env.sql(
        "SELECT e.id, s.id, f.path FROM arca_file f JOIN arca_resource r ON r.pk = "
        "f.resource_pk JOIN arca_scan s ON s.pk = r.scan_pk JOIN arca_experiment e ON e.id = "
        f"s.experiment_id WHERE e.uid = '{st}'")[0]
    # the same instance with another number and another layout (implicit VR)
    ds.InstanceNumber = 7
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    ds.is_implicit_VR, ds.is_little_endian = True, True
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    r = env.session().put(env.url(f"/data/experiments/{expt}/scans/{scan}/resources/DICOM/"
                                  f"files/{path}"), data=out.getvalue(),
                          params={"overwrite": "true"})
    assert r.ok, r.text
    r = env.get(f"/dicomweb/studies/{st}/metadata")
    assert r.status_code == 200, r.text
    assert value(r.json()[0], "00200013") == 7
    r = env.get(f"/dicomweb/studies/{st}/series/{ds.SeriesInstanceUID}/instances/"
                f"{ds.SOPInstanceUID}/frames/1")
    assert multipart_parts(r)[0][1] == ds.PixelData


def test_instances_received_over_dicom_are_indexed(env, world, tmp_path):
    """C-STORE into the archive: each instance's row written with its file's, and kept
    when the listener's digest thread fills the MD5 in later."""
    import time
    from arca_env import free_port
    from test_dicom_net import run
    port = free_port()
    env.httpd.write_snippet("dicomweb-recv", f"ArcaDicomReceiver DW_ARC 127.0.0.1:{port} "
                            f"project={world['a']} dest=archive user=admin\n")
    env.httpd.restart()
    try:
        st = new_uid()
        paths = []
        for n in (1, 2):
            p = tmp_path / f"{n}.dcm"
            p.write_bytes(obj("CT_small.dcm", study=st, series=st + ".1", InstanceNumber=n,
                              PatientComments=f"Project: {world['a']} Subject: R1 "
                                              f"Session: R1_{world['tag']}"))
            paths.append(str(p))
        deadline = time.monotonic() + 10
        while True:
            r = run(["storescu", "-aec", "DW_ARC", "127.0.0.1", str(port), *paths], check=False)
            if r.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.returncode == 0, r.stdout + r.stderr
        where = (f"f.resource_pk IN (SELECT r.pk FROM arca_resource r JOIN arca_scan s ON "
                 f"s.pk = r.scan_pk JOIN arca_experiment e ON e.id = s.experiment_id WHERE "
                 f"e.uid = '{st}')")
        deadline = time.monotonic() + 20
        while env.sql(f"SELECT count(*) FROM arca_file f WHERE {where} AND digest = ''") \
                != [["0"]] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert env.sql(f"SELECT count(*) FROM arca_file f WHERE {where} AND digest <> ''") \
            == [["2"]]
        assert env.sql(f"SELECT count(*) FROM arca_instance f WHERE {where}") == [["2"]]
        r = env.get("/dicomweb/instances", params={"StudyInstanceUID": st})
        assert sorted(value(x, "00200013") for x in r.json()) == [1, 2]
    finally:
        env.httpd.remove_snippet("dicomweb-recv")
        env.httpd.restart()
