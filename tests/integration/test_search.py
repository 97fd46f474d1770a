"""Search: XNAT's search API (POST /data/search with the search XML pyxnat builds), the JSON
form, stored searches, search elements, custom variables as typed fields, access control in
the SQL, and refusals of bad documents. pyxnat is Debian's python3-pyxnat, unmodified."""

import threading
import time
import uuid

import pytest
import requests

from test_pyxnat import TOY_SUBJECTS, TOY_VARIABLES

pyxnat = pytest.importorskip("pyxnat")

PASSWORD = "Pw-for-tests-1"
P = "ToyPhantom"
SUBJECTS = dict(TOY_SUBJECTS)
SUBJECTS["Phantom03"] = {"Phantom_name": "Catphan 700", "Scanner": "Siemens Force",
                         "CTDIvol": "20.25", "kVp": "140", "ReconstructionAlgorithm": "FBP",
                         "IterativePercentage": "0", "PixelSpacing": "0.5"}
# sessions: label -> (subject, scanner, date)
SESSIONS = {"Phantom01_CT1": ("Phantom01", "Siemens Force", "2024-03-01"),
            "Phantom01_CT2": ("Phantom01", "GE Revolution", "2023-06-15"),
            "Phantom02_CT1": ("Phantom02", "GE Revolution", "2024-05-20"),
            "Phantom03_CT1": ("Phantom03", "Siemens Force", "2022-11-30")}


def cv(name, kind="subject"):
    return f"xnat:{kind}Data/fields/field[name={name}]/field"


def bundle(root, fields, where="", method="AND", extra=""):
    cols = "".join(
        f"<xdat:search_field><xdat:element_name>{f.split('/', 1)[0]}</xdat:element_name>"
        f"<xdat:field_ID>{f.split('/', 1)[1]}</xdat:field_ID></xdat:search_field>"
        for f in fields)
    return (f'<xdat:bundle xmlns:xdat="http://nrg.wustl.edu/security" ID="@{root}">'
            f"<xdat:root_element_name>{root}</xdat:root_element_name>{cols}"
            f'<xdat:search_where method="{method}">{where}</xdat:search_where>{extra}'
            "</xdat:bundle>")


def crit(field, op, value):
    return (f"<xdat:criteria><xdat:schema_field>{field}</xdat:schema_field>"
            f"<xdat:comparison_type>{op}</xdat:comparison_type>"
            f"<xdat:value>{value}</xdat:value></xdat:criteria>")


@pytest.fixture(scope="module")
def toy(env):
    """The seed's ToyPhantom project: typed custom variables, three phantoms, CT sessions
    with scanner and date, a scan each."""
    s = env.session()
    assert s.put(env.url(f"/data/projects/{P}")).status_code in (200, 201)
    for name, type_ in TOY_VARIABLES.items():
        r = s.put(env.url(f"/xapi/projects/{P}/customVariables/subject/{name}?type={type_}"))
        assert r.status_code == 200, r.text
    for label, values in SUBJECTS.items():
        params = {"gender": "other"}
        params.update({cv(k): v for k, v in values.items()})
        r = s.put(env.url(f"/data/projects/{P}/subjects/{label}"), params=params)
        assert r.status_code in (200, 201), r.text
    for label, (subject, scanner, date) in SESSIONS.items():
        r = s.put(env.url(f"/data/projects/{P}/subjects/{subject}/experiments/{label}"),
                  params={"xsiType": "xnat:ctSessionData", "scanner": scanner, "date": date})
        assert r.status_code in (200, 201), r.text
        r = s.put(env.url(f"/data/projects/{P}/subjects/{subject}/experiments/{label}"
                          "/scans/1"),
                  params={"xsiType": "xnat:ctScanData", "type": "CT",
                          "series_description": f"Axial {scanner}"})
        assert r.status_code in (200, 201), r.text
    yield P
    s.delete(env.url(f"/data/projects/{P}?removeFiles=true"))


def post(env, body, fmt="json", auth=None, **params):
    return requests.post(env.url("/data/search"), params=dict(format=fmt, **params),
                         data=body.encode() if isinstance(body, str) else body,
                         auth=auth or (env.ADMIN, env.ADMIN_PASSWORD), timeout=30)


def rows(r):
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


class TestPyxnatSelect:
    def test_subjects_of_a_project(self, xnat, toy):
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL",
                                             "xnat:subjectData/PROJECT"]).where(
            [("xnat:subjectData/PROJECT", "=", P), "AND"])
        assert sorted(r["subject_label"] for r in t) == sorted(SUBJECTS)
        assert {r["project"] for r in t} == {P}

    def test_integer_custom_variable_range(self, xnat, toy):
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"]).where(
            [("xnat:subjectData/PROJECT", "=", P), (cv("kVp"), ">=", "110"), "AND"])
        assert sorted(r["subject_label"] for r in t) == ["Phantom01", "Phantom03"]

    def test_float_variable_compares_as_a_number(self, xnat, toy):
        # as text, "8.1" < "10" is false; as the declared float it is true
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL",
                                             cv("CTDIvol")]).where(
            [("xnat:subjectData/PROJECT", "=", P), (cv("CTDIvol"), "<", "10"), "AND"])
        assert [r["subject_label"] for r in t] == ["Phantom02"]

    def test_or_group_and_like(self, xnat, toy):
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"]).where(
            [("xnat:subjectData/PROJECT", "=", P),
             [(cv("kVp"), "=", "100"), (cv("Phantom_name"), "LIKE", "*catphan 7*"), "OR"],
             "AND"])
        assert sorted(r["subject_label"] for r in t) == ["Phantom02", "Phantom03"]

    def test_ct_sessions_by_scanner_and_date(self, xnat, toy):
        t = xnat.select("xnat:ctSessionData", ["xnat:ctSessionData/LABEL",
                                               "xnat:ctSessionData/SCANNER",
                                               "xnat:ctSessionData/DATE",
                                               "xnat:subjectData/SUBJECT_LABEL"]).where(
            [("xnat:ctSessionData/SCANNER", "=", "Siemens Force"),
             ("xnat:ctSessionData/DATE", ">=", "2023-01-01"),
             ("xnat:ctSessionData/PROJECT", "=", P), "AND"])
        assert [r["label"] for r in t] == ["Phantom01_CT1"]
        assert t[0]["date"] == "2024-03-01"

    def test_sessions_by_subject_custom_variable(self, xnat, toy):
        t = xnat.select("xnat:ctSessionData", ["xnat:ctSessionData/LABEL"]).where(
            [(cv("ReconstructionAlgorithm"), "=", "ADMIRE"),
             ("xnat:ctSessionData/PROJECT", "=", P), "AND"])
        assert sorted(r["label"] for r in t) == ["Phantom01_CT1", "Phantom01_CT2"]

    def test_sessions_show_their_subjects_variables(self, env, toy):
        """A session's subject's variables as columns (read through the side table's key),
        empty where the subject has none."""
        s = env.session()
        r = s.put(env.url(f"/data/projects/{P}/subjects/Bare"))
        assert r.status_code in (200, 201), r.text
        r = s.put(env.url(f"/data/projects/{P}/subjects/Bare/experiments/Bare_CT1"),
                  params={"xsiType": "xnat:ctSessionData", "scanner": "X"})
        assert r.status_code in (200, 201), r.text
        try:
            doc = bundle("xnat:ctSessionData", ["xnat:ctSessionData/LABEL", cv("kVp"),
                                                cv("ReconstructionAlgorithm"), cv("kVp")],
                         crit("xnat:ctSessionData/PROJECT", "=", P))
            got = {r["label"]: r for r in rows(post(env, doc))}
            kvp = "xnat_subjectdata_fields/field[name=kvp]/field"
            recon = "xnat_subjectdata_fields/field[name=reconstructionalgorithm]/field"
            assert all(v[kvp + "_2"] == v[kvp] for v in got.values())
            assert {k: (v[kvp], v[recon]) for k, v in got.items()} == {
                "Phantom01_CT1": ("120", "ADMIRE"), "Phantom01_CT2": ("120", "ADMIRE"),
                "Phantom02_CT1": ("100", "ASiR-V"), "Phantom03_CT1": ("140", "FBP"),
                "Bare_CT1": ("", "")}
        finally:
            s.delete(env.url(f"/data/projects/{P}/subjects/Bare"))

    def test_subjects_by_session_fields_in_one_session(self, xnat, toy):
        """Two criteria on sessions in one AND group mean the same session."""
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"]).where(
            [("xnat:ctSessionData/SCANNER", "=", "GE Revolution"),
             ("xnat:ctSessionData/DATE", "<", "2024-01-01"),
             ("xnat:subjectData/PROJECT", "=", P), "AND"])
        assert [r["subject_label"] for r in t] == ["Phantom01"]

    def test_all_and_field_values(self, xnat, toy):
        labels = [r["subject_label"] for r in
                  xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"]).all()]
        assert set(SUBJECTS) <= set(labels)
        scanners = xnat.inspect.field_values("xnat:ctSessionData/SCANNER")
        assert {"Siemens Force", "GE Revolution"} <= set(scanners)

    def test_scans_by_session_scanner(self, xnat, toy):
        t = xnat.select("xnat:ctScanData", ["xnat:ctScanData/SERIES_DESCRIPTION",
                                            "xnat:ctScanData/IMAGE_SESSION_ID"]).where(
            [("xnat:ctSessionData/SCANNER", "=", "GE Revolution"),
             ("xnat:ctSessionData/PROJECT", "=", P), "AND"])
        assert [r["series_description"] for r in t] == ["Axial GE Revolution"] * 2

    def test_datatypes(self, xnat, toy):
        assert {"xnat:subjectData", "xnat:ctSessionData"} <= set(xnat.inspect.datatypes())
        fields = xnat.inspect.datatypes("xnat:subjectData")
        assert "xnat:subjectData/SUBJECT_LABEL" in fields
        assert "xnat:subjectData/GENDER_TEXT" in fields


class TestStoredSearches:
    def test_save_list_get_run_delete(self, xnat, toy):
        cols = ["xnat:subjectData/SUBJECT_LABEL", "xnat:subjectData/PROJECT"]
        criteria = [("xnat:subjectData/PROJECT", "=", P), (cv("kVp"), ">", "100"), "AND"]
        xnat.manage.search.save("toy_kvp", "xnat:subjectData", cols, criteria,
                                sharing="private", description="kVp above 100")
        assert "toy_kvp" in xnat.manage.search.saved()
        assert ("toy_kvp", "kVp above 100") in xnat.manage.search.saved(with_description=True)
        results = xnat.manage.search.get("toy_kvp")
        assert sorted(r["subject_label"] for r in results) == ["Phantom01", "Phantom03"]
        query = xnat.manage.search.get("toy_kvp", "query")
        assert query["row"] == "xnat:subjectData"
        assert query["columns"] == cols
        assert (cv("kVp"), ">", "100") in query["constraints"]
        # where(query=...) reads the stored criteria back
        t = xnat.select("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"]).where(
            query="toy_kvp")
        assert sorted(r["subject_label"] for r in t) == ["Phantom01", "Phantom03"]
        xnat.manage.search.delete("toy_kvp")
        assert "toy_kvp" not in xnat.manage.search.saved()

    def test_replace_and_results_formats(self, env, toy):
        s = env.session()
        doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"],
                     crit("xnat:subjectData/PROJECT", "=", P))
        assert s.put(env.url("/data/search/saved/toy_all?inbody=true"), data=doc).status_code \
            == 201
        assert s.put(env.url("/data/search/saved/toy_all?inbody=true"), data=doc).status_code \
            == 200
        r = s.get(env.url("/data/search/saved/toy_all/results?format=csv"))
        assert r.status_code == 200
        assert r.text.splitlines()[0] == "subject_label"
        assert len(r.text.splitlines()) == 1 + len(SUBJECTS)
        xml = s.get(env.url("/data/search/saved/toy_all")).text
        assert "<xdat:stored_search" in xml and P in xml
        assert s.delete(env.url("/data/search/saved/toy_all")).status_code == 200
        assert s.get(env.url("/data/search/saved/toy_all")).status_code == 404


class TestJsonForm:
    def test_json_search_sorted_and_paged(self, env, toy):
        q = {"root": "xnat:subjectData",
             "columns": ["xnat:subjectData/SUBJECT_LABEL", cv("CTDIvol")],
             "where": {"and": [{"field": "xnat:subjectData/PROJECT", "op": "=", "value": P},
                               {"field": cv("CTDIvol"), "op": ">", "value": 5}]},
             "sort": {"field": cv("CTDIvol"), "order": "desc"}, "limit": 2}
        r = requests.post(env.url("/data/search?format=json"), json=q,
                          auth=(env.ADMIN, env.ADMIN_PASSWORD))
        got = rows(r)
        # numeric order: 20.25, 12.5 (as text "8.1" would sort first)
        assert [g["subject_label"] for g in got] == ["Phantom03", "Phantom01"]
        assert got[0]["fields/field[name=ctdivol]/field"] == "20.25"

    def test_in_list_and_csv(self, env, toy):
        q = {"root": "xnat:subjectData", "columns": ["xnat:subjectData/SUBJECT_LABEL"],
             "where": {"and": [{"field": "xnat:subjectData/PROJECT", "value": P},
                               {"field": cv("kVp"), "op": "IN", "value": [100, 140]}]}}
        r = requests.post(env.url("/data/search?format=csv"), json=q,
                          auth=(env.ADMIN, env.ADMIN_PASSWORD))
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/csv")
        assert r.text.splitlines() == ["subject_label", "Phantom02", "Phantom03"]

    @pytest.mark.parametrize("body,where", [
        ({"root": "xnat:subjectData", "where": {"and": [{"field": "xnat:subjectData/ID",
                                                          "op": "EQ", "value": "x"}]}},
         "where.and[0].op"),
        ({"root": "xnat:subjectData", "where": {"and": [{"feld": "x"}]}}, "where.and[0]"),
        ({"root": "xnat:subjectData", "limit": -1}, "limit"),
        ({"root": "xnat:subjectData", "where": {"and": [
            {"field": "xnat:subjectData/NOPE", "value": "x"}]}}, "NOPE"),
        ({"root": "xnat:subjectData", "where": {"and": [
            {"field": cv("kVp"), "op": ">", "value": "loud"}]}}, "not a valid integer"),
    ])
    def test_errors_point_at_the_bad_part(self, env, toy, body, where):
        r = requests.post(env.url("/data/search"), json=body,
                          auth=(env.ADMIN, env.ADMIN_PASSWORD))
        assert r.status_code == 400
        assert where in r.text


class TestElements:
    def test_elements_and_fields(self, env, toy):
        els = {e["ELEMENT_NAME"]: e for e in
               env.get("/data/search/elements?format=json").json()["ResultSet"]["Result"]}
        assert int(els["xnat:subjectData"]["COUNT"]) >= len(SUBJECTS)
        assert int(els["xnat:ctSessionData"]["COUNT"]) >= len(SESSIONS)
        fields = {f["FIELD_ID"]: f for f in env.get(
            "/data/search/elements/xnat:subjectData?format=json").json()["ResultSet"]["Result"]}
        assert "SUBJECT_LABEL" in fields
        assert fields["XNAT_SUBJECTDATA_FIELD_MAP=kvp"]["TYPE"] == "integer"
        assert env.get("/data/search/elements/nope").status_code == 404

    def test_field_map_column(self, env, toy):
        r = post(env, bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL",
                                                  "xnat:subjectData/XNAT_SUBJECTDATA_FIELD_MAP=kvp"],
                             crit("xnat:subjectData/PROJECT", "=", P)))
        got = {g["subject_label"]: g["xnat_subjectdata_field_map=kvp"] for g in rows(r)}
        assert got == {k: v["kVp"] for k, v in SUBJECTS.items()}


def make_user(env, login):
    r = env.session().post(env.url("/xapi/users"), json={
        "username": login, "password": PASSWORD, "firstName": "S", "lastName": "T",
        "email": f"{login}@example.org"})
    assert r.status_code == 201, r.text
    return (login, PASSWORD)


@pytest.fixture(scope="module")
def world(env):
    """A private project with a subject, shared into a public one (another subject stays
    private), a member and an outsider."""
    tag = uuid.uuid4().hex[:6]
    s = env.session()
    priv, pub = f"SrchPriv{tag}", f"SrchPub{tag}"
    for p in (priv, pub):
        assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
    s.put(env.url(f"/data/projects/{pub}/accessibility/public"))
    for label in ("Secret1", "Shared1"):
        s.put(env.url(f"/data/projects/{priv}/subjects/{label}"),
              params={cv("site"): "alpha", "gender": "female"})
        s.put(env.url(f"/data/projects/{priv}/subjects/{label}/experiments/{label}_MR"),
              params={"xsiType": "xnat:mrSessionData", "scanner": "HiddenScanner"})
    s.put(env.url(f"/data/projects/{pub}/subjects/Open1"), params={"gender": "female"})
    r = s.put(env.url(f"/data/projects/{priv}/subjects/Shared1/projects/{pub}?label=Shared1"))
    assert r.status_code in (200, 201), r.text
    member, outsider = make_user(env, f"m_{tag}"), make_user(env, f"o_{tag}")
    s.put(env.url(f"/data/projects/{priv}/users/Members/{member[0]}"))
    yield {"priv": priv, "pub": pub, "member": member, "outsider": outsider}
    for p in (pub, priv):
        s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def subject_search(env, auth, *criteria):
    doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL",
                                      "xnat:subjectData/PROJECT"],
                 "".join(crit(*c) for c in criteria))
    return sorted(r["subject_label"] for r in rows(post(env, doc, auth=auth)))


class TestAccess:
    """A search never returns rows of a project the user cannot read, whatever it asks."""
    ROLES = {"admin": ["Open1", "Secret1", "Shared1"], "member": ["Open1", "Secret1", "Shared1"],
             "outsider": ["Open1", "Shared1"]}

    @pytest.mark.parametrize("role", list(ROLES))
    def test_matrix(self, env, world, role):
        auth = None if role == "admin" else world[role]
        crit_ = ("xnat:subjectData/GENDER_TEXT", "=", "female")
        got = [s for s in subject_search(env, auth, crit_) if s in ("Open1", "Secret1",
                                                                     "Shared1")]
        assert got == self.ROLES[role]

    def test_or_at_the_top_does_not_escape_the_filter(self, env, world):
        doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"],
                     crit("xnat:subjectData/SUBJECT_LABEL", "=", "Secret1")
                     + crit("xnat:subjectData/GENDER_TEXT", "=", "female"), method="OR")
        got = [r["subject_label"] for r in rows(post(env, doc, auth=world["outsider"]))]
        assert "Secret1" not in got and "Shared1" in got

    def test_criteria_on_unreadable_rows_do_not_match(self, env, world):
        # the outsider reads Shared1 through the public project, but its session lives only
        # in the private one: a criterion on it must not reveal it
        got = subject_search(env, world["outsider"],
                             ("xnat:mrSessionData/SCANNER", "=", "HiddenScanner"))
        assert got == []
        got = subject_search(env, world["member"],
                             ("xnat:mrSessionData/SCANNER", "=", "HiddenScanner"))
        assert got == ["Secret1", "Shared1"]

    def test_sessions_and_elements(self, env, world):
        doc = bundle("xnat:mrSessionData", ["xnat:mrSessionData/LABEL"],
                     crit("xnat:mrSessionData/SCANNER", "=", "HiddenScanner"))
        assert rows(post(env, doc, auth=world["outsider"])) == []
        assert len(rows(post(env, doc, auth=world["member"]))) == 2
        fields = [f["FIELD_ID"] for f in env.get(
            "/data/search/elements/xnat:subjectData?format=json",
            auth=world["outsider"]).json()["ResultSet"]["Result"]]
        assert "XNAT_SUBJECTDATA_FIELD_MAP=site" not in fields

    def test_stored_search_sharing(self, env, world):
        member, outsider = world["member"], world["outsider"]
        doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"],
                     crit("xnat:subjectData/GENDER_TEXT", "=", "female"))
        s = requests.Session()
        s.auth = member
        # private (pyxnat's sharing="private": the owner is the one allowed user)
        priv_doc = doc.replace("</xdat:bundle>", "<xdat:allowed_user><xdat:login>"
                               f"{member[0]}</xdat:login></xdat:allowed_user></xdat:bundle>")
        assert s.put(env.url("/data/search/saved/mine?inbody=true"),
                     data=priv_doc).status_code == 201
        # shared with the private project
        assert s.put(env.url(f"/data/search/saved/team?inbody=true&project={world['priv']}"),
                     data=priv_doc).status_code == 201
        o = requests.Session()
        o.auth = outsider
        listed = [r["id"] for r in o.get(env.url("/data/search/saved?format=json"))
                  .json()["ResultSet"]["Result"]]
        assert "mine" not in listed and "team" not in listed
        assert o.get(env.url("/data/search/saved/mine/results")).status_code == 404
        # the outsider may not overwrite or delete it either
        assert o.put(env.url("/data/search/saved/mine?inbody=true"),
                     data=doc).status_code == 403
        assert o.delete(env.url("/data/search/saved/mine")).status_code == 404
        # shared with the project: another reader of it sees it; results are the reader's
        assert "team" in [r["id"] for r in env.session().get(
            env.url("/data/search/saved?format=json")).json()["ResultSet"]["Result"]]
        for sid in ("mine", "team"):
            assert s.delete(env.url(f"/data/search/saved/{sid}")).status_code == 200

    def test_stored_json_search_names_its_users(self, env, world):
        member, outsider = world["member"], world["outsider"]
        s = requests.Session()
        s.auth = member
        search = {"root": "xnat:subjectData", "columns": ["xnat:subjectData/SUBJECT_LABEL"]}
        r = s.put(env.url("/data/search/saved/jsonmine"), json={**search, "users": [member[0]]})
        assert r.status_code == 201, r.text
        o = requests.Session()
        o.auth = outsider
        listed = [x["id"] for x in o.get(env.url("/data/search/saved?format=json"))
                  .json()["ResultSet"]["Result"]]
        assert "jsonmine" not in listed
        assert o.get(env.url("/data/search/saved/jsonmine/results")).status_code == 404
        mine = [x for x in s.get(env.url("/data/search/saved?format=json"))
                .json()["ResultSet"]["Result"] if x["id"] == "jsonmine"]
        assert mine and mine[0]["sharing"] == "users"
        for bad in ([""], "me", [1]):
            r = s.put(env.url("/data/search/saved/jsonbad"), json={**search, "users": bad})
            assert r.status_code == 400 and "users" in r.text, r.text
        assert s.get(env.url("/data/search/saved/jsonbad")).status_code == 404
        assert s.delete(env.url("/data/search/saved/jsonmine")).status_code == 200


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xdat:bundle xmlns:xdat="http://nrg.wustl.edu/security"><xdat:root_element_name>&lol4;
</xdat:root_element_name></xdat:bundle>"""

XXE = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xdat:bundle xmlns:xdat="http://nrg.wustl.edu/security">
<xdat:root_element_name>&xxe;</xdat:root_element_name></xdat:bundle>"""


class TestBadInput:
    @pytest.mark.parametrize("body,status,says", [
        ("<xdat:bundle", 400, "not well-formed XML: line 1"),
        ("not xml at all", 400, "not well-formed"),
        ("", 400, "no search document"),
        (BILLION_LAUGHS, 400, "DOCTYPE"),
        (XXE, 400, "DOCTYPE"),
        ("<other/>", 400, "root element"),
        (bundle("xnat:subjectData", ["xnat:subjectData/NOPE"]), 400, "unknown field "
         "'xnat:subjectData/NOPE'"),
        (bundle("xnat:subjectData", [], crit("xnat:subjectData/ID", "~~", "x")), 400,
         "criteria 1 (line 1): unknown comparison '~~'"),
        (bundle("xnat:nothing", []), 400, "root_element_name"),
        (bundle("xnat:subjectData", [], crit("xnat:subjectData/YOB", ">", "soon")), 400,
         "'soon' is not a valid integer"),
        (bundle("xnat:subjectData", [], crit("xnat:subjectData/ID", "IN",
                                             ",".join(str(i) for i in range(1001)))),
         400, "more than 1000 values"),
        (bundle("xnat:subjectData", [], "".join(crit("xnat:subjectData/ID", "=", "x")
                                                for _ in range(201))), 400, "more than 200"),
        (bundle("xnat:subjectData", [], "<xdat:child_set>" * 20 + "</xdat:child_set>" * 20),
         400, "nest deeper"),
        ("<a>" + "x" * (1024 * 1024) + "</a>", 413, "larger than"),
    ])
    def test_refused(self, env, body, status, says):
        t0 = time.time()
        r = post(env, body, fmt="csv")
        assert r.status_code == status, r.text
        assert says in r.text
        assert len(r.text) < 1000  # never echoes a large input
        assert "<html" not in r.text.lower()
        assert time.time() - t0 < 5

    def test_sql_metacharacters_are_values(self, env, toy):
        for value in ("x' OR '1'='1", "'; DROP TABLE arca_subject; --", "%' --", "\\",
                      "$1", "a\"b"):
            got = subject_search(env, None, ("xnat:subjectData/SUBJECT_LABEL", "=", value))
            assert got == []
            got = subject_search(env, None, ("xnat:subjectData/PROJECT", "=", P),
                                 (cv("Scanner"), "IN", f"{value},Siemens Force"))
            assert got == ["Phantom01", "Phantom03"]
        assert env.sql("SELECT count(*) FROM arca_subject")[0][0] != "0"

    def test_custom_values_have_a_bound(self, env, toy):
        """Values are indexed: one longer than 2,000 bytes is a 400 naming the variable (it
        was a 500 from PostgreSQL's index), and nothing of the request is kept."""
        s = env.session()
        url = env.url(f"/data/projects/{P}/subjects/Phantom02")
        r = s.put(url, params={cv("Notes"): "n" * 1000 + "é" * 500})  # 2,000 bytes
        assert r.status_code == 200, r.text
        r = s.put(url, params={cv("Notes"): "x" * 2001, cv("kVp"): "80"})
        assert r.status_code == 400 and '"notes"' in r.text and "2000 bytes" in r.text, r.text
        got = subject_search(env, None, ("xnat:subjectData/PROJECT", "=", P),
                             (cv("kVp"), "=", "100"))
        assert got == ["Phantom02"]

    def test_bad_documents_do_not_slow_others(self, env, toy):
        stop = []

        def hammer():
            while not stop:
                post(env, BILLION_LAUGHS)
                post(env, "<a>" + "<b>" * 5000 + "</b>" * 5000 + "</a>")

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            lat = []
            for _ in range(20):
                t0 = time.time()
                assert env.get("/xapi/siteConfig/buildInfo").status_code == 200
                lat.append(time.time() - t0)
            assert sorted(lat)[len(lat) // 2] < 0.5
        finally:
            stop.append(1)
            for t in threads:
                t.join()


class TestFormats:
    def test_xml_and_csv_stream(self, env, toy):
        doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL", cv("Scanner")],
                     crit("xnat:subjectData/PROJECT", "=", P))
        r = post(env, doc, fmt="xml")
        assert r.status_code == 200 and "<ResultSet" in r.text and "Phantom02" in r.text
        r = post(env, doc, fmt="csv", download="true")
        assert r.headers["Content-Disposition"].startswith("attachment")
        lines = r.text.splitlines()
        assert lines[0] == "subject_label,fields/field[name=scanner]/field"
        assert "Phantom01,Siemens Force" in lines

    def test_query_string_sort_and_limit(self, env, toy):
        doc = bundle("xnat:subjectData", ["xnat:subjectData/SUBJECT_LABEL"],
                     crit("xnat:subjectData/PROJECT", "=", P))
        got = rows(post(env, doc, sortBy="SUBJECT_LABEL", sortOrder="DESC", limit="2"))
        assert [g["subject_label"] for g in got] == ["Phantom03", "Phantom02"]
