"""The data model as XNAT clients read and write it: each test sends what xnatpy or pyxnat
sends and reads the answer the way the client does (xnatpy: the items JSON, children found
by `field`, the item that is not history; pyxnat: listings as CSV, text answers)."""

import csv
import io
import time
import uuid

import pytest

DEMO = "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]"


def new_project(env, prefix="Xm"):
    p = f"{prefix}{uuid.uuid4().hex[:8]}"
    r = env.session().put(env.url(f"/data/projects/{p}"))
    assert r.status_code == 201, r.text
    return p


@pytest.fixture
def project(env):
    p = new_project(env)
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def put(env, path, **params):
    return env.session().put(env.url(path), params=params, timeout=30)


def item(env, path):
    """xnatpy's fulldata: the first item of ?format=json."""
    r = env.session().get(env.url(path), params={"format": "json"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def child(fulldata, field):
    """xnatpy's get_object: the child of that field, its item that is not history."""
    items = next(c for c in fulldata["children"] if c["field"] == field)["items"]
    return next(i for i in items if not i["meta"]["isHistory"])


def rows(env, path, **params):
    r = env.session().get(env.url(path), params={"format": "csv", **params}, timeout=30)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


# ---- demographics ---------------------------------------------------------------------

def test_subject_json_nests_demographics(env, project):
    """xnatpy creates a subject with its demographics as XPaths, reads them back through
    subject.demographics (the `demographics` child, xnat:demographicData), and changes one
    with mset on the sub-object's XPath."""
    path = f"/data/projects/{project}/subjects/Demo1"
    r = put(env, path, **{"xsiType": "xnat:subjectData", "req_format": "qs",
                          f"{DEMO}/gender": "female", f"{DEMO}/yob": "1970",
                          f"{DEMO}/handedness": "left", "xnat:subjectData/group": "ctl"})
    assert r.status_code == 201, r.text
    full = item(env, path)
    assert full["data_fields"]["group"] == "ctl"
    for name in ("gender", "yob", "handedness"):
        assert name not in full["data_fields"]
    demo = child(full, "demographics")
    assert demo["meta"]["xsi:type"] == "xnat:demographicData"
    assert demo["data_fields"] == {"gender": "female", "yob": "1970", "handedness": "left"}

    r = put(env, path, **{"xsiType": "xnat:subjectData", f"{DEMO}/gender": "male"})
    assert r.status_code == 200, r.text
    assert child(item(env, path), "demographics")["data_fields"]["gender"] == "male"


def test_subject_without_demographics_has_no_demographics_child(env, project):
    path = f"/data/projects/{project}/subjects/Plain1"
    assert put(env, path).status_code == 201
    assert [c for c in item(env, path)["children"] if c["field"] == "demographics"] == []


# ---- the import's answer ---------------------------------------------------------------

def test_import_of_two_studies_answers_one_uri(env, project):
    """xnatpy's services.import_ strips the answer and builds the object from it: the
    answer is the first session's URI alone; report=full lists both."""
    pytest.importorskip("pydicom")
    from test_import import instances, zipped
    body = zipped(instances(1, 1) + [(f"b_{n}", d) for n, d in instances(1, 1)])
    q = {"project": project, "subject": "Two", "session": "Two", "dest": "/archive",
         "overwrite": "none", "import-handler": "DICOM-zip"}
    r = env.session().post(env.url("/data/services/import"), params=q, data=body,
                           headers={"Content-Type": "application/zip"}, timeout=60)
    assert r.status_code == 200, r.text
    uri = r.text.strip()
    assert uri == f"/data/archive/projects/{project}/subjects/Two/experiments/Two"
    assert r.headers["X-Arca-Sessions"] == "2"
    full = item(env, uri.replace("/data/archive/", "/data/"))
    assert full["data_fields"]["label"] == "Two"

    q.update(session="Again", report="full")
    r = env.session().post(env.url("/data/services/import"), params=q, data=zipped(
        instances(1, 1) + [(f"b_{n}", d) for n, d in instances(1, 1)]),
        headers={"Content-Type": "application/zip"}, timeout=60)
    assert r.status_code == 200, r.text
    base = f"/data/archive/projects/{project}/subjects/Two/experiments"
    assert r.text.splitlines() == [f"{base}/Again", f"{base}/Again_2"]


# ---- project aliases -------------------------------------------------------------------

def test_alias_set_listed_and_resolved(env, xnat, project):
    """PUT ?alias= stores it; pyxnat's aliases() reads it from columns=alias; the project
    answers to it; the XML and JSON carry it."""
    alias = f"Al{uuid.uuid4().hex[:8]}"
    r = put(env, f"/data/projects/{project}", alias=alias)
    assert r.status_code == 200, r.text
    assert xnat.select.project(project).aliases() == [alias]
    assert [x["alias"] for x in rows(env, "/data/projects", columns="alias")
            if x["ID"] == project] == [alias]
    full = item(env, f"/data/projects/{alias}")
    assert full["data_fields"]["ID"] == project
    assert child(full, "aliases/alias")["data_fields"]["alias"] == alias
    xml = env.session().get(env.url(f"/data/projects/{alias}"), timeout=30).text
    assert f"<xnat:alias>{alias}</xnat:alias>" in xml
    subjects = env.session().get(env.url(f"/data/projects/{alias}/subjects"),
                                 params={"format": "json"}, timeout=30)
    assert subjects.status_code == 200


def test_alias_from_project_xml(env, project):
    """The project's XML with xnat:aliases, PUT back as pyxnat and xnatpy do."""
    a1, a2 = f"X{uuid.uuid4().hex[:8]}", f"Y{uuid.uuid4().hex[:8]}"
    doc = (f'<xnat:Project xmlns:xnat="http://nrg.wustl.edu/xnat" ID="{project}">'
           f'<xnat:name>{project}</xnat:name><xnat:aliases>'
           f'<xnat:alias source="web">{a1}</xnat:alias><xnat:alias>{a2}</xnat:alias>'
           f'</xnat:aliases></xnat:Project>')
    r = env.session().put(env.url(f"/data/projects/{project}"), data=doc,
                          headers={"Content-Type": "text/xml"}, timeout=30)
    assert r.status_code == 200, r.text
    xml = env.session().get(env.url(f"/data/projects/{project}"), timeout=30).text
    assert f'<xnat:alias source="web">{a1}</xnat:alias>' in xml
    assert f"<xnat:alias>{a2}</xnat:alias>" in xml
    assert [x["alias"] for x in rows(env, "/data/projects", columns="alias")
            if x["ID"] == project] == [",".join(sorted([a1, a2]))]


def test_alias_clashes_are_409(env, project):
    other = new_project(env)
    try:
        alias = f"C{uuid.uuid4().hex[:8]}"
        assert put(env, f"/data/projects/{project}", alias=alias).status_code == 200
        r = put(env, f"/data/projects/{other}", alias=alias)
        assert r.status_code == 409 and alias in r.text
        r = put(env, f"/data/projects/{other}", alias=project)
        assert r.status_code == 409
        assert put(env, f"/data/projects/{other}", alias="bad alias!").status_code == 400
        # nothing half-written: other has no alias
        assert [x["alias"] for x in rows(env, "/data/projects", columns="alias")
                if x["ID"] == other] == [""]
    finally:
        env.session().delete(env.url(f"/data/projects/{other}"))


# ---- quarantine_code, current_arc ------------------------------------------------------

def test_quarantine_code_and_current_arc(env, xnat, project):
    p = xnat.select.project(project)
    assert p.quarantine_code() == 0
    assert p.current_arc() == b"arc001"
    r = env.session().get(env.url(f"/data/projects/{project}/current_arc"), timeout=30)
    assert r.status_code == 200 and r.text == "arc001"
    r = env.session().get(env.url("/data/projects/NoSuchProj/quarantine_code"), timeout=30)
    assert r.status_code == 404


# ---- the projects of a subject or experiment ----------------------------------------------

def test_projects_of_shared_subject_and_experiment(env, project):
    other = new_project(env)
    try:
        s = f"/data/projects/{project}/subjects/Sh1"
        assert put(env, s).status_code == 201
        assert put(env, f"{s}/experiments/ShE",
                   xsiType="xnat:mrSessionData").status_code == 201
        assert put(env, f"{s}/projects/{other}", label="Sh1b").status_code == 200
        ids = {x["ID"] for x in rows(env, f"{s}/projects")}
        assert ids == {project, other}
        ids = {x["ID"] for x in rows(env, f"{s}/experiments/ShE/projects")}
        assert ids == {project}
        assert env.session().delete(env.url(f"{s}/projects")).status_code == 405
    finally:
        env.session().delete(env.url(f"/data/projects/{other}"))


# ---- a session PUT under a subject that does not exist yet -------------------------------

def test_session_put_creates_its_subject(env, project):
    base = f"/data/projects/{project}/subjects/NewSubj"
    r = env.session().get(env.url(f"{base}/experiments/E1"), timeout=30)
    assert r.status_code == 404 and "NewSubj" in r.text
    r = put(env, f"{base}/experiments/E1", xsiType="xnat:mrSessionData",
            **{"xnat:mrSessionData/date": "2020-01-02"})
    assert r.status_code == 201, r.text
    full = item(env, f"{base}/experiments/E1")
    assert full["data_fields"]["date"] == "2020-01-02"
    assert item(env, base)["data_fields"]["label"] == "NewSubj"
    # an XML body does the same
    doc = ('<xnat:MRSession xmlns:xnat="http://nrg.wustl.edu/xnat" '
           f'project="{project}" label="E2"><xnat:date>2021-03-04</xnat:date>'
           '</xnat:MRSession>')
    r = env.session().put(env.url(f"/data/projects/{project}/subjects/Other/experiments/E2"),
                          data=doc, headers={"Content-Type": "text/xml"}, timeout=30)
    assert r.status_code == 201, r.text
    assert {x["label"] for x in rows(env, f"/data/projects/{project}/subjects")} \
        == {"NewSubj", "Other"}


def test_session_put_with_bad_label_creates_no_subject(env, project):
    r = put(env, f"/data/projects/{project}/subjects/Lone/experiments/bad label",
            xsiType="xnat:mrSessionData")
    assert r.status_code == 400
    assert rows(env, f"/data/projects/{project}/subjects") == []


# ---- subjects' last_modified -------------------------------------------------------------

def test_subject_last_modified(env, project):
    path = f"/data/projects/{project}/subjects/Lm1"
    assert put(env, path).status_code == 201
    (first,) = rows(env, f"/data/projects/{project}/subjects", columns="label,last_modified")
    assert first["last_modified"] != ""
    time.sleep(0.05)
    assert put(env, path, **{f"{DEMO}/gender": "female"}).status_code == 200
    (second,) = rows(env, f"/data/projects/{project}/subjects", columns="last_modified")
    assert second["last_modified"] > first["last_modified"]
