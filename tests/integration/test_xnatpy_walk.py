"""One xnatpy session from connect to clean-up, request by request in the order xnatpy
sends them and with its parameters, each step asserting on what xnatpy parses from the
answer: the form login and then the JSESSIONID cookie alone, the version from buildInfo,
the schema list and each schema; a project, a subject (xsiType, req_format=qs) with a
demographic and a custom field set by XPath, an MR session, a scan with type and series
description, a resource created by PUT and a file uploaded into it as the raw body
(Content-Type application/octet-stream); the resource and file listings with xnatpy's
columns, keyed as it keys them; the file's bytes; the session's scans zipped; the import
service into the archive and the prearchive (project/subject/session as xnatpy names
them); the prearchive listing and one session's row; a search document posted to
/data/search; and deleting the session and the subject.

The steps run in file order and share one state: each is a test so that a step the
server answers differently is reported on its own."""

import csv
import io
import re
import uuid
import zipfile
import xml.etree.ElementTree as ET

import pytest
import requests

pydicom = pytest.importorskip("pydicom")
from test_import import instances, zipped  # noqa: E402
from test_xnatpy_files import xnatpy_rows  # noqa: E402
from test_xnatpy_search import criteria, search_xml  # noqa: E402

XNATPY_UA = "xnatpy/0.5.2 (Linux/6.1.0; python/3.11.2; requests/2.28.1)"
DEMO = "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]"
FIELD = "xnat:subjectData/fields/field[name=cohort]/field"
PAYLOAD = b"walk notes\n" + bytes(range(256))


class State:
    s = None          # the requests session xnatpy holds
    project = None
    subject_uri = None
    session_uri = None
    session_id = None
    scan_uri = None
    resource_uri = None
    file_uri = None
    prearchive_uri = None


st = State()


def url(env, path):
    return env.url(path)


def get_json(env, path, **query):
    """xnatpy's get_json: format=json in the query, the answer parsed as JSON."""
    r = st.s.get(url(env, path), params={"format": "json", **query}, timeout=60)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def put(env, path, **query):
    r = st.s.put(url(env, path), params=query, timeout=60)
    assert r.status_code in (200, 201), (path, r.status_code, r.text)
    return r


def fulldata(env, path):
    """xnatpy's fulldata: items[0] of the object's JSON."""
    return get_json(env, path)["items"][0]


def children(full, field):
    """xnatpy's children of a field: its items that are not history."""
    return [i for c in full["children"] if c["field"] == field for i in c["items"]
            if not i["meta"]["isHistory"]]


def listing(env, uri, secondary, xsi_type):
    """XNATListing: ID,URI and the secondary key asked over this session, the rows keyed
    as xnatpy keys them. {ID: (URI, secondary, type)}."""
    rows = get_json(env, uri, columns=f"ID,URI,{secondary}")["ResultSet"]["Result"]
    return xnatpy_rows(uri, rows, secondary, xsi_type)


def import_(env, body, **query):
    """services.import_(path, ...): a POST of the file's bytes, the query built from its
    arguments, the Content-Type guessed from the file name (.zip: application/zip)."""
    return st.s.post(url(env, "/data/services/import"), params=query, data=body,
                     headers={"Content-Type": "application/zip"}, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def walk_project(env):
    yield
    if st.project:
        env.session().delete(env.url(f"/data/projects/{st.project}?removeFiles=true"))
    if st.s is not None:
        st.s.close()


class TestWalk:
    # ---- connect ------------------------------------------------------------------------

    def test_01_login_then_cookie_only(self, env):
        s = requests.Session()
        s.headers["User-Agent"] = XNATPY_UA
        assert not s.cookies
        r = s.put(url(env, "/data/services/auth"),
                  data={"username": env.ADMIN, "password": env.ADMIN_PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        token = r.text.strip()
        assert token and s.cookies.get("JSESSIONID") == token
        # xnatpy sets the cookie itself and sends no credentials after this
        s.cookies.set("JSESSIONID", token)
        assert s.auth is None
        st.s = s

    def test_02_version_from_build_info(self, env):
        # 1.6's /data/version errors, so xnatpy reads buildInfo
        assert st.s.get(url(env, "/data/version"), timeout=30).status_code >= 400
        info = st.s.get(url(env, "/xapi/siteConfig/buildInfo"), timeout=30).json()
        assert info["version"].startswith("1.8")

    def test_03_schemas_listed_and_fetched(self, env):
        r = st.s.get(url(env, "/xapi/schemas"), params={"format": "json"}, timeout=30)
        assert r.status_code == 200, r.text
        names = r.json()
        assert isinstance(names, list) and any("xnat" in n for n in names)
        for name in names:
            r = st.s.get(url(env, f"/xapi/schemas/{name}"),
                         headers={"Accept-Encoding": None}, timeout=30)
            assert r.status_code == 200, name
            root = ET.fromstring(r.text)
            assert root.tag == "{http://www.w3.org/2001/XMLSchema}schema"
            assert re.search(r"<xs:schema[^>]*xmlns:\w+=", r.text), name

    # ---- the tree -----------------------------------------------------------------------

    def test_04_project(self, env):
        """xnatpy has no project creation of its own: an admin's PUT."""
        p = f"Walk{uuid.uuid4().hex[:8]}"
        r = st.s.put(url(env, f"/data/archive/projects/{p}"), timeout=30)
        assert r.status_code in (200, 201), r.text
        st.project = p
        rows = get_json(env, "/data/projects")["ResultSet"]["Result"]
        assert p in {x["ID"] for x in rows}

    def test_05_subject(self, env):
        uri = f"/data/projects/{st.project}/subjects/WalkSub"
        put(env, uri, xsiType="xnat:subjectData", req_format="qs", label="WalkSub")
        full = fulldata(env, uri)
        assert full["meta"]["xsi:type"] == "xnat:subjectData"
        assert full["data_fields"]["label"] == "WalkSub"
        assert full["data_fields"]["ID"]
        st.subject_uri = uri

    def test_06_demographic_and_custom_field(self, env):
        # xnatpy's mset: one PUT of the object's URI with the XPaths in the query
        put(env, st.subject_uri, **{f"{DEMO}/gender": "female"})
        put(env, st.subject_uri, **{FIELD: "pilot"})
        full = fulldata(env, st.subject_uri)
        demo, = children(full, "demographics")
        assert demo["data_fields"]["gender"] == "female"
        fields = {f["data_fields"]["name"]: f["data_fields"]["field"]
                  for f in children(full, "fields/field")}
        assert fields.get("cohort") == "pilot", fields

    def test_07_mr_session(self, env):
        uri = f"{st.subject_uri}/experiments/WalkMR"
        put(env, uri, xsiType="xnat:mrSessionData", req_format="qs", label="WalkMR")
        full = fulldata(env, uri)
        assert full["meta"]["xsi:type"] == "xnat:mrSessionData"
        st.session_uri, st.session_id = uri, full["data_fields"]["ID"]
        assert st.session_id

    def test_08_scan_with_type_and_description(self, env):
        uri = f"{st.session_uri}/scans/1"
        put(env, uri, **{"xsiType": "xnat:mrScanData", "req_format": "qs",
                         "xnat:mrScanData/type": "T1w",
                         "xnat:mrScanData/series_description": "MPRAGE sag"})
        full = fulldata(env, uri)
        assert full["meta"]["xsi:type"] == "xnat:mrScanData"
        assert full["data_fields"]["type"] == "T1w"
        assert full["data_fields"]["series_description"] == "MPRAGE sag"
        st.scan_uri = uri
        rows = listing(env, f"{st.session_uri}/scans", "type", "xnat:imageScanData")
        # with the columns it asks, the listing's own type (xnat:imageScanData) stands
        # unless the row names one; either way the row is kept under its ID
        (uri_, stype, kind), = [rows["1"]]
        assert (uri_, stype) == (f"{st.session_uri}/scans/1", "T1w")
        assert kind in ("xnat:imageScanData", "xnat:mrScanData")

    def test_09_resource_created(self, env):
        # create_resource: PUT {scan}/resources/{label} (format None is left out), then
        # newer xnatpy reads the new resource's type from its JSON
        uri = f"{st.scan_uri}/resources/NOTES"
        put(env, uri)
        st.resource_uri = uri
        r = st.s.get(url(env, uri), params={"format": "json"}, timeout=30)
        # newer xnatpy's create_resource builds the resource from that answer: the first
        # item not history, its meta['xsi:type'] and data_fields
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        item = next(i for i in r.json()["items"] if not i["meta"]["isHistory"])
        assert item["meta"]["xsi:type"] == "xnat:resourceCatalog"
        assert item["data_fields"]["label"] == "NOTES"
        assert item["data_fields"]["xnat_abstractresource_id"].isdigit()

    def test_10_file_uploaded(self, env):
        assert st.resource_uri
        r = st.s.put(url(env, f"{st.resource_uri}/files/notes.bin"), data=PAYLOAD,
                     headers={"Content-Type": "application/octet-stream"}, timeout=60)
        assert r.status_code in (200, 201), r.text

    def test_11_listings_keyed_as_xnatpy(self, env):
        res = listing(env, f"{st.scan_uri}/resources", "label", "xnat:resourceCatalog")
        assert [(v[1], v[2]) for v in res.values()] == [("NOTES", "xnat:resourceCatalog")]
        (rid, (res_uri, _, _)), = res.items()
        assert rid.isdigit() and res_uri == f"{st.scan_uri}/resources/{rid}"
        files = listing(env, res_uri + "/files", "path", "xnat:fileData")
        assert list(files) == ["notes.bin"]
        st.file_uri = files["notes.bin"][0]

    def test_12_file_download(self, env):
        r = st.s.get(url(env, st.file_uri), timeout=60)
        assert r.status_code == 200 and r.content == PAYLOAD
        assert not r.content.startswith((b"<!DOCTYPE", b"<html>"))

    def test_13_session_download_zip(self, env):
        r = st.s.get(url(env, f"{st.session_uri}/scans/ALL/files"),
                     params={"format": "zip"}, timeout=60)
        assert r.status_code == 200, r.text
        members = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        ours = [m for m in members if m.endswith("/resources/NOTES/files/notes.bin")]
        assert len(ours) == 1, members
        assert "/scans/1" in ours[0] and ours[0].startswith("WalkMR/")
        assert zipfile.ZipFile(io.BytesIO(r.content)).read(ours[0]) == PAYLOAD

    # ---- import and prearchive -----------------------------------------------------------

    def test_14_import_into_archive(self, env):
        r = import_(env, zipped(instances(2, 2)), project=st.project, subject="WalkSub",
                    session="WalkCT", dest="/archive")
        assert r.status_code == 200, r.text
        # xnatpy strips the answer and builds the object from that URI
        uri = r.text.strip()
        assert uri == (f"/data/archive/projects/{st.project}/subjects/WalkSub/"
                       "experiments/WalkCT")
        full = fulldata(env, uri)
        assert full["meta"]["xsi:type"] == "xnat:ctSessionData"
        scans = listing(env, f"{uri}/scans", "type", "xnat:imageScanData")
        assert sorted(scans) == ["1", "2"]

    def test_15_import_into_prearchive(self, env):
        r = import_(env, zipped(instances(1, 2)), project=st.project, subject="WalkPre",
                    session="WalkPreSess", dest=f"/prearchive/projects/{st.project}")
        assert r.status_code == 200, r.text
        uri = r.text.strip().splitlines()[0]
        assert uri.startswith(f"/data/prearchive/projects/{st.project}/"), uri
        st.prearchive_uri = uri

    def test_16_prearchive_sessions_and_one_row(self, env):
        assert st.prearchive_uri
        for where in ("/data/prearchive/projects", f"/data/prearchive/projects/{st.project}"):
            rows = get_json(env, where)["ResultSet"]["Result"]
            uris = ["/data" + x["url"] for x in rows]
            assert st.prearchive_uri in uris, (where, uris)
        row, = get_json(env, st.prearchive_uri)["ResultSet"]["Result"]
        assert "/data" + row["url"] == st.prearchive_uri
        assert row["project"] == st.project
        for key in ("status", "subject", "name", "timestamp", "scan_date", "uploaded"):
            assert key in row, key

    # ---- search -------------------------------------------------------------------------

    def test_17_search_as_xnatpy_builds_it(self, env):
        root = "xnat:mrSessionData"
        body = search_xml(root, fields=["ID", "project", "subject_ID"],
                          where=criteria(f"{root}/project", "=", st.project))
        r = st.s.post(url(env, "/data/search"), params={"format": "csv"}, data=body,
                      timeout=60)
        assert r.status_code == 200, r.text
        text = str(r.text)
        data = list(csv.reader(text.splitlines(), dialect=csv.Sniffer().sniff(text)))
        rows = [dict(zip(data[0], row)) for row in data[1:]]
        assert [x["session_id"] for x in rows] == [st.session_id], rows
        assert rows[0]["project"] == st.project
        # xnatpy's object URI from the row
        uri = (f"/data/projects/{rows[0]['project']}/subjects/{rows[0]['subject_id']}"
               f"/experiments/{rows[0]['session_id']}")
        assert fulldata(env, uri)["data_fields"]["label"] == "WalkMR"

    # ---- clean-up -----------------------------------------------------------------------

    def test_18_delete_session_then_subject(self, env):
        r = st.s.delete(url(env, st.session_uri), timeout=60)
        assert r.ok, r.text
        assert st.s.get(url(env, st.session_uri), params={"format": "json"},
                        timeout=30).status_code == 404
        r = st.s.delete(url(env, st.subject_uri), params={"removeFiles": "true"}, timeout=60)
        assert r.ok, r.text
        assert st.s.get(url(env, st.subject_uri), params={"format": "json"},
                        timeout=30).status_code == 404
        rows = get_json(env, f"/data/projects/{st.project}/subjects")["ResultSet"]["Result"]
        assert "WalkSub" not in {x["label"] for x in rows}

    def test_19_disconnect(self, env):
        assert st.s.delete(url(env, "/data/JSESSION"), timeout=30).ok
