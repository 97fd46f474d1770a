"""xnatpy's file side, request by request as its source sends them: resource and file
listings (`columns=ID,URI,label` and `columns=ID,URI,path`, rows keyed on ID and typed by
xsiType or element_name), downloads of scan sets (`scans/ALL/files?format=zip`,
`scans/1,2/...`), a prearchive session as JSON and its scans zipped, and
`/data/services/dicomdump`."""

import io
import re
import uuid
import zipfile

import pytest

pydicom = pytest.importorskip("pydicom")
from test_import import instances, zipped  # noqa: E402

SUBJECT, SESSION = "XSub1", "XSess1"


def new_project(env):
    p = f"Xpy{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    return p


@pytest.fixture(scope="module")
def tree(env):
    """A project with one archived CT session (scans 1, 2, 3; two files each) and a
    session resource NOTES holding one text file."""
    p = new_project(env)
    r = env.session().post(env.url("/data/services/import"), params={
        "import-handler": "DICOM-zip", "PROJECT_ID": p, "SUBJECT_ID": SUBJECT,
        "EXPT_LABEL": SESSION, "dest": "/archive", "inbody": "true"},
        data=zipped(instances(3, 2)), headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    eid = env.sql(f"SELECT experiment_id FROM arca_experiment_label WHERE project = '{p}'")[0][0]
    r = env.session().put(env.url(f"/data/experiments/{eid}/resources/NOTES/files/sub/a.txt"),
                          params={"inbody": "true"}, data=b"hello")
    assert r.status_code in (200, 201), r.text
    yield type("Tree", (), {"project": p, "eid": eid,
                            "session": f"/data/projects/{p}/subjects/{SUBJECT}/experiments/"
                                       f"{SESSION}"})
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def get_json(env, path, **query):
    r = env.session().get(env.url(path), params=query)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def xnatpy_listing(env, uri, secondary, xsi_type):
    """What xnatpy's XNATListing makes of a listing: it asks ID,URI and the secondary
    key (and xsiType when the listing has no fixed type), then keys the rows
    (xnatpy_rows)."""
    columns = f"ID,URI,{secondary}" + ("" if xsi_type else ",xsiType")
    rows = get_json(env, uri, format="json", columns=columns)["ResultSet"]["Result"]
    return xnatpy_rows(uri, rows, secondary, xsi_type)


def xnatpy_rows(uri, rows, secondary, xsi_type):
    """XNATListing's keying of a listing's rows: a resource's ID and URI from
    xnat_abstractresource_id, a file's ID from its URI, rows whose ID or type are empty
    dropped. Returns {ID: (URI, secondary value, type)}."""
    out = {}
    for x in rows:
        if "URI" not in x and "ID" not in x:
            x["ID"] = x["xnat_abstractresource_id"]
            x["URI"] = f"{uri}/{x['ID']}"
        elif "ID" not in x:
            x["path"] = re.sub(r"^.*/resources/[^/]+/files/", "", x["URI"], count=1)
            x["ID"] = x["path"]
        else:
            x["URI"] = f"{uri}/{x['ID']}"
        kind = x.get("xsiType", x.get("element_name", xsi_type)).strip()
        if x["ID"].strip() and kind:
            out[x["ID"]] = (x["URI"], x.get(secondary), kind)
    return out


class TestListings:
    def test_scan_resources_as_xnatpy_keys_them(self, env, tree):
        scan_uri = f"{tree.session}/scans/1"
        res = xnatpy_listing(env, scan_uri + "/resources", "label", "xnat:resourceCatalog")
        assert [(v[1], v[2]) for v in res.values()] == [("DICOM", "xnat:resourceCatalog")]
        (rid, (uri, _, _)), = res.items()
        assert rid.isdigit() and uri == f"{scan_uri}/resources/{rid}"

    def test_resource_files_as_xnatpy_keys_them(self, env, tree):
        res = xnatpy_listing(env, f"{tree.session}/scans/2/resources", "label",
                             "xnat:resourceCatalog")
        (rid, (res_uri, _, _)), = res.items()
        files = xnatpy_listing(env, res_uri + "/files", "path", "xnat:fileData")
        assert len(files) == 2
        for path, (uri, _, kind) in files.items():
            assert path.endswith(".dcm") and "/" not in path and kind == "xnat:fileData"
            # file.download(): a GET of the row's URI
            r = env.session().get(env.url(uri))
            assert r.status_code == 200 and r.content[128:132] == b"DICM"

    def test_session_resources_and_nested_file_paths(self, env, tree):
        res = xnatpy_listing(env, f"{tree.session}/resources", "label", None)
        assert [(v[1], v[2]) for v in res.values()] == [("NOTES", "xnat:resourceCatalog")]
        (rid, (res_uri, _, _)), = res.items()
        files = xnatpy_listing(env, res_uri + "/files", "path", "xnat:fileData")
        assert list(files) == ["sub/a.txt"]
        assert env.session().get(env.url(files["sub/a.txt"][0])).content == b"hello"

    def test_columns_asked_do_not_hide_xnats_own(self, env, tree):
        """Whatever `columns` asks, the rows carry XNAT's columns; ones that mean nothing
        here are left out rather than answered empty."""
        row, = get_json(env, f"{tree.session}/scans/1/resources", format="json",
                        columns="ID,URI,label,xsiType")["ResultSet"]["Result"]
        for key in ("xnat_abstractresource_id", "label", "element_name", "category", "cat_id",
                    "cat_desc", "format", "content", "tags", "file_count", "file_size"):
            assert key in row, key
        assert row["ID"] == row["xnat_abstractresource_id"]
        assert row["xsiType"] == row["element_name"] == "xnat:resourceCatalog"
        assert (row["label"], row["file_count"], row["cat_id"]) == ("DICOM", "2", "1")
        files = get_json(env, f"{tree.session}/scans/1/resources/DICOM/files", format="json",
                         columns="ID,URI,path")["ResultSet"]["Result"]
        for f in files:
            assert "ID" not in f
            for key in ("Name", "Size", "URI", "collection", "file_tags", "file_format",
                        "file_content", "cat_ID", "digest"):
                assert key in f, key
            assert f["path"] == f["Name"] and f["URI"].endswith("/files/" + f["path"])
            assert f["collection"] == "DICOM"

    def test_resource_data_as_xnatpy_finds_its_row(self, env, tree):
        """resource.file_count: xnatpy GETs the resources listing without columns and
        picks the row whose xnat_abstractresource_id is the last segment of the resource's
        URI, which it does only for rows with neither URI nor ID (XNAT's shape)."""
        uri = f"{tree.session}/scans/3/resources"
        (rid, _), = xnatpy_listing(env, uri, "label", "xnat:resourceCatalog").items()
        rows = get_json(env, uri, format="json")["ResultSet"]["Result"]
        own = [x for x in rows if "URI" not in x and "ID" not in x
               and x["xnat_abstractresource_id"] == rid]
        assert len(own) == 1
        assert (int(own[0]["file_count"]), own[0]["label"]) == (2, "DICOM")
        assert int(own[0]["file_size"]) > 0


def zip_names(r):
    assert r.status_code == 200, r.text
    return sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist())


class TestScanSets:
    def test_session_download_as_xnatpy_sends_it(self, env, tree):
        """session.download() / download_dir(): the JSON list first, then the zip, unpacked
        under the session's label."""
        for base in (tree.session, f"/data/experiments/{tree.eid}"):
            rows = get_json(env, base + "/scans/ALL/files", format="json")["ResultSet"]["Result"]
            assert len(rows) == 6 and {x["collection"] for x in rows} == {"DICOM"}
            names = zip_names(env.session().get(env.url(base + "/scans/ALL/files"),
                                                params={"format": "zip"}))
            assert len(names) == 6
            for n in names:
                assert re.fullmatch(rf"{SESSION}/scans/[123]-[^/]+/resources/DICOM/files/"
                                    r"[^/]+\.dcm", n), n
            # the session's own resources are not scans
            assert not any("NOTES" in n for n in names)

    def test_scan_dirs_carry_the_type(self, env, tree):
        types = {x["ID"]: x["type"] for x in get_json(
            env, f"{tree.session}/scans", format="json", columns="ID,type")["ResultSet"]["Result"]}
        names = zip_names(env.session().get(env.url(f"{tree.session}/scans/ALL/files"),
                                            params={"format": "zip"}))
        dirs = {n.split("/")[2] for n in names}
        assert dirs == {f"{i}-{re.sub(r'[^A-Za-z0-9._-]', '_', t)}" for i, t in types.items()}

    def test_a_list_of_scans_and_a_resource_label(self, env, tree):
        names = zip_names(env.session().get(
            env.url(f"/data/experiments/{tree.eid}/scans/1,3/resources/DICOM/files"),
            params={"format": "zip"}))
        assert len(names) == 4 and {n.split("/")[2].split("-")[0] for n in names} == {"1", "3"}
        rows = get_json(env, f"{tree.session}/scans/1,3/files", format="json")
        assert len(rows["ResultSet"]["Result"]) == 4
        rows = get_json(env, f"{tree.session}/scans/ALL/resources/NIFTI/files", format="json")
        assert rows["ResultSet"]["Result"] == []

    def test_resources_by_list(self, env, tree):
        rows = get_json(env, f"{tree.session}/resources/NOTES,OTHER/files",
                        format="json")["ResultSet"]["Result"]
        assert [x["Name"] for x in rows] == ["sub/a.txt"]

    def test_refusals(self, env, tree):
        s = env.session()
        r = s.get(env.url(f"{tree.session}/scans/1,9/files"), params={"format": "zip"})
        assert r.status_code == 404 and "9" in r.text
        r = s.put(env.url(f"{tree.session}/scans/ALL/resources/DICOM/files/x.txt"),
                  params={"inbody": "true"}, data=b"x")
        assert r.status_code == 400
        r = s.delete(env.url(f"{tree.session}/scans/ALL/files"))
        assert r.status_code == 405

    def test_access_is_the_sessions(self, env, tree):
        login = f"xp_{uuid.uuid4().hex[:6]}"
        assert env.session().post(env.url("/xapi/users"), json={
            "username": login, "password": "Xpy-pw-1"}).status_code == 201
        r = env.session(auth=(login, "Xpy-pw-1")).get(
            env.url(f"/data/experiments/{tree.eid}/scans/ALL/files"), params={"format": "zip"})
        assert r.status_code in (403, 404)


@pytest.fixture(scope="module")
def waiting(env):
    """A session waiting in a project's prearchive (two scans of two files); its URI as
    xnatpy holds it (/data/prearchive/projects/P/ts/s)."""
    p = new_project(env)
    r = env.session().post(env.url("/data/services/import"), params={
        "import-handler": "DICOM-zip", "inbody": "true", "dest": f"/prearchive/projects/{p}",
        "SUBJECT_ID": "PSub", "EXPT_LABEL": "PSess"},
        data=zipped(instances(2, 2)), headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    yield r.text.strip().splitlines()[0]
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


class TestPrearchive:
    def test_session_fields_as_xnatpy_reads_them(self, env, waiting):
        """PrearchiveSession.fulldata on XNAT >= 1.7.3: Result[0] of the session's JSON."""
        row, = get_json(env, waiting, format="json")["ResultSet"]["Result"]
        listed, = [x for x in get_json(env, waiting.rsplit("/", 2)[0], format="json")
                   ["ResultSet"]["Result"] if "/data" + x["url"] == waiting]
        assert row == listed
        assert "/data" + row["url"] == waiting
        assert f"{row['project']}/{row['timestamp']}/{row['name']}" == waiting.split(
            "/projects/", 1)[1]
        for key in ("folderName", "lastmod", "uploaded", "scan_date", "status", "subject",
                    "tag", "autoarchive", "prevent_anon", "prevent_auto_commit"):
            assert key in row, key

    def test_scan_download_as_xnatpy_sends_it(self, env, waiting):
        scans = get_json(env, waiting + "/scans", format="json")["ResultSet"]["Result"]
        assert [x["ID"] for x in scans] == ["1", "2"]
        names = zip_names(env.session().get(env.url(f"{waiting}/scans/2"),
                                            params={"format": "zip"}))
        folder = waiting.rsplit("/", 1)[1]
        assert len(names) == 2
        assert all(n.startswith(f"{folder}/SCANS/2/DICOM/") for n in names), names
        # the same members as in the session's zip
        whole = zip_names(env.session().get(env.url(waiting), params={"format": "zip"}))
        assert set(names) <= set(whole)

    def test_file_download_as_xnatpy_sends_it(self, env, waiting):
        files = get_json(env, waiting + "/scans/1/resources/DICOM/files",
                         format="json")["ResultSet"]["Result"]
        r = env.session().get(env.url(files[0]["URI"]), params={"format": "zip"})
        assert r.status_code == 200 and r.content[128:132] == b"DICM"
        assert len(r.content) == int(files[0]["Size"])

    def test_refusals(self, env, waiting):
        s = env.session()
        assert s.get(env.url(waiting + "/scans/7"), params={"format": "zip"}).status_code == 404
        assert s.get(env.url(waiting + "/scans/1"), params={"format": "xml"}).status_code == 400
        assert s.get(env.url(waiting), params={"format": "pdf"}).status_code == 400
        login = f"xp_{uuid.uuid4().hex[:6]}"
        assert s.post(env.url("/xapi/users"), json={
            "username": login, "password": "Xpy-pw-1"}).status_code == 201
        other = env.session(auth=(login, "Xpy-pw-1"))
        for q in ({"format": "json"},):
            assert other.get(env.url(waiting), params=q).status_code in (403, 404)
        assert other.get(env.url(waiting + "/scans/1"),
                         params={"format": "zip"}).status_code in (403, 404)
