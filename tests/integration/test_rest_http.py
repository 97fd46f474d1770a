"""The REST data model over plain HTTP (requests, not pyxnat): listing formats and their
options, single objects, creating/updating/deleting the XNAT way with query parameters,
custom variables, file upload and download, errors that write nothing, and sharing.

Every test gets its own project(s), named after the test and deleted afterwards, so the
tests run in any order beside the other files on the session's server."""

import csv
import datetime
import hashlib
import io
import os
import re
import tarfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from types import SimpleNamespace

import pytest
import requests

XE = "{http://nrg.wustl.edu/xe}"
DEMO_GENDER = "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/gender"
SUBJECT_ID_RE = re.compile(r"^XNAT_S\d{5,}$")
EXPERIMENT_ID_RE = re.compile(r"^XNAT_E\d{5,}$")
OCTET = {"Content-Type": "application/octet-stream"}


# ---- helpers -------------------------------------------------------------------------------

class Api:
    """A requests session on the test server, with raw-URL requests for the query strings
    and paths that requests would otherwise re-encode."""

    def __init__(self, env):
        self.env = env
        self.s = env.session()

    def url(self, path):
        return self.env.url(path)

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.s.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def raw(self, method, path_and_query, **kw):
        """Sends the path and query exactly as written (no re-quoting by requests)."""
        req = requests.Request(method, self.url("/"), **kw)
        prepared = self.s.prepare_request(req)
        prepared.url = self.url(path_and_query)
        return self.s.send(prepared, timeout=30)

    def rows(self, path, **params):
        params.setdefault("format", "json")
        r = self.get(path, params=params)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()["ResultSet"]["Result"]

    def result_set(self, path, **params):
        params.setdefault("format", "json")
        r = self.get(path, params=params)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()["ResultSet"]

    def csv(self, path, **params):
        params["format"] = "csv"
        r = self.get(path, params=params)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return list(csv.reader(io.StringIO(r.text)))

    def item(self, path):
        r = self.get(path, params={"format": "json"})
        assert r.status_code == 200, (path, r.status_code, r.text)
        items = r.json()["items"]
        assert len(items) == 1
        return items[0]

    def upload(self, resource_path, name, content, **params):
        r = self.put(f"{resource_path}/files/{name}", data=content, headers=OCTET,
                     params=params or None)
        assert r.status_code in (200, 201), (name, r.status_code, r.text)
        return r


def slug(text):
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def assert_error(r, *statuses, mentions=()):
    """An error answer: the status, a plain-text body that says something (never an HTML
    page, which XNAT clients misread), mentioning what was wrong."""
    assert r.status_code in statuses, (r.status_code, r.headers.get("Content-Type"), r.text)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("text/plain"), (ctype, r.text)
    body = r.text.strip()
    assert body, "empty error body"
    assert not body.startswith("<"), body
    for m in mentions:
        assert m in r.text, (m, r.text)


def make_zip(files):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return bio.getvalue()


def make_tgz(files):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return bio.getvalue()


def archive_root(env):
    return os.path.join(env.httpd.root, "archive")


def files_under(top):
    """Relative paths of the regular files below a directory (empty if it is missing)."""
    out = set()
    for dirpath, _dirs, names in os.walk(top):
        for n in names:
            out.add(os.path.relpath(os.path.join(dirpath, n), top))
    return out


def find_named(top, fragment):
    """Paths below top whose file or directory name contains fragment."""
    hits = []
    for dirpath, dirs, names in os.walk(top):
        for n in dirs + names:
            if fragment in n:
                hits.append(os.path.join(dirpath, n))
    return hits


def one(env, query):
    return env.sql(query)[0][0]


def counts(env, project):
    """Rows that belong to a project, by table: what a failed request must not change."""
    p = project
    exps = f"SELECT id FROM arca_experiment WHERE project = '{p}'"
    scans = f"SELECT pk FROM arca_scan WHERE experiment_id IN ({exps})"
    subs = f"SELECT id FROM arca_subject WHERE project = '{p}'"
    res = (f"SELECT pk FROM arca_resource WHERE project = '{p}' OR subject_id IN ({subs}) "
           f"OR experiment_id IN ({exps}) OR scan_pk IN ({scans})")
    row = env.sql(
        f"SELECT (SELECT count(*) FROM arca_subject WHERE project = '{p}'), "
        f"(SELECT count(*) FROM arca_subject_label WHERE project = '{p}'), "
        f"(SELECT count(*) FROM arca_experiment WHERE project = '{p}'), "
        f"(SELECT count(*) FROM arca_experiment_label WHERE project = '{p}'), "
        f"(SELECT count(*) FROM arca_scan WHERE pk IN ({scans})), "
        f"(SELECT count(*) FROM arca_resource WHERE pk IN ({res})), "
        f"(SELECT count(*) FROM arca_file WHERE resource_pk IN ({res}))")[0]
    return dict(zip(["subjects", "subject_labels", "experiments", "experiment_labels",
                     "scans", "resources", "files"], (int(v) for v in row)))


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def api(env):
    return Api(env)


@pytest.fixture
def make_project(api, request):
    """Creates projects named after the test; deletes them (and their files) afterwards."""
    made = []

    def make(suffix=""):
        pid = slug(f"rh_{request.node.name[:38]}{suffix}_{uuid.uuid4().hex[:6]}")
        r = api.put(f"/data/projects/{pid}")
        assert r.status_code == 201, (r.status_code, r.text)
        made.append(pid)
        return pid

    yield make
    for pid in made:
        api.delete(f"/data/projects/{pid}", params={"removeFiles": "true"})


@pytest.fixture
def project(make_project):
    return make_project()


@pytest.fixture
def tree(api, project):
    """project > subject S1 > CT session E1 > scan 1 > resource DICOM with two files, plus a
    file in a resource on each of the session, the subject and the project."""
    p = project
    r = api.put(f"/data/projects/{p}/subjects/S1", params={"gender": "male", "yob": "1970"})
    assert r.status_code == 201, r.text
    sid = r.text.strip()
    r = api.put(f"/data/projects/{p}/subjects/S1/experiments/E1",
                params={"xsiType": "xnat:ctSessionData", "date": "2020-01-02",
                        "modality": "CT"})
    assert r.status_code == 201, r.text
    eid = r.text.strip()
    r = api.put(f"/data/experiments/{eid}/scans/1",
                params={"type": "AXIAL", "series_description": "Axial CT",
                        "quality": "usable"})
    assert r.status_code == 201, r.text
    scan_res = f"/data/projects/{p}/subjects/S1/experiments/E1/scans/1/resources/DICOM"
    scan_files = {"a.dcm": b"DICM" + bytes(range(256)) * 4, "sub/b.txt": b"bee\n"}
    for name, data in scan_files.items():
        api.upload(scan_res, name, data)
    extra = {
        "experiment": (f"/data/projects/{p}/subjects/S1/experiments/E1/resources/SNAP",
                       {"snap.png": b"\x89PNG fake"}),
        "subject": (f"/data/projects/{p}/subjects/S1/resources/NOTES",
                    {"notes.txt": b"subject notes"}),
        "project": (f"/data/projects/{p}/resources/DOCS", {"docs/readme.txt": b"read me"}),
    }
    for path, files in extra.values():
        for name, data in files.items():
            api.upload(path, name, data)
    return SimpleNamespace(project=p, sid=sid, eid=eid, scan_res=scan_res,
                           scan_files=scan_files, extra=extra)


def level_paths(t):
    """The listing of each level in the tree, and a column it has that a test can ask for."""
    return {
        "projects": "/data/projects",
        "subjects": f"/data/projects/{t.project}/subjects",
        "experiments": f"/data/projects/{t.project}/subjects/S1/experiments",
        "scans": f"/data/experiments/{t.eid}/scans",
        "resources": f"/data/experiments/{t.eid}/scans/1/resources",
        "files": f"{t.scan_res}/files",
    }


LEVELS = ["projects", "subjects", "experiments", "scans", "resources", "files"]
KEY = {"projects": "ID", "subjects": "ID", "experiments": "ID", "scans": "ID",
       "resources": "xnat_abstractresource_id", "files": "URI"}


# ---- 1. formats ----------------------------------------------------------------------------

class TestListingFormats:
    @pytest.mark.parametrize("level", LEVELS)
    def test_json_is_an_xnat_result_set_of_strings(self, api, tree, level):
        r = api.get(level_paths(tree)[level], params={"format": "json"})
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/json")
        doc = r.json()
        assert list(doc) == ["ResultSet"]
        rs = doc["ResultSet"]
        assert isinstance(rs["Result"], list) and rs["Result"]
        assert isinstance(rs["title"], str) and rs["title"]
        assert isinstance(rs["totalRecords"], str)
        assert int(rs["totalRecords"]) == len(rs["Result"])
        for row in rs["Result"]:
            assert all(isinstance(v, str) for v in row.values()), row

    @pytest.mark.parametrize("level", LEVELS)
    def test_csv_has_a_header_and_the_same_rows_as_json(self, api, tree, level):
        path = level_paths(tree)[level]
        rows = api.rows(path)
        r = api.get(path, params={"format": "csv"})
        assert r.headers["Content-Type"].startswith("text/csv")
        assert not r.text.startswith("\ufeff")
        table = list(csv.reader(io.StringIO(r.text)))
        header, body = table[0], table[1:]
        assert header == list(rows[0].keys())
        assert [dict(zip(header, line)) for line in body] == rows

    @pytest.mark.parametrize("level", LEVELS)
    def test_xml_is_well_formed_with_columns_and_rows(self, api, tree, level):
        path = level_paths(tree)[level]
        rows = api.rows(path)
        r = api.get(path, params={"format": "xml"})
        assert r.headers["Content-Type"].startswith("text/xml")
        root = ET.fromstring(r.content)
        assert root.tag == XE + "ResultSet"
        assert root.get("totalRecords") == str(len(rows))
        columns = [c.text or "" for c in root.iter(XE + "column")]
        assert columns == list(rows[0].keys())
        xml_rows = [[c.text or "" for c in row.iter(XE + "cell")]
                    for row in root.iter(XE + "row")]
        assert xml_rows == [list(row.values()) for row in rows]

    @pytest.mark.parametrize("level", LEVELS)
    def test_html_is_a_table(self, api, tree, level):
        path = level_paths(tree)[level]
        rows = api.rows(path)
        r = api.get(path, params={"format": "html"})
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/html")
        assert "<table>" in r.text and "</table>" in r.text
        assert r.text.count("<th>") == len(rows[0])
        assert r.text.count("<tr>") == len(rows) + 1

    def test_listing_without_format_is_html(self, api, tree):
        r = api.get(level_paths(tree)["subjects"])
        assert r.headers["Content-Type"].startswith("text/html")
        assert "<table>" in r.text

    def test_csv_quotes_commas_quotes_and_newlines(self, api, project):
        name = 'Name, with "quotes"\nand a newline'
        r = api.put(f"/data/projects/{project}", params={"name": name, "description": "a,b"})
        assert r.status_code == 200
        table = api.csv("/data/projects", columns="ID,name,description", ID=project)
        assert table[0] == ["ID", "name", "description", "URI"]
        assert table[1:] == [[project, name, "a,b", f"/data/projects/{project}"]]

    def test_html_escapes_values(self, api, project):
        api.put(f"/data/projects/{project}", params={"description": "<b>&'\""})
        r = api.get("/data/projects", params={"format": "html", "ID": project,
                                              "columns": "ID,description"})
        assert "<b>" not in r.text
        assert "&lt;b&gt;&amp;" in r.text

    def test_empty_listing_still_has_csv_header(self, api, project):
        table = api.csv(f"/data/projects/{project}/subjects")
        assert table == [["ID", "project", "label", "insert_date", "insert_user", "URI"]]

    def test_empty_listing_as_json_and_xml(self, api, project):
        rs = api.result_set(f"/data/projects/{project}/subjects")
        assert rs["Result"] == [] and rs["totalRecords"] == "0"
        r = api.get(f"/data/projects/{project}/subjects", params={"format": "xml"})
        assert ET.fromstring(r.content).get("totalRecords") == "0"

    def test_default_columns_of_each_level(self, api, tree):
        paths = level_paths(tree)
        expect = {
            "subjects": ["ID", "project", "label", "insert_date", "insert_user", "URI"],
            "scans": ["xnat_imagescandata_id", "ID", "type", "quality", "xsiType", "note",
                      "series_description", "URI"],
            "resources": ["xnat_abstractresource_id", "label", "element_name", "category",
                          "cat_id", "cat_desc", "file_count", "file_size", "tags", "content",
                          "format"],  # as XNAT: no URI (xnatpy keys such rows by ID)
            "files": ["Name", "Size", "URI", "collection", "file_tags", "file_format",
                      "file_content", "cat_ID", "digest"],
        }
        for level, columns in expect.items():
            assert list(api.rows(paths[level])[0].keys()) == columns, level
        exp_cols = list(api.rows(paths["experiments"])[0].keys())
        for c in ("ID", "project", "date", "xsiType", "label", "insert_date", "URI"):
            assert c in exp_cols

    def test_rows_carry_the_short_uris_clients_need(self, api, tree):
        p = level_paths(tree)
        assert api.rows(p["subjects"])[0]["URI"] == f"/data/subjects/{tree.sid}"
        exp = api.rows(p["experiments"])[0]
        assert exp["URI"] == f"/data/experiments/{tree.eid}"
        assert exp["xsiType"] == "xnat:ctSessionData"
        scan = api.rows(p["scans"])[0]
        assert scan["URI"] == f"/data/experiments/{tree.eid}/scans/1"
        assert scan["xsiType"] == "xnat:ctScanData"
        for f in api.rows(p["files"]):
            assert f["URI"].startswith(f"/data/experiments/{tree.eid}/scans/1/resources/")
            assert f["URI"].endswith("/files/" + f["Name"])

    def test_subject_rows_leave_xsiType_empty(self, api, tree):
        """pyxnat learns types from rows with an xsiType: subjects must have none."""
        rows = api.rows(level_paths(tree)["subjects"], columns="ID,xsiType")
        assert [r["xsiType"] for r in rows] == [""]


class TestLargeListing:
    """Listings stream rows as PostgreSQL produces them: a long list comes out whole and in
    order, in every format, with the same totalRecords."""

    N = 20000

    @pytest.fixture
    def big(self, api, env, project):
        tag = uuid.uuid4().hex[:8]
        env.sql(f"INSERT INTO arca_subject (id, project) SELECT 'XNAT_LS{tag}_' || n, "
                f"'{project}' FROM generate_series(1, {self.N}) n; "
                f"INSERT INTO arca_subject_label (subject_id, project, label, is_primary) "
                f"SELECT 'XNAT_LS{tag}_' || n, '{project}', 'L' || lpad(n::text, 6, '0'), "
                f"true FROM generate_series(1, {self.N}) n")
        yield project
        # in bulk: the project's own deletion takes subjects one by one, which under load
        # or the sanitizers can outlast the client's read timeout
        env.sql(f"DELETE FROM arca_subject WHERE id LIKE 'XNAT\\_LS{tag}\\_%'")

    def test_csv_is_complete_and_ordered(self, api, big):
        table = api.csv(f"/data/projects/{big}/subjects", columns="label,gender")
        assert table[0] == ["label", "gender", "ID", "URI"]
        assert len(table) == self.N + 1
        assert [row[0] for row in table[1:]] == [f"L{n:06d}" for n in range(1, self.N + 1)]
        assert all(row[3] == f"/data/subjects/{row[2]}" for row in table[1:])

    def test_json_xml_html_agree(self, api, big):
        path = f"/data/projects/{big}/subjects"
        rs = api.result_set(path, columns="label")
        assert rs["totalRecords"] == str(self.N) and len(rs["Result"]) == self.N
        assert rs["Result"][-1]["label"] == f"L{self.N:06d}"
        r = api.get(path, params={"format": "xml", "columns": "label"})
        root = ET.fromstring(r.content)
        assert root.get("totalRecords") == str(self.N)
        assert len(root.findall(f"{XE}results/{XE}rows/{XE}row")) == self.N
        r = api.get(path, params={"format": "html", "columns": "label"})
        assert r.text.count("<tr>") == self.N + 1 and r.text.endswith("</html>\n")

    def test_csv_download_is_an_attachment(self, api, big):
        r = api.get(f"/data/projects/{big}/subjects", params={"format": "csv",
                                                             "download": "true"})
        assert r.headers["Content-Disposition"] == 'attachment; filename="subjects.csv"'
        assert len(r.text.splitlines()) == self.N + 1

    def test_a_client_that_leaves_mid_list_stops_the_query(self, api, env, big):
        """The query behind a stream is cancelled when the client goes away, and the
        server's connections to PostgreSQL are fine for the next requests."""
        extra = 100000  # 100,000 rows of 60 bytes: more than the socket buffers hold
        env.sql(f"INSERT INTO arca_subject (id, project) SELECT 'XNAT_LX' || n, '{big}' "
                f"FROM generate_series(1, {extra}) n; "
                f"INSERT INTO arca_subject_label (subject_id, project, label, is_primary) "
                f"SELECT 'XNAT_LX' || n, '{big}', 'X' || n || repeat('x', 40), true "
                f"FROM generate_series(1, {extra}) n")
        try:
            self.leave_mid_list(api, env, big, extra)
        finally:  # in bulk: the project's own deletion would take them one by one
            env.sql("DELETE FROM arca_subject WHERE id LIKE 'XNAT\\_LX%'")

    def leave_mid_list(self, api, env, big, extra):
        import base64
        import socket
        import time
        auth = base64.b64encode(f"{env.ADMIN}:{env.ADMIN_PASSWORD}".encode()).decode()
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", env.httpd.port)) as s:
                s.sendall(f"GET /data/projects/{big}/subjects?format=csv&columns=ID,label "
                          f"HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n"
                          .encode())
                assert s.recv(4096).startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and env.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%arca_subject_label%' AND pid <> pg_backend_pid()")[0][0] != "0":
            time.sleep(0.2)
        assert time.monotonic() < deadline, "a listing's query went on after its client left"
        with open(env.pg.log, errors="replace") as log:
            assert "canceling statement due to user request" in log.read()
        for _ in range(10):
            try:
                rs = api.result_set(f"/data/projects/{big}/subjects", columns="label",
                                    limit="5")
            except Exception as e:  # seen once (a read timeout) under the sanitizers
                activity = env.sql("SELECT pid, state, wait_event, left(query, 120) FROM "
                                   "pg_stat_activity WHERE pid <> pg_backend_pid()")
                with open(env.pg.log, errors="replace") as log:
                    pg_log = log.read()[-3000:]
                raise AssertionError(f"{e}\npg_stat_activity: {activity}\nhttpd:\n"
                                     f"{env.httpd.error_log()[-3000:]}\npostgres:\n"
                                     f"{pg_log}") from e
            assert rs["totalRecords"] == str(self.N + extra)

    def test_a_page_counts_the_whole_list(self, api, big):
        path = f"/data/projects/{big}/subjects"
        rs = api.result_set(path, columns="label", limit="10", offset="19995")
        assert rs["totalRecords"] == str(self.N)
        assert [x["label"] for x in rs["Result"]] == [f"L{n:06d}" for n in range(19996, 20001)]
        r = api.get(path, params={"format": "xml", "limit": "3"})
        assert ET.fromstring(r.content).get("totalRecords") == str(self.N)


class TestListingColumns:
    ASKED = {
        "projects": ["name", "description"],
        "subjects": ["label", "gender", DEMO_GENDER, "yob"],
        "experiments": ["label", "xnat:ctSessionData/date", "date", "modality"],
        "scans": ["type", "xnat:ctScanData/series_description", "quality"],
        "resources": ["label", "file_count"],
        "files": ["Name", "Size", "digest"],
    }

    @pytest.mark.parametrize("level", LEVELS)
    def test_requested_columns_come_back_spelled_as_asked(self, api, tree, level):
        asked = self.ASKED[level]
        params = {"columns": ",".join(asked)}
        if level == "projects":
            params["ID"] = tree.project
        rows = api.rows(level_paths(tree)[level], **params)
        header = list(rows[0].keys())
        assert header[:len(asked)] == asked
        table = api.csv(level_paths(tree)[level], **params)
        assert table[0][:len(asked)] == asked

    @pytest.mark.parametrize("level", LEVELS)
    def test_key_and_uri_are_always_there(self, api, tree, level):
        asked = self.ASKED[level][-1]
        params = {"columns": asked}
        if level == "projects":
            params["ID"] = tree.project
        header = list(api.rows(level_paths(tree)[level], **params)[0].keys())
        assert asked in header
        assert KEY[level] in header
        if level != "resources":  # XNAT's resource rows have no URI
            assert "URI" in header

    def test_values_of_alias_and_xpath_columns(self, api, tree):
        row = api.rows(level_paths(tree)["subjects"], columns=",".join(self.ASKED["subjects"]))[0]
        assert row["gender"] == row[DEMO_GENDER] == "male"
        assert row["yob"] == "1970"
        exp = api.rows(level_paths(tree)["experiments"],
                       columns=",".join(self.ASKED["experiments"]))[0]
        assert exp["xnat:ctSessionData/date"] == exp["date"] == "2020-01-02"
        assert exp["modality"] == "CT"
        scan = api.rows(level_paths(tree)["scans"], columns=",".join(self.ASKED["scans"]))[0]
        assert scan["type"] == "AXIAL"
        assert scan["xnat:ctScanData/series_description"] == "Axial CT"
        assert scan["quality"] == "usable"

    def test_raw_xpath_column_as_pyxnat_sends_it(self, api, tree):
        """pyxnat's attrs.get: brackets encoded, '=' and ':' raw."""
        r = api.raw("GET", f"/data/projects/{tree.project}/subjects?columns=ID,xnat:subjectData"
                           "/demographics%5B@xsi:type=xnat:demographicData%5D/gender&format=csv")
        table = list(csv.reader(io.StringIO(r.text)))
        assert table[0][:2] == ["ID", DEMO_GENDER]
        assert table[1][:2] == [tree.sid, "male"]

    def test_unknown_column_comes_back_empty(self, api, tree):
        rows = api.rows(level_paths(tree)["subjects"], columns="ID,no_such_column")
        assert list(rows[0].keys())[:2] == ["ID", "no_such_column"]
        assert [r["no_such_column"] for r in rows] == [""]

    def test_default_keyword_adds_the_default_columns(self, api, tree):
        rows = api.rows(level_paths(tree)["subjects"], columns="DEFAULT,gender")
        header = list(rows[0].keys())
        for c in ("ID", "project", "label", "insert_date", "URI", "gender"):
            assert c in header

    def test_subject_of_an_experiment_is_headed_subject_ID(self, api, tree):
        """pyxnat asks for <type>/subject_id and reads row['subject_ID']."""
        rows = api.rows("/data/experiments", ID=tree.eid,
                        xsiType="xnat:subjectAssessorData",
                        columns="ID,project,xnat:subjectAssessorData/subject_id")
        assert len(rows) == 1
        assert rows[0]["subject_ID"] == tree.sid
        assert rows[0]["project"] == tree.project

    def test_a_session_has_no_session_ID(self, api, tree):
        """session_ID names the session of an image assessor; a session has none."""
        rows = api.rows(level_paths(tree)["experiments"], columns="ID,session_ID")
        assert rows[0]["ID"] == tree.eid
        assert rows[0]["session_ID"] == ""
        data = api.item(f"/data/experiments/{tree.eid}")["data_fields"]
        assert data.get("session_ID", "") == ""


class TestFiltersSortingPaging:
    @pytest.fixture
    def subjects(self, api, project):
        for i, gender in enumerate(["female", "male", "female", "male", "female"]):
            r = api.put(f"/data/projects/{project}/subjects/Sub{i}",
                        params={"yob": str(1990 - i), "gender": gender})
            assert r.status_code == 201
        api.put(f"/data/projects/{project}/subjects/Other", params={"yob": "1950"})
        return f"/data/projects/{project}/subjects"

    def test_filter_by_exact_label(self, api, subjects):
        rs = api.result_set(subjects, label="Sub2", columns="label")
        assert [r["label"] for r in rs["Result"]] == ["Sub2"]
        assert rs["totalRecords"] == "1"

    def test_filter_with_wildcard(self, api, subjects):
        rows = api.rows(subjects, label="Sub*", columns="label")
        assert sorted(r["label"] for r in rows) == [f"Sub{i}" for i in range(5)]
        rows = api.rows(subjects, label="*ther", columns="label")
        assert [r["label"] for r in rows] == ["Other"]

    def test_filter_by_field(self, api, subjects):
        rows = api.rows(subjects, gender="male", columns="label")
        assert sorted(r["label"] for r in rows) == ["Sub1", "Sub3"]

    def test_filter_combined_with_csv(self, api, subjects):
        table = api.csv(subjects, gender="female", label="Sub*", columns="label,gender")
        assert sorted(row[0] for row in table[1:]) == ["Sub0", "Sub2", "Sub4"]

    def test_filter_experiments_by_xsiType(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S")
        for label, xsi in [("CT1", "xnat:ctSessionData"), ("MR1", "xnat:mrSessionData"),
                           ("MR2", "xnat:mrSessionData")]:
            assert api.put(f"/data/projects/{project}/subjects/S/experiments/{label}",
                           params={"xsiType": xsi}).status_code == 201
        path = f"/data/projects/{project}/experiments"
        rows = api.rows(path, xsiType="xnat:mrSessionData")
        assert sorted(r["label"] for r in rows) == ["MR1", "MR2"]
        assert len(api.rows(path, xsiType="xnat:imageSessionData")) == 3
        assert len(api.rows(path, xsiType="xnat:ctSessionData,xnat:mrSessionData")) == 3

    def test_sort_by_column_both_ways(self, api, subjects):
        asc = api.rows(subjects, sortBy="yob", columns="label,yob")
        assert [r["label"] for r in asc] == ["Other", "Sub4", "Sub3", "Sub2", "Sub1", "Sub0"]
        desc = api.rows(subjects, sortBy="yob", sortOrder="DESC", columns="label,yob")
        assert [r["label"] for r in desc] == ["Sub0", "Sub1", "Sub2", "Sub3", "Sub4", "Other"]

    def test_sort_by_xpath_column(self, api, subjects):
        rows = api.rows(subjects, sortBy="xnat:subjectData/demographics/yob",
                        sortOrder="DESC", columns="label")
        assert rows[0]["label"] == "Sub0"

    def test_limit_and_offset_keep_the_full_total(self, api, subjects):
        rs = api.result_set(subjects, sortBy="label", limit="2", offset="1", columns="label")
        assert [r["label"] for r in rs["Result"]] == ["Sub0", "Sub1"]
        assert rs["totalRecords"] == "6"
        table = api.csv(subjects, sortBy="label", limit="2", offset="4", columns="label")
        assert [row[0] for row in table[1:]] == ["Sub3", "Sub4"]

    def test_limit_zero_still_reports_the_total(self, api, subjects):
        rs = api.result_set(subjects, limit="0")
        assert rs["Result"] == []
        assert rs["totalRecords"] == "6"

    def test_offset_past_the_end_reports_the_total(self, api, subjects):
        rs = api.result_set(subjects, offset="50")
        assert rs["Result"] == []
        assert rs["totalRecords"] == "6"

    def test_filtered_total_counts_matches_not_all(self, api, subjects):
        rs = api.result_set(subjects, gender="female", limit="1")
        assert len(rs["Result"]) == 1
        assert rs["totalRecords"] == "3"


class TestSingleObject:
    @pytest.fixture
    def full(self, api, tree, make_project):
        """The tree with a custom variable on subject and session, and shares of both."""
        p2 = make_project("_other")
        s = f"/data/projects/{tree.project}/subjects/S1"
        assert api.put(s, params={"xnat:subjectData/fields/field[name=kvp]/field": "120"}) \
            .status_code == 200
        assert api.put(f"{s}/experiments/E1",
                       params={"xnat:ctSessionData/fields/field[name=dose]/field": "7"}) \
            .status_code == 200
        assert api.put(f"{s}/projects/{p2}", params={"label": "S1_shared"}).status_code == 200
        assert api.put(f"{s}/experiments/E1/projects/{p2}",
                       params={"label": "E1_shared"}).status_code == 200
        tree.p2 = p2
        return tree

    @staticmethod
    def child(item, field):
        found = [c for c in item["children"] if c["field"] == field]
        assert len(found) == 1, [c["field"] for c in item["children"]]
        return found[0]["items"]

    def test_subject_json_shape(self, api, full):
        r = api.get(f"/data/projects/{full.project}/subjects/S1", params={"format": "json"})
        assert r.headers["Content-Type"].startswith("application/json")
        item = r.json()["items"][0]
        assert set(item) >= {"meta", "data_fields", "children"}
        assert item["meta"]["xsi:type"] == "xnat:subjectData"
        assert item["meta"]["isHistory"] is False
        data = item["data_fields"]
        assert data["ID"] == full.sid and data["label"] == "S1"
        assert data["project"] == full.project
        assert "gender" not in data  # demographics nest in their own child, as in XNAT
        demo = self.child(item, "demographics")[0]
        assert demo["meta"]["xsi:type"] == "xnat:demographicData"
        assert demo["data_fields"]["gender"] == "male" and demo["data_fields"]["yob"] == "1970"
        assert all(isinstance(v, str) for v in data.values())

    def test_subject_json_children(self, api, full):
        item = api.item(f"/data/subjects/{full.sid}")
        fields = self.child(item, "fields/field")
        assert [f["data_fields"] for f in fields] == [{"name": "kvp", "field": "120"}]
        shares = self.child(item, "sharing/share")
        assert [s["data_fields"] for s in shares] == [{"project": full.p2,
                                                        "label": "S1_shared"}]
        resources = self.child(item, "resources/resource")
        assert [r["data_fields"]["label"] for r in resources] == ["NOTES"]
        experiments = self.child(item, "experiments/experiment")
        assert [e["data_fields"]["ID"] for e in experiments] == [full.eid]

    def test_experiment_json_children(self, api, full):
        item = api.item(f"/data/experiments/{full.eid}")
        assert item["meta"]["xsi:type"] == "xnat:ctSessionData"
        data = item["data_fields"]
        assert data["ID"] == full.eid and data["label"] == "E1"
        assert data["subject_ID"] == full.sid and data["date"] == "2020-01-02"
        scans = self.child(item, "scans/scan")
        assert len(scans) == 1
        assert scans[0]["meta"]["xsi:type"] == "xnat:ctScanData"
        assert scans[0]["data_fields"]["ID"] == "1"
        assert scans[0]["data_fields"]["type"] == "AXIAL"
        assert [f["data_fields"] for f in self.child(item, "fields/field")] == \
            [{"name": "dose", "field": "7"}]
        assert [r["data_fields"]["label"] for r in self.child(item, "resources/resource")] \
            == ["SNAP"]
        assert [s["data_fields"] for s in self.child(item, "sharing/share")] == \
            [{"project": full.p2, "label": "E1_shared"}]

    def test_scan_json_children(self, api, tree):
        item = api.item(f"/data/experiments/{tree.eid}/scans/1")
        assert item["meta"]["xsi:type"] == "xnat:ctScanData"
        assert item["data_fields"]["series_description"] == "Axial CT"
        resources = self.child(item, "resources/resource")
        assert resources[0]["data_fields"]["label"] == "DICOM"
        assert resources[0]["data_fields"]["file_count"] == "2"

    def test_start_date_parses_as_xnatpy_parses_it(self, api, tree):
        item = api.item(f"/data/experiments/{tree.eid}")
        when = datetime.datetime.strptime(item["meta"]["start_date"],
                                          "%a %b %d %H:%M:%S %Z %Y")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        assert abs(when - now) < datetime.timedelta(hours=1)

    def test_shared_subject_reads_with_its_label_there(self, api, full):
        item = api.item(f"/data/projects/{full.p2}/subjects/S1_shared")
        assert item["data_fields"]["ID"] == full.sid
        assert item["data_fields"]["label"] == "S1_shared"

    def test_subject_xml(self, api, tree):
        r = api.get(f"/data/projects/{tree.project}/subjects/S1", params={"format": "xml"})
        assert r.headers["Content-Type"].startswith("text/xml")
        root = ET.fromstring(r.content)
        assert root.tag == "{http://nrg.wustl.edu/xnat}Subject"
        assert root.get("ID") == tree.sid
        assert root.get("label") == "S1"
        assert root.get("project") == tree.project
        gender = root.find("{http://nrg.wustl.edu/xnat}demographics/"
                           "{http://nrg.wustl.edu/xnat}gender")
        assert gender is not None and gender.text == "male"

    @pytest.mark.parametrize("xsi, element", [("xnat:ctSessionData", "CTSession"),
                                              ("xnat:mrSessionData", "MRSession")])
    def test_session_xml_root_element(self, api, project, xsi, element):
        api.put(f"/data/projects/{project}/subjects/S")
        eid = api.put(f"/data/projects/{project}/subjects/S/experiments/E",
                      params={"xsiType": xsi}).text
        api.put(f"/data/experiments/{eid}/scans/3")
        r = api.get(f"/data/experiments/{eid}", params={"format": "xml"})
        root = ET.fromstring(r.content)
        assert root.tag == "{http://nrg.wustl.edu/xnat}" + element
        assert root.get("ID") == eid and root.get("label") == "E"
        assert root.get("{http://www.w3.org/2001/XMLSchema-instance}type") == xsi
        scans = root.findall("{http://nrg.wustl.edu/xnat}scans/{http://nrg.wustl.edu/xnat}scan")
        assert [s.get("ID") for s in scans] == ["3"]

    def test_project_json_and_xml(self, api, project):
        api.put(f"/data/projects/{project}", params={"name": "A & B", "description": "<d>"})
        item = api.item(f"/data/projects/{project}")
        assert item["meta"]["xsi:type"] == "xnat:projectData"
        assert item["data_fields"]["ID"] == project
        assert item["data_fields"]["name"] == "A & B"
        root = ET.fromstring(api.get(f"/data/projects/{project}",
                                     params={"format": "xml"}).content)
        assert root.tag == "{http://nrg.wustl.edu/xnat}Project"
        assert root.get("ID") == project
        assert root.find("{http://nrg.wustl.edu/xnat}description").text == "<d>"

    def test_resource_reads_as_a_catalog(self, api, tree):
        r = api.get(tree.scan_res)
        assert r.status_code == 200
        root = ET.fromstring(r.content)
        assert root.tag == "{http://nrg.wustl.edu/catalog}Catalog"
        entries = root.iter("{http://nrg.wustl.edu/catalog}entry")
        assert sorted(e.get("URI") for e in entries) == sorted(tree.scan_files)


# ---- 2. create / update / delete -------------------------------------------------------------

class TestCreateUpdateDelete:
    def test_project_put_201_then_200_with_params(self, api):
        pid = slug(f"rh_newproj_{uuid.uuid4().hex[:8]}")
        try:
            r = api.put(f"/data/projects/{pid}", params={"name": "First name"})
            assert r.status_code == 201 and r.text.strip() == pid
            r = api.put(f"/data/projects/{pid}", params={
                "xnat:projectData/name": "Second", "description": "desc",
                "secondary_ID": "SEC"})
            assert r.status_code == 200
            row = api.rows("/data/projects", ID=pid)[0]
            assert (row["name"], row["description"], row["secondary_ID"]) == \
                ("Second", "desc", "SEC")
        finally:
            api.delete(f"/data/projects/{pid}")

    def test_subject_put_is_201_with_accession_id(self, api, project):
        r = api.put(f"/data/projects/{project}/subjects/S1",
                    params={"xsiType": "xnat:subjectData"})
        assert r.status_code == 201
        assert r.headers["Content-Type"].startswith("text/plain")
        assert SUBJECT_ID_RE.match(r.text.strip()), r.text

    def test_re_put_is_200_and_adds_no_row(self, api, project):
        first = api.put(f"/data/projects/{project}/subjects/S1").text
        r = api.put(f"/data/projects/{project}/subjects/S1", params={"gender": "female"})
        assert r.status_code == 200
        assert r.text.strip() == first
        assert counts(api.env, project)["subjects"] == 1
        assert counts(api.env, project)["subject_labels"] == 1

    def test_subject_alias_params(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S1", params={
            "gender": "female", "yob": "1984", "handedness": "left", "group": "control"})
        row = api.rows(f"/data/projects/{project}/subjects",
                       columns="gender,yob,handedness,group")[0]
        assert (row["gender"], row["yob"], row["handedness"], row["group"]) == \
            ("female", "1984", "left", "control")

    def test_xpath_param_with_raw_equals_in_brackets(self, api, project):
        """As pyxnat's create(**{xpath: v}) sends it: '=' raw inside the brackets."""
        r = api.raw("PUT", f"/data/projects/{project}/subjects/S2?xsiType=xnat:subjectData&"
                           "xnat:subjectData/demographics%5B@xsi:type=xnat:demographicData"
                           "%5D/gender=male")
        assert r.status_code == 201, r.text
        row = api.rows(f"/data/projects/{project}/subjects", columns="label,gender")[0]
        assert row["gender"] == "male"

    def test_xpath_param_fully_encoded(self, api, project):
        """As pyxnat's attrs.set sends it: every reserved character encoded."""
        api.put(f"/data/projects/{project}/subjects/S1")
        r = api.raw("PUT", f"/data/projects/{project}/subjects/S1?xsiType=xnat%3AsubjectData&"
                           "xnat%3AsubjectData/demographics%5B%40xsi%3Atype%3Dxnat%3A"
                           "demographicData%5D/yob=1977")
        assert r.status_code == 200, r.text
        assert api.rows(f"/data/projects/{project}/subjects", columns="yob")[0]["yob"] \
            == "1977"

    def test_ct_session_with_aliases(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S1")
        r = api.put(f"/data/projects/{project}/subjects/S1/experiments/CT1", params={
            "xsiType": "xnat:ctSessionData", "date": "2021-06-30", "modality": "CT",
            "visit_id": "V1"})
        assert r.status_code == 201
        eid = r.text.strip()
        assert EXPERIMENT_ID_RE.match(eid), eid
        row = api.rows(f"/data/projects/{project}/experiments",
                       columns="ID,label,xsiType,date,modality,visit_id")[0]
        assert row == {"ID": eid, "label": "CT1", "xsiType": "xnat:ctSessionData",
                       "date": "2021-06-30", "modality": "CT", "visit_id": "V1",
                       "URI": f"/data/experiments/{eid}"}

    def test_mr_session_with_xpath_params(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S1")
        r = api.raw("PUT", f"/data/projects/{project}/subjects/S1/experiments/MR1?"
                           "xsiType=xnat:mrSessionData&xnat:mrSessionData/date=2019-12-31&"
                           "xnat:mrSessionData/note=first%20visit")
        assert r.status_code == 201, r.text
        row = api.rows(f"/data/projects/{project}/subjects/S1/experiments",
                       columns="xsiType,date,note")[0]
        assert (row["xsiType"], row["date"], row["note"]) == \
            ("xnat:mrSessionData", "2019-12-31", "first visit")

    def test_re_put_experiment_is_200_without_duplicate(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S1")
        path = f"/data/projects/{project}/subjects/S1/experiments/E1"
        first = api.put(path, params={"xsiType": "xnat:ctSessionData"})
        again = api.put(path, params={"xsiType": "xnat:ctSessionData", "note": "n"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.text == first.text
        assert counts(api.env, project)["experiments"] == 1

    def test_experiment_created_under_project_with_subject_ID(self, api, project):
        sid = api.put(f"/data/projects/{project}/subjects/S1").text
        r = api.put(f"/data/projects/{project}/experiments/E9",
                    params={"xsiType": "xnat:mrSessionData", "subject_ID": "S1"})
        assert r.status_code == 201
        row = api.rows(f"/data/projects/{project}/subjects/S1/experiments")[0]
        assert row["label"] == "E9" and row["subject_ID"] == sid

    def test_every_path_form_reaches_the_same_experiment(self, api, tree):
        p, eid = tree.project, tree.eid
        for path in (f"/data/projects/{p}/subjects/S1/experiments/E1",
                     f"/data/projects/{p}/subjects/{tree.sid}/experiments/E1",
                     f"/data/projects/{p}/subjects/S1/experiments/{eid}",
                     f"/data/projects/{p}/experiments/E1",
                     f"/data/projects/{p}/experiments/{eid}",
                     f"/data/experiments/{eid}",
                     f"/REST/experiments/{eid}",
                     f"/data/archive/projects/{p}/experiments/E1"):
            assert api.item(path)["data_fields"]["ID"] == eid, path

    def test_every_path_form_reaches_the_same_subject(self, api, tree):
        for path in (f"/data/projects/{tree.project}/subjects/S1",
                     f"/data/projects/{tree.project}/subjects/{tree.sid}",
                     f"/data/subjects/{tree.sid}"):
            assert api.item(path)["data_fields"]["ID"] == tree.sid, path

    def test_update_through_the_short_path(self, api, tree):
        r = api.put(f"/data/experiments/{tree.eid}", params={"note": "via short path"})
        assert r.status_code == 200 and r.text.strip() == tree.eid
        r = api.put(f"/data/subjects/{tree.sid}", params={"gender": "female"})
        assert r.status_code == 200
        assert api.item(f"/data/experiments/{tree.eid}")["data_fields"]["note"] == \
            "via short path"
        demo = next(c for c in api.item(f"/data/subjects/{tree.sid}")["children"]
                    if c["field"] == "demographics")["items"][0]
        assert demo["data_fields"]["gender"] == "female"

    def test_scan_with_aliases(self, api, tree):
        path = f"/data/projects/{tree.project}/subjects/S1/experiments/E1/scans/7"
        r = api.put(path, params={"xsiType": "xnat:ctScanData", "type": "SCOUT",
                                  "series_description": "Scout view", "quality": "questionable"})
        assert r.status_code == 201
        row = [s for s in api.rows(f"/data/experiments/{tree.eid}/scans") if s["ID"] == "7"][0]
        assert (row["type"], row["series_description"], row["quality"], row["xsiType"]) == \
            ("SCOUT", "Scout view", "questionable", "xnat:ctScanData")

    def test_scan_with_xpath_params_as_pyxnat_sends_them(self, api, tree):
        r = api.raw("PUT", f"/data/experiments/{tree.eid}/scans/8?xsiType=xnat:ctScanData&"
                           "xnat:ctScanData/type=CT%20AX&xnat:ctScanData/series_description="
                           "Axial&xnat:ctScanData/quality=usable")
        assert r.status_code == 201, r.text
        row = [s for s in api.rows(f"/data/experiments/{tree.eid}/scans") if s["ID"] == "8"][0]
        assert (row["type"], row["series_description"], row["quality"]) == \
            ("CT AX", "Axial", "usable")

    def test_re_put_scan_is_200_without_duplicate(self, api, tree):
        path = f"/data/experiments/{tree.eid}/scans/1"
        r = api.put(path, params={"quality": "unusable"})
        assert r.status_code == 200
        scans = api.rows(f"/data/experiments/{tree.eid}/scans")
        assert [(s["ID"], s["quality"]) for s in scans] == [("1", "unusable")]

    def test_scan_type_follows_the_session(self, api, project):
        api.put(f"/data/projects/{project}/subjects/S")
        eid = api.put(f"/data/projects/{project}/subjects/S/experiments/M",
                      params={"xsiType": "xnat:mrSessionData"}).text
        api.put(f"/data/experiments/{eid}/scans/1")
        assert api.rows(f"/data/experiments/{eid}/scans")[0]["xsiType"] == "xnat:mrScanData"

    def test_scans_list_in_numeric_order(self, api, tree):
        for sid in ("10", "2"):
            api.put(f"/data/experiments/{tree.eid}/scans/{sid}")
        assert [s["ID"] for s in api.rows(f"/data/experiments/{tree.eid}/scans")] == \
            ["1", "2", "10"]

    def test_rename_subject_with_label_param(self, api, tree):
        r = api.put(f"/data/projects/{tree.project}/subjects/S1", params={"label": "S1new"})
        assert r.status_code == 200
        assert api.item(f"/data/projects/{tree.project}/subjects/S1new")["data_fields"]["ID"] \
            == tree.sid
        assert api.get(f"/data/projects/{tree.project}/subjects/S1").status_code == 404
        # the files stay where they are and still download
        assert api.get(f"/data/projects/{tree.project}/subjects/S1new/resources/NOTES/files/"
                       "notes.txt").content == b"subject notes"

    def test_rename_experiment_with_label_param(self, api, tree):
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/experiments/E1",
                    params={"label": "E1new"})
        assert r.status_code == 200
        rows = api.rows(f"/data/projects/{tree.project}/experiments", columns="ID,label")
        assert [(x["ID"], x["label"]) for x in rows] == [(tree.eid, "E1new")]
        assert api.get(f"{tree.scan_res.replace('/E1/', '/E1new/')}/files/a.dcm").content == \
            tree.scan_files["a.dcm"]

    @pytest.mark.parametrize("kind", ["subjects", "experiments"])
    def test_rename_through_the_accession_path(self, api, tree, kind):
        """xnatpy addresses objects by their URI column (/data/experiments/ID) when it sets
        attributes, the label included."""
        oid = tree.sid if kind == "subjects" else tree.eid
        r = api.put(f"/data/{kind}/{oid}", params={"label": "Renamed"})
        assert r.status_code == 200
        assert api.item(f"/data/{kind}/{oid}")["data_fields"]["label"] == "Renamed"
        rows = api.rows(f"/data/projects/{tree.project}/{kind}", columns="ID,label")
        assert [x["label"] for x in rows] == ["Renamed"]

    def test_delete_subject_removes_rows_and_files(self, api, tree):
        dirs = [d for (d,) in api.env.sql(
            f"SELECT dir FROM arca_resource WHERE subject_id = '{tree.sid}' OR experiment_id "
            f"= '{tree.eid}' OR scan_pk IN (SELECT pk FROM arca_scan WHERE experiment_id = "
            f"'{tree.eid}')")]
        assert len(dirs) == 3
        for d in dirs:
            assert files_under(os.path.join(archive_root(api.env), d))
        r = api.delete(f"/data/projects/{tree.project}/subjects/S1",
                       params={"removeFiles": "true"})
        assert r.status_code == 200
        c = counts(api.env, tree.project)
        assert (c["subjects"], c["experiments"], c["scans"], c["files"]) == (0, 0, 0, 1)
        for d in dirs:
            assert not os.path.exists(os.path.join(archive_root(api.env), d)), d
        assert api.get(f"/data/subjects/{tree.sid}").status_code == 404
        # the project's own resource is untouched
        assert api.get(f"/data/projects/{tree.project}/resources/DOCS/files/docs/readme.txt"
                       ).content == b"read me"

    def test_delete_experiment_by_accession_id(self, api, tree):
        d = one(api.env, f"SELECT dir FROM arca_resource WHERE scan_pk IS NOT NULL AND "
                         f"scan_pk IN (SELECT pk FROM arca_scan WHERE experiment_id = "
                         f"'{tree.eid}')")
        r = api.delete(f"/data/experiments/{tree.eid}", params={"removeFiles": "true"})
        assert r.status_code == 200
        assert api.get(f"/data/experiments/{tree.eid}").status_code == 404
        assert counts(api.env, tree.project)["experiments"] == 0
        assert counts(api.env, tree.project)["subjects"] == 1
        assert not os.path.exists(os.path.join(archive_root(api.env), d))

    def test_delete_scan_removes_its_files(self, api, tree):
        d = one(api.env, f"SELECT dir FROM arca_resource WHERE label = 'DICOM' AND scan_pk IN "
                         f"(SELECT pk FROM arca_scan WHERE experiment_id = '{tree.eid}')")
        r = api.delete(f"/data/experiments/{tree.eid}/scans/1", params={"removeFiles": "true"})
        assert r.status_code == 200
        assert api.rows(f"/data/experiments/{tree.eid}/scans") == []
        assert not os.path.exists(os.path.join(archive_root(api.env), d))
        assert api.get(f"/data/projects/{tree.project}/subjects/S1/experiments/E1/resources/"
                       "SNAP/files/snap.png").status_code == 200

    def test_delete_resource_removes_its_files(self, api, tree):
        d = one(api.env, f"SELECT dir FROM arca_resource WHERE label = 'NOTES' AND "
                         f"subject_id = '{tree.sid}'")
        r = api.delete(f"/data/projects/{tree.project}/subjects/S1/resources/NOTES",
                       params={"removeFiles": "true"})
        assert r.status_code == 200
        assert api.rows(f"/data/projects/{tree.project}/subjects/S1/resources") == []
        assert not os.path.exists(os.path.join(archive_root(api.env), d))

    def test_delete_project_removes_everything(self, api, tree):
        top = os.path.join(archive_root(api.env), tree.project)
        assert files_under(top)
        r = api.delete(f"/data/projects/{tree.project}", params={"removeFiles": "true"})
        assert r.status_code == 200
        assert api.get(f"/data/projects/{tree.project}").status_code == 404
        assert files_under(top) == set()
        assert one(api.env, f"SELECT count(*) FROM arca_subject WHERE id = '{tree.sid}'") == "0"

    def test_delete_without_remove_files_keeps_files_on_disk(self, api, tree):
        d = one(api.env, f"SELECT dir FROM arca_resource WHERE label = 'NOTES' AND "
                         f"subject_id = '{tree.sid}'")
        r = api.delete(f"/data/projects/{tree.project}/subjects/S1/resources/NOTES")
        assert r.status_code == 200
        assert api.rows(f"/data/projects/{tree.project}/subjects/S1/resources") == []
        assert files_under(os.path.join(archive_root(api.env), d)) == {"notes.txt"}


# ---- 3. custom variables -------------------------------------------------------------------

def custom_xpath(root, name):
    return f"{root}/fields/field[name={name}]/field"


class TestCustomVariables:
    @pytest.fixture
    def typed(self, api, tree):
        for name, type_ in [("kvp", "integer"), ("weight2", "float"), ("flag", "boolean"),
                            ("seen", "date"), ("site", "string")]:
            r = api.put(f"/xapi/projects/{tree.project}/customVariables/subject/{name}",
                        params={"type": type_})
            assert r.status_code == 200, r.text
        r = api.put(f"/xapi/projects/{tree.project}/customVariables/experiment/dose",
                    params={"type": "float"})
        assert r.status_code == 200
        return tree

    def subject_value(self, api, t, name):
        rows = api.rows(f"/data/projects/{t.project}/subjects",
                        columns="ID," + custom_xpath("xnat:subjectData", name))
        return rows[0][custom_xpath("xnat:subjectData", name)]

    def test_definitions_are_listed(self, api, typed):
        rows = api.rows(f"/xapi/projects/{typed.project}/customVariables")
        assert {(r["level"], r["name"], r["type"]) for r in rows} == {
            ("subject", "kvp", "integer"), ("subject", "weight2", "float"),
            ("subject", "flag", "boolean"), ("subject", "seen", "date"),
            ("subject", "site", "string"), ("experiment", "dose", "float")}

    def test_value_set_with_raw_xpath_and_listed(self, api, typed):
        r = api.raw("PUT", f"/data/projects/{typed.project}/subjects/S1?xsiType=xnat:"
                           "subjectData&xnat:subjectData/fields/field%5Bname=kvp%5D/field=120")
        assert r.status_code == 200, r.text
        column = custom_xpath("xnat:subjectData", "kvp")
        table = api.csv(f"/data/projects/{typed.project}/subjects", columns="ID," + column)
        assert table[0][:2] == ["ID", column]
        assert table[1][:2] == [typed.sid, "120"]

    def test_value_set_as_pyxnat_attrs_set_encodes_it(self, api, typed):
        r = api.raw("PUT", f"/data/projects/{typed.project}/subjects/S1?xsiType=xnat%3A"
                           "subjectData&xnat%3AsubjectData/fields/field%5Bname%3Dkvp%5D/"
                           "field=121")
        assert r.status_code == 200, r.text
        assert self.subject_value(api, typed, "kvp") == "121"

    def test_value_in_single_object_json(self, api, typed):
        api.put(f"/data/projects/{typed.project}/subjects/S1",
                params={custom_xpath("xnat:subjectData", "kvp"): "99",
                        custom_xpath("xnat:subjectData", "site"): "north"})
        item = api.item(f"/data/subjects/{typed.sid}")
        fields = [c for c in item["children"] if c["field"] == "fields/field"]
        assert len(fields) == 1
        values = {f["data_fields"]["name"]: f["data_fields"]["field"] for f in fields[0]["items"]}
        assert values == {"kvp": "99", "site": "north"}

    @pytest.mark.parametrize("name, value", [("kvp", "-12"), ("weight2", "70.5"),
                                             ("flag", "true"), ("flag", "0"),
                                             ("seen", "2024-02-29"), ("site", "any text")])
    def test_values_of_the_right_type_are_accepted(self, api, typed, name, value):
        r = api.put(f"/data/projects/{typed.project}/subjects/S1",
                    params={custom_xpath("xnat:subjectData", name): value})
        assert r.status_code == 200, r.text
        assert self.subject_value(api, typed, name) == value

    @pytest.mark.parametrize("name, value", [("kvp", "abc"), ("kvp", "1.5"),
                                             ("weight2", "heavy"), ("flag", "maybe"),
                                             ("seen", "2023-02-29"), ("seen", "01/02/2020")])
    def test_wrong_type_is_400_and_changes_nothing(self, api, typed, name, value):
        path = f"/data/projects/{typed.project}/subjects/S1"
        xp = custom_xpath("xnat:subjectData", name)
        good = {"kvp": "7", "weight2": "1.5", "flag": "false", "seen": "2020-01-01"}[name]
        assert api.put(path, params={xp: good}).status_code == 200
        r = api.put(path, params={xp: value, "gender": "female",
                                  custom_xpath("xnat:subjectData", "site"): "changed"})
        assert_error(r, 400, mentions=(name, value))
        assert self.subject_value(api, typed, name) == good
        assert self.subject_value(api, typed, "site") == ""
        assert api.rows(f"/data/projects/{typed.project}/subjects",
                        columns="gender")[0]["gender"] == "male"

    def test_wrong_type_on_create_creates_nothing(self, api, typed):
        before = counts(api.env, typed.project)
        r = api.put(f"/data/projects/{typed.project}/subjects/S2",
                    params={custom_xpath("xnat:subjectData", "kvp"): "lots"})
        assert_error(r, 400, mentions=("kvp",))
        assert counts(api.env, typed.project) == before

    def test_undefined_field_is_accepted_as_a_string(self, api, typed):
        r = api.put(f"/data/projects/{typed.project}/subjects/S1",
                    params={custom_xpath("xnat:subjectData", "mood"): "fine, thanks"})
        assert r.status_code == 200
        assert self.subject_value(api, typed, "mood") == "fine, thanks"

    def test_experiment_level_variable(self, api, typed):
        path = f"/data/projects/{typed.project}/subjects/S1/experiments/E1"
        xp = custom_xpath("xnat:ctSessionData", "dose")
        assert api.put(path, params={xp: "2.5"}).status_code == 200
        assert_error(api.put(path, params={xp: "high"}), 400, mentions=("dose",))
        rows = api.rows(f"/data/projects/{typed.project}/experiments", columns="ID," + xp)
        assert rows[0][xp] == "2.5"

    def test_scan_level_variable(self, api, tree):
        assert api.put(f"/xapi/projects/{tree.project}/customVariables/scan/slices",
                       params={"type": "integer"}).status_code == 200
        path = f"/data/experiments/{tree.eid}/scans/1"
        xp = custom_xpath("xnat:ctScanData", "slices")
        assert api.put(path, params={xp: "64"}).status_code == 200
        assert_error(api.put(path, params={xp: "sixty"}), 400, mentions=("slices",))
        assert api.rows(f"/data/experiments/{tree.eid}/scans", columns="ID," + xp)[0][xp] \
            == "64"

    def test_clearing_a_value(self, api, typed):
        path = f"/data/projects/{typed.project}/subjects/S1"
        xp = custom_xpath("xnat:subjectData", "kvp")
        api.put(path, params={xp: "5"})
        assert api.put(path, params={xp: "NULL"}).status_code == 200
        assert self.subject_value(api, typed, "kvp") == ""

    def test_defining_a_type_existing_values_do_not_fit_is_400(self, api, tree):
        api.put(f"/data/projects/{tree.project}/subjects/S1",
                params={custom_xpath("xnat:subjectData", "score"): "high"})
        r = api.put(f"/xapi/projects/{tree.project}/customVariables/subject/score",
                    params={"type": "integer"})
        assert_error(r, 400, mentions=("high",))
        assert api.rows(f"/xapi/projects/{tree.project}/customVariables") == []

    def test_bad_type_name_is_400(self, api, project):
        r = api.put(f"/xapi/projects/{project}/customVariables/subject/x",
                    params={"type": "complex"})
        assert_error(r, 400, mentions=("complex",))


# ---- 4. files ------------------------------------------------------------------------------

class TestFileUpload:
    def res(self, tree, label="UP"):
        return f"/data/projects/{tree.project}/subjects/S1/experiments/E1/resources/{label}"

    def stored(self, api, path):
        return {f["Name"]: f for f in api.rows(path + "/files")}

    def test_put_raw_body_with_octet_stream(self, api, tree):
        r = api.put(self.res(tree) + "/files/raw.bin", data=b"\x00\x01raw", headers=OCTET)
        assert r.status_code == 200, r.text
        assert self.stored(api, self.res(tree))["raw.bin"]["Size"] == "5"
        assert api.get(self.res(tree) + "/files/raw.bin").content == b"\x00\x01raw"

    def test_post_inbody_without_content_type_as_pyxnat_does(self, api, tree):
        rid = api.put(self.res(tree)).text.strip()
        r = api.post(f"/data/projects/{tree.project}/subjects/S1/experiments/E1/resources/"
                     f"{rid}/files/p.dcm?format=DICOM&content=RAW&tags=U&overwrite=false&"
                     "inbody=true", data=b"pyxnat body")
        assert "Content-Type" not in r.request.headers
        assert r.status_code == 200, r.text
        f = self.stored(api, self.res(tree))["p.dcm"]
        assert (f["Size"], f["file_format"], f["file_content"], f["file_tags"]) == \
            ("11", "DICOM", "RAW", "")

    def test_zero_length_chunked_body(self, api, tree):
        def nothing():
            yield from ()
        r = api.put(self.res(tree) + "/files/empty.txt?inbody=true", data=nothing())
        assert r.request.headers.get("Transfer-Encoding") == "chunked"
        assert r.status_code == 200, r.text
        f = self.stored(api, self.res(tree))["empty.txt"]
        assert f["Size"] == "0"
        assert f["digest"] == hashlib.md5(b"").hexdigest()
        got = api.get(self.res(tree) + "/files/empty.txt")
        assert got.status_code == 200 and got.content == b""

    def test_chunked_body_of_several_chunks(self, api, tree):
        parts = [os.urandom(70000), os.urandom(5), os.urandom(100000)]
        r = api.put(self.res(tree) + "/files/big.bin?inbody=true", data=iter(parts))
        assert r.status_code == 200, r.text
        assert api.get(self.res(tree) + "/files/big.bin").content == b"".join(parts)

    def test_multipart_form_upload(self, api, tree):
        r = api.put(self.res(tree) + "/files/form.txt",
                    files={"file": ("ignored-name.txt", b"from a form", "text/plain")})
        assert r.status_code == 200, r.text
        assert api.get(self.res(tree) + "/files/form.txt").content == b"from a form"

    def test_multipart_to_the_files_list_uses_the_part_names(self, api, tree):
        api.put(self.res(tree))
        r = api.post(self.res(tree) + "/files",
                     files={"file": ("part.txt", b"part content", "text/plain")})
        assert r.status_code == 200, r.text
        assert api.get(self.res(tree) + "/files/part.txt").content == b"part content"

    def test_resource_is_created_by_an_upload(self, api, tree):
        path = f"/data/experiments/{tree.eid}/scans/1/resources/NEWRES"
        assert api.get(path).status_code == 404
        r = api.put(path + "/files/x/y.txt", data=b"created", headers=OCTET)
        assert r.status_code == 200, r.text
        labels = [x["label"] for x in api.rows(f"/data/experiments/{tree.eid}/scans/1/resources")]
        assert sorted(labels) == ["DICOM", "NEWRES"]
        assert api.get(path + "/files/x/y.txt").content == b"created"

    def test_extract_into_the_files_of_a_new_resource(self, api, tree):
        """pyxnat-style put_zip and xnatpy both may target the files list; a missing
        resource is created as for a named file."""
        r = api.put(self.res(tree, "ZIPNEW") + "/files?extract=true",
                    data=make_zip({"in/zip.txt": b"z"}), headers=OCTET)
        assert r.status_code == 200, r.text
        assert set(self.stored(api, self.res(tree, "ZIPNEW"))) == {"in/zip.txt"}

    def test_multipart_into_the_files_of_a_new_resource(self, api, tree):
        r = api.post(self.res(tree, "FORMNEW") + "/files",
                     files={"file": ("f.txt", b"form", "text/plain")})
        assert r.status_code == 200, r.text
        assert set(self.stored(api, self.res(tree, "FORMNEW"))) == {"f.txt"}

    def test_extract_zip_keeps_the_paths_inside(self, api, tree):
        files = {"hello_dir/a.txt": b"A", "hello_dir/sub/b.txt": b"BB", "top.txt": b"CCC"}
        r = api.put(self.res(tree) + "/files/upload.zip?extract=true&overwrite=true",
                    data=make_zip(files), headers=OCTET)
        assert r.status_code == 200, r.text
        stored = self.stored(api, self.res(tree))
        assert set(stored) == set(files)
        for name, data in files.items():
            assert api.get(self.res(tree) + "/files/" + name).content == data
            assert stored[name]["digest"] == hashlib.md5(data).hexdigest()

    def test_extract_zip_posted_inbody_without_content_type(self, api, tree):
        api.put(self.res(tree))
        r = api.post(self.res(tree) + "/files/z.zip?format=U&content=U&tags=U&"
                     "overwrite=false&inbody=true&extract=true",
                     data=make_zip({"d/e.txt": b"e"}))
        assert r.status_code == 200, r.text
        assert set(self.stored(api, self.res(tree))) == {"d/e.txt"}

    def test_extract_tar_gz(self, api, tree):
        files = {"t/x.txt": b"x", "t/y/z.txt": b"zz"}
        r = api.put(self.res(tree) + "/files/bundle.tar.gz?extract=true", data=make_tgz(files),
                    headers={"Content-Type": "application/gzip"})
        assert r.status_code == 200, r.text
        assert set(self.stored(api, self.res(tree))) == set(files)
        assert api.get(self.res(tree) + "/files/t/y/z.txt").content == b"zz"

    def test_zip_without_extract_is_stored_as_a_file(self, api, tree):
        data = make_zip({"a": b"a"})
        r = api.put(self.res(tree) + "/files/keep.zip", data=data,
                    headers={"Content-Type": "application/zip"})
        assert r.status_code == 200
        assert set(self.stored(api, self.res(tree))) == {"keep.zip"}
        got = api.get(self.res(tree) + "/files/keep.zip")
        assert got.content == data
        assert got.headers["Content-Type"] == "application/zip"

    def test_overwrite_false_is_409_and_keeps_the_file(self, api, tree):
        path = tree.scan_res + "/files/a.dcm"
        for params in ({"overwrite": "false"}, {}):
            r = api.put(path, data=b"other", headers=OCTET, params=params)
            assert_error(r, 409, mentions=("a.dcm",))
        assert api.get(path).content == tree.scan_files["a.dcm"]
        assert counts(api.env, tree.project)["files"] == 5

    def test_overwrite_true_replaces(self, api, tree):
        path = tree.scan_res + "/files/a.dcm"
        r = api.put(path, data=b"replaced", headers=OCTET, params={"overwrite": "true"})
        assert r.status_code == 200
        assert api.get(path).content == b"replaced"
        f = self.stored(api, tree.scan_res)["a.dcm"]
        assert (f["Size"], f["digest"]) == ("8", hashlib.md5(b"replaced").hexdigest())
        assert counts(api.env, tree.project)["files"] == 5

    def test_extract_over_an_existing_file_without_overwrite_is_409(self, api, tree):
        r = api.put(tree.scan_res + "/files/x.zip?extract=true",
                    data=make_zip({"new.txt": b"n", "a.dcm": b"clash"}), headers=OCTET)
        assert_error(r, 409, mentions=("a.dcm",))
        assert set(self.stored(api, tree.scan_res)) == set(tree.scan_files)
        assert api.get(tree.scan_res + "/files/a.dcm").content == tree.scan_files["a.dcm"]

    def test_file_below_an_existing_file_is_a_conflict(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.put(tree.scan_res + "/files/a.dcm/inner.txt", data=b"x", headers=OCTET)
        assert_error(r, 409, 400, mentions=("a.dcm",))
        assert archive_root(api.env) not in r.text  # no server paths in messages
        assert counts(api.env, tree.project) == before

    def test_file_where_a_directory_is_is_a_conflict(self, api, tree):
        r = api.put(tree.scan_res + "/files/sub", data=b"x", headers=OCTET,
                    params={"overwrite": "true"})
        assert_error(r, 409)
        assert api.get(tree.scan_res + "/files/sub/b.txt").content == tree.scan_files["sub/b.txt"]

    def test_resource_put_sets_format_and_content(self, api, tree):
        r = api.put(self.res(tree, "FMT"), params={"format": "NIFTI", "content": "T1_RAW"})
        assert r.status_code == 201
        rid = r.text.strip()
        row = [x for x in api.rows(f"/data/experiments/{tree.eid}/resources")
               if x["label"] == "FMT"][0]
        assert (row["xnat_abstractresource_id"], row["format"], row["content"]) == \
            (rid, "NIFTI", "T1_RAW")
        assert api.put(self.res(tree, "FMT"), params={"format": "DICOM"}).status_code == 200


class TestFileDownload:
    @pytest.mark.parametrize("name, ctype", [("a.dcm", "application/dicom"),
                                             ("sub/b.txt", "text/plain")])
    def test_download_bytes_length_and_type(self, api, tree, name, ctype):
        r = api.get(tree.scan_res + "/files/" + name)
        assert r.status_code == 200
        assert r.content == tree.scan_files[name]
        assert r.headers["Content-Length"] == str(len(tree.scan_files[name]))
        assert r.headers["Content-Type"].startswith(ctype)

    def test_unknown_extension_is_octet_stream(self, api, tree):
        api.upload(tree.scan_res, "blob.xyz", b"??")
        r = api.get(tree.scan_res + "/files/blob.xyz")
        assert r.headers["Content-Type"] == "application/octet-stream"

    def test_file_name_with_a_space(self, api, tree):
        api.upload(tree.scan_res, "with space.txt", b"spaced")
        assert api.get(tree.scan_res + "/files/with space.txt").content == b"spaced"
        uris = [f["URI"] for f in api.rows(tree.scan_res + "/files")]
        assert any(u.endswith("/files/with space.txt") for u in uris)

    def test_range_request(self, api, tree):
        data = tree.scan_files["a.dcm"]
        r = api.get(tree.scan_res + "/files/a.dcm", headers={"Range": "bytes=4-103"})
        assert r.status_code == 206
        assert r.content == data[4:104]
        assert r.headers["Content-Range"] == f"bytes 4-103/{len(data)}"
        assert r.headers["Content-Length"] == "100"

    def test_suffix_and_open_ranges(self, api, tree):
        data = tree.scan_files["a.dcm"]
        r = api.get(tree.scan_res + "/files/a.dcm", headers={"Range": "bytes=-10"})
        assert r.status_code == 206 and r.content == data[-10:]
        r = api.get(tree.scan_res + "/files/a.dcm", headers={"Range": "bytes=1000-"})
        assert r.status_code == 206 and r.content == data[1000:]

    def test_unsatisfiable_range_is_416(self, api, tree):
        r = api.get(tree.scan_res + "/files/a.dcm", headers={"Range": "bytes=99999-"})
        assert r.status_code == 416

    def test_etag_revalidation_is_304(self, api, tree):
        first = api.get(tree.scan_res + "/files/a.dcm")
        etag = first.headers["ETag"]
        r = api.get(tree.scan_res + "/files/a.dcm", headers={"If-None-Match": etag})
        assert r.status_code == 304 and r.content == b""

    def test_if_modified_since_is_304(self, api, tree):
        first = api.get(tree.scan_res + "/files/a.dcm")
        r = api.get(tree.scan_res + "/files/a.dcm",
                    headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert r.status_code == 304

    def test_changed_file_is_not_304(self, api, tree):
        path = tree.scan_res + "/files/sub/b.txt"
        etag = api.get(path).headers["ETag"]
        api.put(path, data=b"something longer", headers=OCTET, params={"overwrite": "true"})
        r = api.get(path, headers={"If-None-Match": etag})
        assert r.status_code == 200 and r.content == b"something longer"

    def test_head_has_length_and_last_modified(self, api, tree):
        r = api.head(tree.scan_res + "/files/a.dcm")
        assert r.status_code == 200
        assert r.headers["Content-Length"] == str(len(tree.scan_files["a.dcm"]))
        assert "Last-Modified" in r.headers

    def test_digest_is_the_md5_of_the_content(self, api, tree):
        for f in api.rows(tree.scan_res + "/files"):
            assert f["digest"] == hashlib.md5(tree.scan_files[f["Name"]]).hexdigest()
            assert f["Size"] == str(len(tree.scan_files[f["Name"]]))

    def test_listing_uri_is_usable_for_get_and_delete(self, api, tree):
        row = [f for f in api.rows(tree.scan_res + "/files") if f["Name"] == "sub/b.txt"][0]
        assert api.get(row["URI"]).content == tree.scan_files["sub/b.txt"]
        disk = os.path.join(archive_root(api.env), one(
            api.env, f"SELECT dir FROM arca_resource WHERE pk = {row['cat_ID']}"), "sub/b.txt")
        assert os.path.isfile(disk)
        r = api.delete(row["URI"])
        assert r.status_code == 200
        assert [f["Name"] for f in api.rows(tree.scan_res + "/files")] == ["a.dcm"]
        assert not os.path.exists(disk)
        assert api.get(row["URI"]).status_code == 404

    def test_files_listing_of_an_owner_covers_its_resources(self, api, tree):
        names = {f["Name"] for f in api.rows(f"/data/experiments/{tree.eid}/files")}
        assert names == set(tree.scan_files) | {"snap.png"}

    ZIP_LEVELS = ["resource", "scan", "experiment", "subject", "project"]

    def expected_files(self, tree, level):
        files = dict(tree.scan_files)
        order = self.ZIP_LEVELS
        for owner in ("experiment", "subject", "project"):
            if order.index(level) >= order.index(owner):
                files.update(tree.extra[owner][1])
        return files

    @pytest.mark.parametrize("level", ZIP_LEVELS)
    def test_zip_download_at_each_level(self, api, tree, level):
        p = tree.project
        path = {"resource": tree.scan_res + "/files",
                "scan": f"/data/experiments/{tree.eid}/scans/1/files",
                "experiment": f"/data/projects/{p}/subjects/S1/experiments/E1/files",
                "subject": f"/data/projects/{p}/subjects/S1/files",
                "project": f"/data/projects/{p}/files"}[level]
        r = api.get(path, params={"format": "zip"})
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/zip"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        assert z.testzip() is None
        got = {}
        for info in z.infolist():
            assert not info.is_dir() and not info.filename.endswith("/"), info.filename
            assert "files/" in info.filename, info.filename
            rel = info.filename.split("files/", 1)[1]
            assert rel not in got, info.filename
            got[rel] = z.read(info)
            # pyxnat removes the first component afterwards: it must not be the label
            assert info.filename.split("/")[0] not in ("DICOM", "SNAP", "NOTES", "DOCS")
        assert got == self.expected_files(tree, level)

    def test_zip_member_names_are_unique_when_labels_coincide(self, api, tree):
        """A subject labelled like a session of the same project, each with a resource
        of the same label holding a file of the same name: two members, not one name twice."""
        p = tree.project
        assert api.put(f"/data/projects/{p}/subjects/E1").status_code == 201
        api.upload(f"/data/projects/{p}/subjects/E1/resources/SNAP", "snap.png", b"other")
        r = api.get(f"/data/projects/{p}/files", params={"format": "zip"})
        names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        assert len(names) == 6
        assert len(set(names)) == len(names), sorted(names)

    def test_zip_of_an_empty_resource_is_an_empty_zip(self, api, tree):
        api.put(f"/data/experiments/{tree.eid}/resources/EMPTY")
        r = api.get(f"/data/experiments/{tree.eid}/resources/EMPTY/files",
                    params={"format": "zip"})
        assert r.status_code == 200
        assert zipfile.ZipFile(io.BytesIO(r.content)).namelist() == []

    def test_missing_file_is_404(self, api, tree):
        assert_error(api.get(tree.scan_res + "/files/nope.dcm"), 404, mentions=("nope.dcm",))
        assert_error(api.delete(tree.scan_res + "/files/nope.dcm"), 404,
                     mentions=("nope.dcm",))


# ---- 5. errors -----------------------------------------------------------------------------

class TestErrors:
    @pytest.mark.parametrize("path, name", [
        ("/data/projects/{p}/subjects/NOSUCH", "NOSUCH"),
        ("/data/projects/{p}/subjects/NOSUCH/experiments", "NOSUCH"),
        ("/data/projects/{p}/subjects/S1/experiments/NOEXP", "NOEXP"),
        ("/data/experiments/XNAT_E99999999", "XNAT_E99999999"),
        ("/data/subjects/XNAT_S99999999", "XNAT_S99999999"),
        ("/data/experiments/{e}/scans/77", "77"),
        ("/data/experiments/{e}/scans/1/resources/NORES", "NORES"),
        ("/data/experiments/{e}/scans/1/resources/NORES/files", "NORES"),
        ("/data/projects/NO_SUCH_PROJECT_{p}/subjects", "NO_SUCH_PROJECT"),
    ])
    def test_unknown_object_is_404_naming_it(self, api, tree, path, name):
        r = api.get(path.format(p=tree.project, e=tree.eid))
        assert_error(r, 404)
        assert "Not Found" in r.text or name in r.text, r.text

    def test_put_under_a_missing_parent_is_404_and_creates_nothing(self, api, tree):
        before = counts(api.env, tree.project)
        # (a session PUT right under a missing subject creates both, as in XNAT)
        r = api.put(f"/data/projects/{tree.project}/subjects/NOSUCH/experiments/E/scans/1",
                    params={"xsiType": "xnat:mrScanData"})
        assert_error(r, 404, mentions=("NOSUCH",))
        r = api.put(f"/data/experiments/{tree.eid}/scans/99/resources/R/files/f.txt",
                    data=b"x", headers=OCTET)
        assert_error(r, 404, mentions=("99",))
        assert counts(api.env, tree.project) == before

    def test_delete_missing_is_404(self, api, project):
        assert_error(api.delete(f"/data/projects/{project}/subjects/GHOST"), 404,
                     mentions=("GHOST",))

    def test_new_subject_with_an_existing_label_is_409(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.put(f"/data/projects/{tree.project}/subjects/S2", params={"label": "S1"})
        assert_error(r, 409, mentions=("S1",))
        assert counts(api.env, tree.project) == before

    def test_rename_into_an_existing_label_is_409_and_changes_nothing(self, api, tree):
        api.put(f"/data/projects/{tree.project}/subjects/S2")
        r = api.put(f"/data/projects/{tree.project}/subjects/S2",
                    params={"label": "S1", "gender": "female"})
        assert_error(r, 409, mentions=("S1",))
        rows = api.rows(f"/data/projects/{tree.project}/subjects", columns="label,gender")
        assert sorted((x["label"], x["gender"]) for x in rows) == [("S1", "male"), ("S2", "")]

    def test_experiment_label_clash_is_409(self, api, tree):
        api.put(f"/data/projects/{tree.project}/subjects/S2")
        before = counts(api.env, tree.project)
        r = api.put(f"/data/projects/{tree.project}/subjects/S2/experiments/X",
                    params={"xsiType": "xnat:mrSessionData", "label": "E1"})
        assert_error(r, 409, mentions=("E1",))
        assert counts(api.env, tree.project) == before

    CREATE_BAD = [
        ("subjects/NEW", {"yob": "abc"}, "abc"),
        ("subjects/NEW", {"yob": "1700"}, "1700"),
        ("subjects/NEW", {"yob": "99999999999"}, "99999999999"),
        ("subjects/NEW", {"dob": "1990-02-30"}, "1990-02-30"),
        ("subjects/NEW", {"xnat:subjectData/no_such_field": "1"}, "no_such_field"),
        ("subjects/S1/experiments/NEWE", {"xsiType": "xnat:ctSessionData",
                                          "date": "2020-13-01"}, "2020-13-01"),
        ("subjects/S1/experiments/NEWE", {"xsiType": "xnat:ctSessionData",
                                          "xnat:ctSessionData/no_such_field": "x"},
         "no_such_field"),
        ("subjects/S1/experiments/NEWE", {"xsiType": "ct session"}, "ct session"),
        ("subjects/S1/experiments/NEWE", {}, "xsiType"),
        ("subjects/S1/experiments/E1/scans/5", {"frames": "many"}, "many"),
    ]

    @pytest.mark.parametrize("rel, params, mention", CREATE_BAD,
                             ids=[f"{r}-{m}" for r, _, m in CREATE_BAD])
    def test_bad_parameter_on_create_is_400_and_writes_nothing(self, api, tree, rel, params,
                                                               mention):
        before = counts(api.env, tree.project)
        r = api.put(f"/data/projects/{tree.project}/{rel}", params=params)
        assert_error(r, 400, mentions=(mention,))
        assert counts(api.env, tree.project) == before

    def test_bad_parameter_on_update_changes_nothing(self, api, tree):
        path = f"/data/projects/{tree.project}/subjects/S1"
        r = api.put(path, params={"gender": "female", "handedness": "left", "yob": "old"})
        assert_error(r, 400, mentions=("yob", "old"))
        row = api.rows(f"/data/projects/{tree.project}/subjects",
                       columns="gender,handedness,yob")[0]
        assert (row["gender"], row["handedness"], row["yob"]) == ("male", "", "1970")
        r = api.put(f"/data/experiments/{tree.eid}", params={"note": "n", "date": "tomorrow"})
        assert_error(r, 400, mentions=("tomorrow",))
        assert api.item(f"/data/experiments/{tree.eid}")["data_fields"].get("note", "") == ""

    @pytest.mark.parametrize("params, mention", [
        ({"format": "yaml"}, "yaml"), ({"limit": "abc"}, "limit"), ({"limit": "-1"}, "limit"),
        ({"offset": "x"}, "offset"), ({"sortBy": "no_such_column"}, "no_such_column")])
    def test_bad_listing_parameter_is_400(self, api, tree, params, mention):
        r = api.get(f"/data/projects/{tree.project}/subjects", params=params)
        assert_error(r, 400, mentions=(mention,))

    @pytest.mark.parametrize("raw_label", ["bad%20label", "a%2Fb", "%2e%2e", ".hidden",
                                           "a%5Cb", "x%00y"])
    def test_unsafe_subject_label_in_path_is_rejected(self, api, project, raw_label):
        api.put(f"/data/projects/{project}/subjects/S1")
        before = counts(api.env, project)
        r = api.raw("PUT", f"/data/projects/{project}/subjects/{raw_label}?gender=male")
        assert_error(r, 400, 404)
        assert counts(api.env, project) == before
        rows = api.rows(f"/data/projects/{project}/subjects", columns="label,gender")
        assert [(x["label"], x["gender"]) for x in rows] == [("S1", "")]

    @pytest.mark.parametrize("label", ["../x", "a/b", "with space", "..", ".x", ""])
    def test_unsafe_label_param_is_rejected(self, api, tree, label):
        before = counts(api.env, tree.project)
        r = api.put(f"/data/projects/{tree.project}/subjects/S1", params={"label": label})
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before
        assert api.rows(f"/data/projects/{tree.project}/subjects")[0]["label"] == "S1"
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/experiments/NEW",
                    params={"xsiType": "xnat:mrSessionData", "label": label})
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before

    @pytest.mark.parametrize("raw_name", [
        "%2e%2e/%2e%2e/{token}.txt",
        "sub/%2e%2e/%2e%2e/%2e%2e/{token}.txt",
        "..%5C{token}.txt",
        "..%2F{token}.txt",
    ])
    def test_file_name_with_dot_dot_segments_is_rejected(self, api, tree, raw_name):
        token = f"evil-{uuid.uuid4().hex[:8]}"
        before = counts(api.env, tree.project)
        scans_before = api.rows(f"/data/experiments/{tree.eid}/scans")
        r = api.raw("PUT", f"{tree.scan_res}/files/{raw_name.format(token=token)}",
                    data=b"evil", headers=OCTET)
        assert_error(r, 400, 404)
        assert counts(api.env, tree.project) == before
        assert api.rows(f"/data/experiments/{tree.eid}/scans") == scans_before
        assert one(api.env, f"SELECT count(*) FROM arca_file WHERE path LIKE '%{token}%'") == "0"
        assert one(api.env, f"SELECT count(*) FROM arca_resource WHERE label LIKE "
                            f"'%{token}%'") == "0"
        assert find_named(api.env.tmp, token) == []

    def test_file_name_that_is_not_utf8_is_400_and_stores_nothing(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.raw("PUT", f"{tree.scan_res}/files/caf%E9.txt", data=b"latin-1", headers=OCTET)
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before
        assert find_named(archive_root(api.env), "caf") == []

    def test_multipart_file_name_cannot_climb_out(self, api, tree):
        token = f"evil-{uuid.uuid4().hex[:8]}"
        r = api.post(tree.scan_res + "/files",
                     files={"file": (f"../../../{token}.txt", b"evil", "text/plain")})
        assert r.status_code in (200, 400), r.text
        names = [f["Name"] for f in api.rows(tree.scan_res + "/files")]
        assert all(".." not in n for n in names), names
        dicom = os.path.join(archive_root(api.env), one(
            api.env, f"SELECT dir FROM arca_resource WHERE label = 'DICOM' AND scan_pk IN "
                     f"(SELECT pk FROM arca_scan WHERE experiment_id = '{tree.eid}')"))
        for hit in find_named(api.env.tmp, token):
            assert os.path.dirname(hit) == dicom, hit

    @pytest.mark.parametrize("kind", ["zip", "tgz"])
    def test_archive_with_a_parent_entry_is_rejected(self, api, tree, kind):
        token = f"evil-{uuid.uuid4().hex[:8]}"
        files = {"ok_first.txt": b"fine", f"../{token}": b"evil", "ok_last.txt": b"fine"}
        body = make_zip(files) if kind == "zip" else make_tgz(files)
        before = counts(api.env, tree.project)
        r = api.put(tree.scan_res + f"/files/up.{kind}?extract=true", data=body, headers=OCTET)
        assert_error(r, 400, mentions=(token,))
        assert counts(api.env, tree.project) == before
        assert find_named(api.env.tmp, token) == []
        assert set(files_under(os.path.join(archive_root(api.env), one(
            api.env, f"SELECT dir FROM arca_resource WHERE label = 'DICOM' AND scan_pk IN "
                     f"(SELECT pk FROM arca_scan WHERE experiment_id = '{tree.eid}')")))) == \
            set(tree.scan_files)

    def test_archive_with_an_absolute_entry_is_rejected(self, api, tree):
        token = f"evil-{uuid.uuid4().hex[:8]}"
        before = counts(api.env, tree.project)
        r = api.put(tree.scan_res + "/files/abs.tgz?extract=true",
                    data=make_tgz({f"/tmp/{token}": b"evil"}), headers=OCTET)
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before
        assert not os.path.exists(f"/tmp/{token}")

    def truncated_zip(self):
        full = make_zip({"one.txt": b"1" * 1000, "two.txt": os.urandom(100000)})
        return full[:len(full) // 2]

    def test_truncated_zip_is_400_and_stores_nothing(self, api, tree):
        res = f"/data/projects/{tree.project}/subjects/S1/resources/TRUNC"
        before = counts(api.env, tree.project)
        r = api.put(res + "/files/t.zip?extract=true", data=self.truncated_zip(),
                    headers=OCTET)
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before
        top = os.path.join(archive_root(api.env), tree.project)
        assert not any(f.endswith(("one.txt", "two.txt")) for f in files_under(top))
        assert api.get(res).status_code == 404

    def test_failed_extract_leaves_no_directories(self, api, tree):
        res = f"/data/projects/{tree.project}/subjects/S1/resources/TRUNC2"
        r = api.put(res + "/files/t.zip?extract=true", data=self.truncated_zip(),
                    headers=OCTET)
        assert r.status_code == 400
        assert find_named(archive_root(api.env), "TRUNC2") == []

    def test_not_an_archive_with_extract_is_400(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.put(tree.scan_res + "/files/x.zip?extract=true", data=b"plain text",
                    headers=OCTET)
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before

    def test_invalid_resource_label_on_upload_is_400(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.put(f"/data/experiments/{tree.eid}/resources/bad%20label/files/f.txt",
                    data=b"x", headers=OCTET)
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before

    def test_upload_without_a_file_name_is_400(self, api, tree):
        r = api.put(tree.scan_res + "/files", data=b"x", headers=OCTET)
        assert_error(r, 400)

    def test_multipart_without_a_file_is_400(self, api, tree):
        before = counts(api.env, tree.project)
        r = api.post(tree.scan_res + "/files", files={"field": (None, "just text")})
        assert_error(r, 400)
        assert counts(api.env, tree.project) == before

    def test_put_on_a_list_is_405(self, api, project):
        r = api.put(f"/data/projects/{project}/subjects")
        assert_error(r, 405)
        assert "GET" in r.headers["Allow"]


# ---- 6. sharing ----------------------------------------------------------------------------

class TestSharing:
    @pytest.fixture
    def shared(self, api, tree, make_project):
        p2 = make_project("_p2")
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/projects/{p2}",
                    params={"label": "L1"})
        assert r.status_code in (200, 201), r.text
        tree.p2 = p2
        return tree

    def test_shared_subject_is_listed_under_its_label_with_the_same_id(self, api, shared):
        rows = api.rows(f"/data/projects/{shared.p2}/subjects", columns="ID,label,project")
        assert [(r["ID"], r["label"], r["project"]) for r in rows] == \
            [(shared.sid, "L1", shared.project)]
        assert rows[0]["URI"] == f"/data/subjects/{shared.sid}"

    def test_shared_subject_is_stored_once(self, api, shared):
        assert one(api.env, f"SELECT count(*) FROM arca_subject WHERE id = '{shared.sid}'") \
            == "1"
        labels = api.env.sql(f"SELECT project, label, is_primary FROM arca_subject_label "
                             f"WHERE subject_id = '{shared.sid}' ORDER BY is_primary DESC")
        assert labels == [[shared.project, "S1", "t"], [shared.p2, "L1", "f"]]

    def test_shared_subject_is_addressable_by_both_labels(self, api, shared):
        for path in (f"/data/projects/{shared.p2}/subjects/L1",
                     f"/data/projects/{shared.p2}/subjects/{shared.sid}",
                     f"/data/projects/{shared.project}/subjects/S1"):
            assert api.item(path)["data_fields"]["ID"] == shared.sid, path
        assert api.get(f"/data/projects/{shared.p2}/subjects/S1").status_code == 404

    def test_share_without_label_keeps_the_label(self, api, tree, make_project):
        p3 = make_project("_p3")
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/projects/{p3}")
        assert r.status_code in (200, 201)
        assert [x["label"] for x in api.rows(f"/data/projects/{p3}/subjects")] == ["S1"]

    def test_unshare_removes_it_from_the_other_project_only(self, api, shared):
        r = api.delete(f"/data/projects/{shared.project}/subjects/S1/projects/{shared.p2}")
        assert r.status_code == 200
        assert api.rows(f"/data/projects/{shared.p2}/subjects") == []
        assert [x["ID"] for x in api.rows(f"/data/projects/{shared.project}/subjects")] == \
            [shared.sid]
        assert api.get(tree_file(shared)).status_code == 200

    def test_delete_in_the_shared_project_only_removes_the_share(self, api, shared):
        r = api.delete(f"/data/projects/{shared.p2}/subjects/L1", params={"removeFiles": "true"})
        assert r.status_code == 200
        assert api.rows(f"/data/projects/{shared.p2}/subjects") == []
        item = api.item(f"/data/projects/{shared.project}/subjects/S1")
        assert item["data_fields"]["ID"] == shared.sid
        assert api.get(tree_file(shared)).content == shared.scan_files["a.dcm"]
        assert counts(api.env, shared.project)["experiments"] == 1

    def test_primary_project_cannot_be_unshared(self, api, shared):
        path = f"/data/projects/{shared.project}/subjects/S1"
        r = api.delete(f"{path}/projects/{shared.project}")
        assert_error(r, 409, mentions=(shared.project,))
        # and nothing changed: still there under its label, share intact
        assert api.item(path)["data_fields"]["ID"] == shared.sid
        labels = api.env.sql(f"SELECT project, label, is_primary FROM arca_subject_label "
                             f"WHERE subject_id = '{shared.sid}' ORDER BY is_primary DESC")
        assert labels == [[shared.project, "S1", "t"], [shared.p2, "L1", "f"]]

    def test_sharing_into_a_label_that_exists_is_409(self, api, shared):
        api.put(f"/data/projects/{shared.p2}/subjects/TAKEN")
        api.put(f"/data/projects/{shared.project}/subjects/S2")
        before = (counts(api.env, shared.project), counts(api.env, shared.p2))
        r = api.put(f"/data/projects/{shared.project}/subjects/S2/projects/{shared.p2}",
                    params={"label": "TAKEN"})
        assert_error(r, 409, mentions=("TAKEN",))
        assert (counts(api.env, shared.project), counts(api.env, shared.p2)) == before

    def test_sharing_into_a_missing_project_is_404(self, api, tree):
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/projects/NO_SUCH_{tree.project}")
        assert_error(r, 404, mentions=("NO_SUCH_",))

    def test_unsharing_what_is_not_shared_is_404(self, api, tree, make_project):
        p3 = make_project("_p3")
        r = api.delete(f"/data/projects/{tree.project}/subjects/S1/projects/{p3}")
        assert_error(r, 404)

    def test_share_with_an_unsafe_label_is_400(self, api, tree, make_project):
        p3 = make_project("_p3")
        r = api.put(f"/data/projects/{tree.project}/subjects/S1/projects/{p3}",
                    params={"label": "../up"})
        assert_error(r, 400)
        assert counts(api.env, p3)["subject_labels"] == 0

    def test_writes_through_a_share_obey_the_owning_projects_variable_types(self, api,
                                                                              shared):
        """The value lives on the one subject; its own project's definitions apply to it
        whichever project's path the write comes through."""
        r = api.put(f"/xapi/projects/{shared.project}/customVariables/subject/kvp",
                    params={"type": "integer"})
        assert r.status_code == 200
        xp = custom_xpath("xnat:subjectData", "kvp")
        r = api.put(f"/data/projects/{shared.p2}/subjects/L1", params={xp: "not a number"})
        assert_error(r, 400, mentions=("kvp",))
        rows = api.rows(f"/data/projects/{shared.project}/subjects", columns="ID," + xp)
        assert rows[0][xp] == ""

    def test_rename_through_the_share_renames_only_the_share(self, api, shared):
        r = api.put(f"/data/projects/{shared.p2}/subjects/L1", params={"label": "L2"})
        assert r.status_code == 200
        assert [x["label"] for x in api.rows(f"/data/projects/{shared.p2}/subjects")] == ["L2"]
        assert [x["label"] for x in api.rows(f"/data/projects/{shared.project}/subjects")] \
            == ["S1"]

    def test_shared_experiment_is_listed_in_the_other_project(self, api, shared):
        r = api.put(f"/data/projects/{shared.project}/subjects/S1/experiments/E1/projects/"
                    f"{shared.p2}", params={"label": "E1_in_p2"})
        assert r.status_code in (200, 201)
        rows = api.rows(f"/data/projects/{shared.p2}/experiments", columns="ID,label,xsiType")
        assert [(x["ID"], x["label"], x["xsiType"]) for x in rows] == \
            [(shared.eid, "E1_in_p2", "xnat:ctSessionData")]
        assert one(api.env, f"SELECT count(*) FROM arca_experiment WHERE id = "
                            f"'{shared.eid}'") == "1"
        # the session's files through the shared path
        assert api.get(f"/data/projects/{shared.p2}/subjects/L1/experiments/E1_in_p2/scans/1/"
                       "resources/DICOM/files/a.dcm").content == shared.scan_files["a.dcm"]

    def test_share_then_move_with_primary(self, api, shared):
        r = api.put(f"/data/projects/{shared.project}/subjects/S1/projects/{shared.p2}",
                    params={"label": "L1", "primary": "true"})
        assert r.status_code in (200, 201)
        rows = api.rows(f"/data/projects/{shared.p2}/subjects", columns="ID,project")
        assert [(x["ID"], x["project"]) for x in rows] == [(shared.sid, shared.p2)]


def tree_file(t):
    return t.scan_res + "/files/a.dcm"
