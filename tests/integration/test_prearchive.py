"""The prearchive: inspecting a waiting session (XML, zip, scans, resources, files), its
actions (build, commit, move, set-status, reset-status), the bulk services (move, delete,
rebuild), rights, refusals, the project's prearchive_code, pyxnat's prearchive interface,
and the sweeper that completes sessions received object by object."""

import io
import os
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile

import pytest
import requests

pydicom = pytest.importorskip("pydicom")
from test_import import instances, zipped  # noqa: E402

XNAT = "{http://nrg.wustl.edu/xnat}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
PASSWORD = "Pre-pw-1"


def new_project(env):
    p = f"Pre{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    return p


@pytest.fixture
def project(env):
    p = new_project(env)
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture
def other_project(env):
    p = new_project(env)
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def user(env, project=None, group="Members"):
    """A new account, a member (or other group) of `project`; its requests.Session."""
    login = f"pre_{uuid.uuid4().hex[:6]}"
    assert env.session().post(env.url("/xapi/users"), json={
        "username": login, "password": PASSWORD}).status_code == 201
    if project:
        assert env.session().put(env.url(
            f"/data/projects/{project}/users/{group}/{login}")).ok
    return env.session(auth=(login, PASSWORD))


def upload(env, project, subject="PS1", session="PSess1", n_series=2, per_series=2,
           study_uid=None):
    """A zip into the project's prearchive; the session's URL without /data."""
    params = {"import-handler": "DICOM-zip", "inbody": "true",
              "dest": f"/prearchive/projects/{project}" if project else "/prearchive"}
    if subject:
        params["SUBJECT_ID"] = subject
    if session:
        params["EXPT_LABEL"] = session
    r = env.session().post(env.url("/data/services/import"), params=params,
                           data=zipped(instances(n_series, per_series, study_uid)),
                           headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    url = r.text.strip().splitlines()[0]
    assert url.startswith("/data/prearchive/projects/")
    return url[len("/data"):]


def rows(env, project=None, auth=None):
    path = f"/data/prearchive/projects/{project}" if project else "/data/prearchive/projects"
    r = env.get(path + "?format=json", auth=auth)
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


def row(env, src):
    found = [x for x in rows(env) if x["url"] == src]
    return found[0] if found else None


def folder(env, src):
    return os.path.join(env.httpd.root, "prearchive", *src.split("/")[3:])


def results(r):
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


def plain_error(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    assert not r.text.lstrip().startswith("<")


def wait_for(predicate, timeout=20, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class TestInspect:
    def test_session_xml(self, env, project):
        src = upload(env, project)
        r = env.session().get(env.url("/data" + src))
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/xml")
        root = ET.fromstring(r.content)
        assert root.tag == XNAT + "CTSession"
        assert root.get("project") == project and root.get("label") == "PSess1"
        assert root.get("UID")
        assert root.find(XNAT + "subject_ID").text == "PS1"
        assert root.find(XNAT + "modality").text == "CT"
        scans = root.findall(f"{XNAT}scans/{XNAT}scan")
        assert [(s.get("ID"), s.get(XSI_TYPE), s.get("type")) for s in scans] == \
            [("1", "xnat:ctScanData", "Axial 1"), ("2", "xnat:ctScanData", "Axial 2")]
        res = scans[0].find(XNAT + "file")
        assert (res.get("label"), res.get("format"), res.get("file_count")) == \
            ("DICOM", "DICOM", "2")
        assert b"Rossi" not in r.content and b"PAT-0042" not in r.content

    def test_zip(self, env, project):
        src = upload(env, project)
        r = env.session().get(env.url("/data" + src + "?format=zip"))
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        assert len(names) == 4
        assert all(n.startswith("PSess1/SCANS/") and n.endswith(".dcm") for n in names)
        assert sorted({n.split("/")[2] for n in names}) == ["1", "2"]

    def test_scans_resources_files(self, env, project):
        src = upload(env, project, n_series=2, per_series=3)
        s = env.session()
        scans = results(s.get(env.url(f"/data{src}/scans?format=json")))
        assert [(x["ID"], x["series_description"], x["xsiType"]) for x in scans] == \
            [("1", "Axial 1", "xnat:ctScanData"), ("2", "Axial 2", "xnat:ctScanData")]
        res = results(s.get(env.url(f"/data{src}/scans/2/resources?format=json")))
        assert [(x["label"], x["file_count"]) for x in res] == [("DICOM", "3")]
        files = results(s.get(env.url(f"/data{src}/scans/2/resources/DICOM/files"
                                      "?format=json")))
        assert len(files) == 3 and all(f["Name"].endswith(".dcm") for f in files)
        assert all(int(f["Size"]) > 1000 for f in files)
        one = s.get(env.url(files[0]["URI"]))
        assert one.status_code == 200 and one.content[128:132] == b"DICM"
        assert len(one.content) == int(files[0]["Size"])
        csv = s.get(env.url(f"/data{src}/scans?format=csv")).text
        assert csv.splitlines()[0].startswith("ID,")

    def test_unknown_things_are_404(self, env, project):
        src = upload(env, project)
        s = env.session()
        base = src.rsplit("/", 1)[0]
        plain_error(s.get(env.url(f"/data{base}/NoSuchSession")), 404)
        plain_error(s.post(env.url(f"/data{base}/NoSuchSession?action=build")), 404)
        plain_error(s.get(env.url(f"/data{src}/scans/9/resources")), 404)
        plain_error(s.get(env.url(f"/data{src}/scans/1/resources/NOPE/files")), 404)
        plain_error(s.get(env.url(f"/data{src}/scans/1/resources/DICOM/files/x.dcm")), 404)
        plain_error(s.get(env.url(f"/data{src}?format=pdf")), 400)


class TestActions:
    def test_build_refreshes_the_row(self, env, project):
        src = upload(env, project)
        env.sql(f"UPDATE arca_prearchive SET modality = '', scan_date = NULL, "
                f"status = 'ERROR', message = 'x' WHERE folder = 'PSess1' "
                f"AND project = '{project}'")
        out = results(env.session().post(env.url(f"/data{src}?action=build&format=json")))
        assert [(x["status"], x["message"], x["url"]) for x in out] == [("READY", "", src)]
        assert env.sql(f"SELECT modality, scan_date IS NOT NULL FROM arca_prearchive "
                       f"WHERE project = '{project}'") == [["CT", "t"]]

    def test_commit_with_names(self, env, project):
        src = upload(env, project, subject=None, session=None)
        assert row(env, src)["subject"] == ""
        r = env.session().post(env.url(f"/data{src}?action=commit"))
        plain_error(r, 400)
        assert "subject" in r.text and row(env, src)["status"] == "READY"
        r = env.session().post(env.url(f"/data{src}"), data={
            "action": "commit", "subject": "Named", "label": "Named_CT"})
        assert r.status_code == 200, r.text
        assert r.text.strip() == \
            f"/data/archive/projects/{project}/subjects/Named/experiments/Named_CT"
        assert r.headers["Content-Type"].startswith("text/uri-list")
        assert row(env, src) is None and not os.path.exists(folder(env, src))

    def test_conflict_then_overwrite(self, env, project):
        first = upload(env, project, session="Same")
        assert env.session().post(env.url(f"/data{first}?action=commit")).ok
        second = upload(env, project, session="Same")
        r = env.session().post(env.url(f"/data{second}?action=commit"))
        plain_error(r, 409)
        x = row(env, second)
        assert x["status"] == "CONFLICT" and "overwrite=append" in x["message"]
        # build sees the same conflict
        out = results(env.session().post(env.url(f"/data{second}?action=build")))
        assert out[0]["status"] == "CONFLICT"
        r = env.session().post(env.url(f"/data{second}?action=commit&overwrite=append"))
        assert r.status_code == 200, r.text
        scans = env.session().get(env.url(
            f"/data/projects/{project}/experiments/Same/scans/1/resources/DICOM/files"
            "?format=json")).json()["ResultSet"]["totalRecords"]
        assert scans == "4"  # two uploads' instances, added together
        assert row(env, second) is None

    def test_failed_archive_leaves_error_and_nothing_archived(self, env, project):
        src = upload(env, project, session="Broken")
        bad = os.path.join(folder(env, src), "SCANS", "1", "DICOM", "zz_broken.dcm")
        with open(bad, "wb") as f:
            f.write(b"not a DICOM object" * 20)
        r = env.session().post(env.url(f"/data{src}?action=commit"))
        plain_error(r, 500)
        x = row(env, src)
        assert x["status"] == "ERROR" and "could not be archived" in x["message"]
        assert env.sql(f"SELECT count(*) FROM arca_experiment WHERE project = '{project}'") \
            == [["0"]]
        assert os.path.exists(bad)
        archived = os.path.join(env.httpd.root, "archive", project)
        assert not any(files for _, _, files in os.walk(archived))
        # fixed, it archives from ERROR
        os.unlink(bad)
        assert env.session().post(env.url(f"/data{src}?action=commit")).status_code == 200

    def test_set_and_reset_status(self, env, project):
        src = upload(env, project)
        s = env.session()
        out = results(s.post(env.url(f"/data{src}?action=set-status&status=ARCHIVING")))
        assert out[0]["status"] == "ARCHIVING"
        # a session in a transient status is busy for every other operation
        plain_error(s.post(env.url(f"/data{src}?action=commit")), 409)
        plain_error(s.delete(env.url(f"/data{src}")), 409)
        plain_error(s.post(env.url(f"/data{src}?action=set-status&status=LOST")), 400)
        out = results(s.post(env.url(f"/data{src}?action=reset-status")))
        assert out[0]["status"] == "READY"

    def test_bad_actions(self, env, project):
        src = upload(env, project)
        s = env.session()
        plain_error(s.post(env.url(f"/data{src}")), 400)
        plain_error(s.post(env.url(f"/data{src}?action=explode")), 400)
        plain_error(s.post(env.url(f"/data{src}?action=move")), 400)
        plain_error(s.post(env.url(f"/data{src}?action=commit&overwrite=maybe")), 400)
        plain_error(s.post(env.url("/data/services/archive"), data={"src": "/prearchive/x"}),
                    400)
        plain_error(s.post(env.url("/data/services/prearchive/explode"), data={"src": src}),
                    404)

    def test_services_archive(self, env, project):
        src = upload(env, project)
        r = env.session().post(env.url("/data/services/archive"), data={
            "src": src, "subject": "Svc", "session": "Svc_CT"})
        assert r.status_code == 200, r.text
        assert r.text.strip().endswith("/subjects/Svc/experiments/Svc_CT")


class TestMove:
    def test_move_one_then_back(self, env, project, other_project):
        src = upload(env, project)
        r = env.session().post(env.url(f"/data{src}"), data={
            "action": "move", "newProject": other_project})
        out = results(r)
        moved = src.replace(f"/projects/{project}/", f"/projects/{other_project}/")
        assert [(x["project"], x["url"], x["status"]) for x in out] == \
            [(other_project, moved, "READY")]
        assert os.path.isdir(folder(env, moved)) and not os.path.exists(folder(env, src))
        assert not os.path.exists(os.path.dirname(folder(env, src)))  # its timestamp too
        assert len(results(env.session().get(env.url(f"/data{moved}/scans?format=json")))) \
            == 2
        plain_error(env.session().get(env.url(f"/data{src}")), 404)

    def test_bulk_move_and_unknown_project(self, env, project, other_project):
        srcs = [upload(env, project, session=f"B{i}") for i in range(2)]
        r = env.session().post(env.url("/data/services/prearchive/move?format=csv"),
                               data=[("src", s) for s in srcs] +
                                    [("newProject", other_project), ("async", "true")])
        assert r.status_code == 200, r.text
        assert r.text.splitlines()[0].startswith("project,timestamp")
        assert sorted(x["folderName"] for x in rows(env, other_project)) == ["B0", "B1"]
        assert rows(env, project) == []
        moved = [s.replace(project, other_project) for s in srcs]
        plain_error(env.session().post(env.url("/data/services/prearchive/move"), data={
            "src": moved[0], "newProject": "NoSuchProject"}), 404)
        plain_error(env.session().post(env.url("/data/services/prearchive/move"), data={
            "src": moved[0]}), 400)
        assert row(env, moved[0])["status"] == "READY"

    def test_move_needs_rights_on_both(self, env, project, other_project):
        member = user(env, project)
        src = upload(env, project)
        r = member.post(env.url(f"/data{src}"), data={"action": "move",
                                                      "newProject": other_project})
        plain_error(r, 404)  # a private project the member may not know of
        r = member.post(env.url(f"/data{src}"), data={"action": "move",
                                                      "newProject": "Unassigned"})
        plain_error(r, 403)
        assert row(env, src)["project"] == project
        # to Unassigned and back, as an admin
        r = env.session().post(env.url(f"/data{src}?action=move&newProject=Unassigned"))
        assert results(r)[0]["project"] == "Unassigned"


class TestServices:
    def test_rebuild_and_delete(self, env, project):
        srcs = [upload(env, project, session=f"R{i}") for i in range(2)]
        env.sql(f"UPDATE arca_prearchive SET modality = 'XX' WHERE project = '{project}'")
        r = env.session().post(env.url("/data/services/prearchive/rebuild"),
                               data=[("src", s) for s in srcs])
        assert sorted((x["url"], x["status"]) for x in results(r)) == \
            sorted((s, "READY") for s in srcs)
        assert env.sql(f"SELECT DISTINCT modality FROM arca_prearchive "
                       f"WHERE project = '{project}'") == [["CT"]]
        r = env.session().post(env.url("/data/services/prearchive/delete?format=json"),
                               data={"src": srcs[0], "async": "false"})
        assert [x["url"] for x in results(r)] == [srcs[0]]
        assert row(env, srcs[0]) is None and not os.path.exists(folder(env, srcs[0]))
        assert row(env, srcs[1])["status"] == "READY"
        plain_error(env.session().post(env.url("/data/services/prearchive/delete"),
                                       data={"src": srcs[0]}), 404)
        plain_error(env.session().post(env.url("/data/services/prearchive/rebuild")), 400)


class TestRights:
    def test_other_projects_member_sees_nothing(self, env, project, other_project):
        src = upload(env, project)
        outsider = user(env, other_project)
        for r in (outsider.get(env.url(f"/data{src}")),
                  outsider.get(env.url(f"/data{src}/scans")),
                  outsider.post(env.url(f"/data{src}?action=build")),
                  outsider.post(env.url("/data/services/prearchive/delete"),
                                data={"src": src}),
                  outsider.delete(env.url(f"/data{src}"))):
            plain_error(r, 404)
        assert outsider.get(env.url("/data/prearchive/projects?format=json")).json() \
            ["ResultSet"]["totalRecords"] == "0"
        assert row(env, src) is not None

    def test_collaborator_may_not_member_may(self, env, project):
        src = upload(env, project)
        collaborator = user(env, project, "Collaborators")
        plain_error(collaborator.get(env.url(f"/data{src}")), 403)
        member = user(env, project)
        assert member.get(env.url(f"/data{src}")).status_code == 200
        assert [x["url"] for x in rows(env, project, auth=member.auth)] == [src]
        assert results(member.post(env.url(f"/data{src}?action=build")))[0]["status"] \
            == "READY"

    def test_all_data_editors_see_every_project_but_not_unassigned(self, env, project,
                                                                    other_project):
        mine, unassigned = upload(env, other_project), upload(env, None, subject=None,
                                                              session=None)
        editor = user(env)
        login = editor.auth[0]
        assert env.session().put(env.url(f"/xapi/users/{login}/groups/ALL_DATA_ADMIN")).ok
        urls = {x["url"] for x in results(editor.get(env.url(
            "/data/prearchive/projects?format=json")))}
        assert mine in urls and unassigned not in urls
        env.session().delete(env.url(f"/data{unassigned}"))

    def test_unassigned_is_for_admins(self, env, project):
        src = upload(env, None, subject=None, session=None)
        assert src.startswith("/prearchive/projects/Unassigned/")
        someone = user(env, project)
        plain_error(someone.get(env.url(f"/data{src}")), 403)
        plain_error(someone.get(env.url("/data/prearchive/projects/Unassigned")), 403)
        plain_error(someone.post(env.url(f"/data{src}?action=move&newProject={project}")),
                    403)
        plain_error(requests.get(env.url(f"/data{src}")), 401)
        assert env.session().get(env.url(f"/data{src}")).status_code == 200
        assert env.session().delete(env.url(f"/data{src}")).status_code == 200


class TestPrearchiveCode:
    def test_get_put(self, env, project):
        s = env.session()
        assert s.get(env.url(f"/data/projects/{project}/prearchive_code")).text == "0"
        assert s.put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
        assert s.get(env.url(f"/data/projects/{project}/prearchive_code")).text == "4"
        plain_error(s.put(env.url(f"/data/projects/{project}/prearchive_code/7")), 400)
        plain_error(s.put(env.url(f"/data/projects/{project}/prearchive_code/x")), 400)
        plain_error(s.get(env.url("/data/projects/NoSuchProject/prearchive_code")), 404)
        member = user(env, project)
        assert member.get(env.url(f"/data/projects/{project}/prearchive_code")).text == "4"
        plain_error(member.put(env.url(f"/data/projects/{project}/prearchive_code/0")), 403)
        assert [x["autoarchive"] for x in rows(env, project)] == []
        upload(env, project)
        assert [x["autoarchive"] for x in rows(env, project)] == ["true"]


class TestPyxnat:
    """PreArchive.move is not called: Debian's pyxnat 1.5 builds its body with Python 2's
    urllib.urlencode and fails before sending anything (TestMove sends its request)."""

    def test_prearchive_interface(self, env, xnat, project):
        src = upload(env, project)
        triple = src.split("/")[3:]
        pa = xnat.manage.prearchive
        assert triple in pa.get()
        assert pa.status(triple) == "READY"
        assert pa.get_uri(triple) == src
        assert pa.get_scans(triple) == ["1", "2"]
        assert pa.get_resources(triple, "1") == "DICOM"  # pyxnat unwraps a single value
        assert len(pa.get_files(triple, "1", "DICOM")) == 2
        env.sql(f"UPDATE arca_prearchive SET status = 'ERROR' WHERE project = '{project}'")
        pa.reset(triple)  # POST ?format=single, form action=build
        assert pa.status(triple) == "READY"
        pa.delete(src)
        assert triple not in pa.get()

    def test_project_prearchive_code(self, xnat, project):
        p = xnat.select.project(project)
        assert p.prearchive_code() == 0
        p.set_prearchive_code("5")  # pyxnat joins it into the URI as a string
        assert p.prearchive_code() == 5


# ---- the sweeper ------------------------------------------------------------------------

IDLE = 2


@pytest.fixture(scope="class")
def short_idle(env):
    env.httpd.write_snippet("prearchive-idle", f"ArcaPrearchiveIdle {IDLE}\n")
    env.httpd.restart()
    yield
    env.httpd.remove_snippet("prearchive-idle")
    env.httpd.restart()


def gradual(env, project, data, **params):
    q = {"import-handler": "gradual-DICOM", "dest": f"/prearchive/projects/{project}"}
    q.update(params)
    r = env.session().post(env.url("/data/services/import"), params=q, data=data,
                           headers={"Content-Type": "application/dicom"})
    assert r.status_code == 200, r.text
    return r.text.strip()[len("/data"):]


def status_of(env, src):
    x = row(env, src)
    return x["status"] if x else None


@pytest.mark.usefixtures("short_idle")
class TestSweeper:
    def test_directive_is_checked(self, env):
        env.httpd.write_snippet("prearchive-idle-bad", "ArcaPrearchiveIdle soon\n")
        try:
            rc, out = env.httpd.config_test()
            assert rc != 0 and "ArcaPrearchiveIdle" in out
        finally:
            env.httpd.remove_snippet("prearchive-idle-bad")

    def test_gradual_session_becomes_ready_when_idle(self, env, project):
        files = instances(2, 2)
        srcs = {gradual(env, project, data, SUBJECT_ID="G1", EXPT_LABEL="Grad1")
                for _, data in files}
        assert len(srcs) == 1, srcs  # one session gathers the study
        src = srcs.pop()
        assert status_of(env, src) == "RECEIVING"
        assert wait_for(lambda: status_of(env, src) == "READY", timeout=IDLE + 15)
        out = results(env.session().get(env.url(f"/data{src}/scans?format=json")))
        assert [x["ID"] for x in out] == ["1", "2"]
        log = env.httpd.wait_for_log("ARCA10033")
        assert "session(s) complete" in log and "Rossi" not in log

    def test_receiving_row_made_by_hand_completes(self, env, project):
        src = upload(env, project, session="Hand")
        env.sql(f"UPDATE arca_prearchive SET status = 'RECEIVING', modality = '', "
                f"lastmod = now() WHERE project = '{project}'")
        assert wait_for(lambda: status_of(env, src) == "READY", timeout=IDLE + 15)
        assert row(env, src)["subject"] == "PS1"

    def test_auto_archive(self, env, project):
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
        files = instances(1, 3)
        for _, data in files:
            src = gradual(env, project, data, SUBJECT_ID="Auto", EXPT_LABEL="Auto_CT")
        assert wait_for(lambda: row(env, src) is None, timeout=IDLE + 20), row(env, src)
        r = env.session().get(env.url(f"/data/projects/{project}/subjects/Auto/experiments/"
                                      "Auto_CT/scans/1/resources/DICOM/files?format=json"))
        assert r.json()["ResultSet"]["totalRecords"] == "3"
        assert not os.path.exists(folder(env, src))

    def test_auto_archive_conflict_and_overwrite(self, env, project):
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
        first = instances(1, 1)
        src = gradual(env, project, first[0][1], SUBJECT_ID="C", EXPT_LABEL="C_CT")
        assert wait_for(lambda: row(env, src) is None, timeout=IDLE + 20)
        again = instances(1, 1)
        src = gradual(env, project, again[0][1], SUBJECT_ID="C", EXPT_LABEL="C_CT")
        assert wait_for(lambda: status_of(env, src) == "CONFLICT", timeout=IDLE + 20)
        # code 5 archives into the existing session
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/5")).ok
        third = instances(1, 1)
        src3 = gradual(env, project, third[0][1], SUBJECT_ID="C", EXPT_LABEL="C_CT")
        assert wait_for(lambda: row(env, src3) is None, timeout=IDLE + 20)
        n = env.session().get(env.url(f"/data/projects/{project}/experiments/C_CT/scans/1/"
                                      "resources/DICOM/files?format=json")).json()
        assert n["ResultSet"]["totalRecords"] == "2"
        assert status_of(env, src) == "CONFLICT"  # the sweep does not come back to it

    def test_auto_archive_without_a_subject_is_an_error(self, env, project):
        assert env.session().put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
        (_, data), = instances(1, 1)
        src = gradual(env, project, data)
        assert wait_for(lambda: status_of(env, src) == "ERROR", timeout=IDLE + 20)
        assert "subject" in row(env, src)["message"]
