"""Search as xnatpy sends it: the search document its Query builds (xdat:bundle with
search fields qualified by their type, or none at all; criteria and child_sets; ' LIKE '
with '*' wildcards; dates as MM/DD/YYYY), posted to /data/search?format=csv|json, and read
back the way it reads them: the CSV sniffed and zipped into dicts, each row's object URI
built from the row's columns (projects '{id}', subjects '{project}/subjects/{subjectid}',
experiments '{project}/subjects/{subject_id}/experiments/{session_id}'), the JSON as a
ResultSet. Also: a stored search is compiled when stored, so a bad field is a 400 then."""

import csv
import json
from xml.etree import ElementTree

import pytest
import requests

XDAT = "http://nrg.wustl.edu/security"
P = "XpySearch"
# subject label -> gender; MR session label -> (subject, date)
SUBJECTS = {"XS01": "male", "XS02": "female", "XS03": "female"}
SESSIONS = {"MR_A_01": ("XS01", "2024-01-10"), "MR_A_02": ("XS02", "2024-02-20"),
            "MR_B_01": ("XS02", "2023-07-01"), "MR_A_03": ("XS03", "2022-05-05")}
# xnatpy's default search fields of experiments: id, project, subject_id, each a SearchField
# of the queried class, named by its schema path under the class's type
EXPERIMENT_FIELDS = ["ID", "project", "subject_ID"]
URI = {"xnat:projectData": "/data/projects/{id}",
       "xnat:subjectData": "/data/projects/{project}/subjects/{subjectid}",
       "xnat:mrSessionData": "/data/projects/{project}/subjects/{subject_id}"
                             "/experiments/{session_id}"}


def q(name):
    return ElementTree.QName(XDAT, name)


def criteria(field, op, value):
    c = ElementTree.Element(q("criteria"))
    c.set("override_value_formatting", "0")
    ElementTree.SubElement(c, q("schema_field")).text = field
    ElementTree.SubElement(c, q("comparison_type")).text = op
    ElementTree.SubElement(c, q("value")).text = value
    return c


def child_set(method, *parts):
    g = ElementTree.Element(q("child_set"))
    g.set("method", method)
    g.extend(parts)
    return g


def search_xml(root, fields=(), where=None):
    """The document xnatpy's Query.to_xml() builds: root element name, one search_field
    per field (element_name, field_ID '{type}/{field}', sequence, type, header 'url'), and
    a search_where holding the single constraint (a criteria or a child_set), if any."""
    bundle = ElementTree.Element(q("bundle"))
    ElementTree.SubElement(bundle, q("root_element_name")).text = root
    for i, name in enumerate(fields):
        f = ElementTree.SubElement(bundle, q("search_field"))
        ElementTree.SubElement(f, q("element_name")).text = root
        ElementTree.SubElement(f, q("field_ID")).text = f"{root}/{name}"
        ElementTree.SubElement(f, q("sequence")).text = str(i)
        ElementTree.SubElement(f, q("type")).text = "xs:string"
        ElementTree.SubElement(f, q("header")).text = "url"
    w = ElementTree.SubElement(bundle, q("search_where"))
    w.set("method", "AND")
    if where is not None:
        w.append(where)
    return ElementTree.tostring(bundle)


def post(env, body, fmt):
    # xnatpy posts the bytes as the body, no Content-Type, format in the query string
    return requests.post(env.url("/data/search"), params={"format": fmt}, data=body,
                         auth=(env.ADMIN, env.ADMIN_PASSWORD), timeout=30)


def run_query(env, body):
    """Query._run_query(): the CSV, its dialect sniffed, rows zipped with the header."""
    r = post(env, body, "csv")
    assert r.status_code == 200, r.text
    text = str(r.text)
    data = list(csv.reader(text.splitlines(), dialect=csv.Sniffer().sniff(text)))
    return [dict(zip(data[0], row)) for row in data[1:]]


def objects_exist(env, root, rows):
    """Query._create_object(): each row's URI from the class's FROM_SEARCH_URI."""
    for row in rows:
        uri = URI[root].format(**row)
        assert env.get(uri, params={"format": "json"}).status_code == 200, uri


@pytest.fixture(scope="module")
def mr(env):
    s = env.session()
    assert s.put(env.url(f"/data/projects/{P}")).status_code in (200, 201)
    for label, gender in SUBJECTS.items():
        r = s.put(env.url(f"/data/projects/{P}/subjects/{label}"), params={"gender": gender})
        assert r.status_code in (200, 201), r.text
    for label, (subject, date) in SESSIONS.items():
        r = s.put(env.url(f"/data/projects/{P}/subjects/{subject}/experiments/{label}"),
                  params={"xsiType": "xnat:mrSessionData", "date": date})
        assert r.status_code in (200, 201), r.text
    yield P
    s.delete(env.url(f"/data/projects/{P}?removeFiles=true"))


def by_project(root):
    return criteria(f"{root}/project", "=", P)


class TestDefaultColumns:
    def test_subjects_by_project(self, env, mr):
        """SubjectData has no default search fields: XNAT's display fields answer, and
        xnatpy builds each subject's URI from 'project' and 'subjectid'."""
        rows = run_query(env, search_xml("xnat:subjectData", where=by_project(
            "xnat:subjectData")))
        assert sorted(r["subject_label"] for r in rows) == sorted(SUBJECTS)
        assert {r["project"] for r in rows} == {P}
        assert all(r["subjectid"].startswith("XNAT_S") for r in rows)
        assert {r["subject_label"]: r["gender_text"] for r in rows} == SUBJECTS
        objects_exist(env, "xnat:subjectData", rows)

    def test_sessions_without_search_fields(self, env, mr):
        rows = run_query(env, search_xml("xnat:mrSessionData", where=by_project(
            "xnat:mrSessionData")))
        assert list(rows[0])[:6] == ["session_id", "label", "subject_id", "subject_label",
                                     "project", "date"]
        got = {r["label"]: (r["subject_label"], r["date"]) for r in rows}
        assert got == SESSIONS
        objects_exist(env, "xnat:mrSessionData", rows)

    def test_projects(self, env, mr):
        rows = run_query(env, search_xml("xnat:projectData", where=criteria(
            "xnat:projectData/ID", "=", P)))
        assert [r["id"] for r in rows] == [P]
        assert {"secondary_id", "name", "description", "pi"} <= set(rows[0])
        objects_exist(env, "xnat:projectData", rows)


class TestExperimentQueries:
    def test_default_search_fields_qualified(self, env, mr):
        """xnatpy's experiment fields 'xnat:mrSessionData/ID', '/project', '/subject_ID'
        head their columns as XNAT's display fields: session_id, project, subject_id."""
        rows = run_query(env, search_xml("xnat:mrSessionData", EXPERIMENT_FIELDS,
                                         by_project("xnat:mrSessionData")))
        assert len(rows) == len(SESSIONS)
        assert set(rows[0]) == {"session_id", "project", "subject_id"}
        assert all(r["session_id"].startswith("XNAT_E") for r in rows)
        objects_exist(env, "xnat:mrSessionData", rows)

    def test_date_range_as_xnatpy_writes_dates(self, env, mr):
        """filter(date >= d1, date <= d2) with datetime.date values: a child_set AND, the
        dates written MM/DD/YYYY."""
        where = child_set("AND", by_project("xnat:mrSessionData"),
                          criteria("xnat:mrSessionData/date", ">=", "01/01/2024"),
                          criteria("xnat:mrSessionData/date", "<=", "12/31/2024"))
        rows = run_query(env, search_xml("xnat:mrSessionData", EXPERIMENT_FIELDS + ["label"],
                                         where))
        assert sorted(r["label"] for r in rows) == ["MR_A_01", "MR_A_02"]

    def test_label_like_with_star(self, env, mr):
        """SearchField.like() sends ' LIKE ' (blanks included); '*' is XNAT's wildcard."""
        where = child_set("AND", by_project("xnat:mrSessionData"),
                          criteria("xnat:mrSessionData/label", " LIKE ", "mr_a*"))
        rows = run_query(env, search_xml("xnat:mrSessionData", EXPERIMENT_FIELDS + ["label"],
                                         where))
        assert sorted(r["label"] for r in rows) == ["MR_A_01", "MR_A_02", "MR_A_03"]
        assert {r["subject_id"] for r in rows} == {
            r["subjectid"] for r in run_query(env, search_xml(
                "xnat:subjectData", where=by_project("xnat:subjectData")))}

    def test_element_names_in_any_case(self, env, mr):
        body = search_xml("xnat:MRSessionData", EXPERIMENT_FIELDS, child_set(
            "AND", criteria("XNAT:MRSESSIONDATA/project", "=", P),
            criteria("xnat:mrsessiondata/LABEL", "=", "MR_B_01")))
        rows = run_query(env, body)
        assert [r["project"] for r in rows] == [P]
        assert set(rows[0]) == {"session_id", "project", "subject_id"}

    def test_json_result_set(self, env, mr):
        """Query.tabulate_json(): the ResultSet with its rows and totalRecords."""
        r = post(env, search_xml("xnat:mrSessionData", EXPERIMENT_FIELDS,
                                 by_project("xnat:mrSessionData")), "json")
        assert r.status_code == 200, r.text
        rs = json.loads(str(r.text))["ResultSet"]
        assert int(rs["totalRecords"]) == len(rs["Result"]) == len(SESSIONS)
        assert {x["project"] for x in rs["Result"]} == {P}
        assert all(set(x) == {"session_id", "project", "subject_id"} for x in rs["Result"])


class TestStoredSearches:
    def test_a_bad_field_is_refused_when_stored(self, env, mr):
        s = env.session()
        body = search_xml("xnat:mrSessionData", ["ID", "NO_SUCH_FIELD"],
                          by_project("xnat:mrSessionData"))
        r = s.put(env.url("/data/search/saved/xpy_bad?inbody=true"), data=body)
        assert r.status_code == 400, r.text
        assert "NO_SUCH_FIELD" in r.text
        assert s.get(env.url("/data/search/saved/xpy_bad?inbody=true")).status_code == 404
        bad_value = search_xml("xnat:mrSessionData", ["ID"], criteria(
            "xnat:mrSessionData/date", ">=", "not a date"))
        r = s.put(env.url("/data/search/saved/xpy_bad?inbody=true"), data=bad_value)
        assert r.status_code == 400 and "not a date" in r.text, r.text
        assert s.get(env.url("/data/search/saved/xpy_bad?inbody=true")).status_code == 404

    def test_qualified_fields_stored_and_run(self, env, mr):
        s = env.session()
        body = search_xml("xnat:mrSessionData", EXPERIMENT_FIELDS,
                          by_project("xnat:mrSessionData"))
        r = s.put(env.url("/data/search/saved/xpy_mr?inbody=true"), data=body)
        assert r.status_code == 201, r.text
        try:
            r = s.get(env.url("/data/search/saved/xpy_mr/results"), params={"format": "json"})
            assert r.status_code == 200, r.text
            rows = r.json()["ResultSet"]["Result"]
            assert len(rows) == len(SESSIONS)
            assert set(rows[0]) == {"session_id", "project", "subject_id"}
        finally:
            s.delete(env.url("/data/search/saved/xpy_mr?inbody=true"))
