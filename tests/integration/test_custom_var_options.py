"""Custom variable definitions with `required` and options (XNAT's possibleValues): given
as query parameters, as a JSON body or in the project's XML (as pyxnat sends it back),
listed and written back with the name as defined; a value outside the options is a 400
naming the field and the values allowed, with nothing written, through query parameters
and item XML. `required` is kept for the web forms; REST creation without the value still
works, as XNAT scripts expect."""

import json
import uuid
import xml.etree.ElementTree as ET

import pytest

from test_rest_http import Api, assert_error

XNAT = "{http://nrg.wustl.edu/xnat}"
NS = ('xmlns:xnat="http://nrg.wustl.edu/xnat" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
XML = {"Content-Type": "text/xml"}
DEFS = "/xapi/projects/{p}/customVariables"


def xpath(name):
    return f"xnat:subjectData/fields/field[name={name}]/field"


@pytest.fixture
def api(env):
    return Api(env)


@pytest.fixture
def project(api):
    p = f"cvo_{uuid.uuid4().hex[:8]}"
    assert api.put(f"/data/projects/{p}").status_code == 201
    assert api.put(f"/data/projects/{p}/subjects/S1").status_code == 201
    yield p
    api.delete(f"/data/projects/{p}", params={"removeFiles": "true"})


def definitions(api, p):
    return {r["name"]: r for r in api.rows(DEFS.format(p=p))}


def subject_fields(env, p, label):
    return env.sql(f"SELECT s.fields, s.gender FROM arca_subject s JOIN arca_subject_label l "
                   f"ON l.subject_id = s.id WHERE l.project = '{p}' AND l.label = '{label}'")


@pytest.fixture
def defined(api, project):
    """Grade (options low/high, required) from JSON; CTDIvol (a float) from the query."""
    r = api.put(DEFS.format(p=project) + "/subject/Grade",
                data=json.dumps({"type": "string", "required": True,
                                 "options": ["low", "high"], "description": "How much"}),
                headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    r = api.put(DEFS.format(p=project) + "/subject/CTDIvol",
                params={"type": "float", "options": "1.5, 3"})
    assert r.status_code == 200, r.text
    return project


def test_required_and_options_are_stored_and_listed_under_the_name_as_defined(api, defined):
    d = definitions(api, defined)
    assert set(d) == {"Grade", "CTDIvol"}
    assert (d["Grade"]["required"], json.loads(d["Grade"]["options"])) == \
        ("true", ["low", "high"])
    assert d["Grade"]["description"] == "How much"
    assert (d["CTDIvol"]["required"], json.loads(d["CTDIvol"]["options"])) == \
        ("false", ["1.5", "3"])


def test_the_project_xml_carries_required_and_possible_values(api, defined):
    doc = ET.fromstring(api.get(f"/data/projects/{defined}", params={"format": "xml"}).content)
    fields = {f.get("name"): f for f in doc.iter(f"{XNAT}field") if f.get("type") == "custom"}
    assert set(fields) == {"Grade", "CTDIvol"}
    assert fields["Grade"].get("required") == "1"
    assert [v.text for v in fields["Grade"].iter(f"{XNAT}possibleValue")] == ["low", "high"]
    assert fields["CTDIvol"].get("required") == "0"


def test_xml_definitions_with_possible_values_are_applied(api, env, project):
    """The project's XML with a new field, as pyxnat's add_custom_variables sends it."""
    doc = ET.fromstring(api.get(f"/data/projects/{project}", params={"format": "xml"}).content)
    proto = next(p for p in doc.iter(f"{XNAT}studyProtocol")
                 if p.get("data-type") == "xnat:subjectData")
    defs = ET.SubElement(proto, f"{XNAT}definitions")
    group = ET.SubElement(defs, f"{XNAT}definition", {"ID": "grp"})
    field = ET.SubElement(ET.SubElement(group, f"{XNAT}fields"), f"{XNAT}field", {
        "name": "Site", "type": "custom", "datatype": "string", "required": "true"})
    values = ET.SubElement(field, f"{XNAT}possibleValues")
    for v in ("north", "south"):
        ET.SubElement(values, f"{XNAT}possibleValue").text = v
    r = api.put(f"/data/projects/{project}", data=ET.tostring(doc), headers=XML)
    assert r.status_code == 200, r.text
    d = definitions(api, project)["Site"]
    assert (d["required"], json.loads(d["options"])) == ("true", ["north", "south"])
    assert_error(api.put(f"/data/projects/{project}/subjects/S1",
                         params={xpath("site"): "east"}), 400, mentions=("north, south",))


def test_a_value_outside_the_options_is_400_and_nothing_is_written(api, env, defined):
    path = f"/data/projects/{defined}/subjects/S1"
    assert api.put(path, params={xpath("grade"): "low"}).status_code == 200
    before = subject_fields(env, defined, "S1")
    r = api.put(path, params={xpath("Grade"): "medium", "gender": "female"})
    assert_error(r, 400, mentions=("Grade", "medium", "low, high"))
    r = api.put(path, params={xpath("ctdivol"): "2.0"})
    assert_error(r, 400, mentions=("CTDIvol", "1.5, 3"))
    doc = (f'<xnat:Subject {NS} label="S1"><xnat:fields><xnat:field name="grade">medium'
           f'</xnat:field></xnat:fields></xnat:Subject>')
    assert_error(api.put(path, data=doc, headers=XML), 400, mentions=("Grade", "low, high"))
    assert subject_fields(env, defined, "S1") == before
    # a new subject with such a value is not created at all
    r = api.put(f"/data/projects/{defined}/subjects/S2", params={xpath("grade"): "medium"})
    assert_error(r, 400, mentions=("low, high",))
    assert subject_fields(env, defined, "S2") == []


def test_values_among_the_options_are_kept_and_read_under_any_case(api, defined):
    path = f"/data/projects/{defined}/subjects/S1"
    assert api.put(path, params={xpath("GRADE"): "high", xpath("CTDIvol"): "3"}) \
        .status_code == 200
    rows = api.rows(f"/data/projects/{defined}/subjects",
                    columns=f"ID,label,{xpath('Grade')},{xpath('ctdivol')}")
    assert (rows[0][xpath("Grade")], rows[0][xpath("ctdivol")]) == ("high", "3")
    assert api.put(path, params={xpath("grade"): "NULL"}).status_code == 200  # clearing


def test_required_does_not_refuse_rest_creation(api, defined):
    """XNAT scripts create subjects without custom fields: the web form asks instead."""
    assert api.put(f"/data/projects/{defined}/subjects/S3").status_code == 201


def test_options_existing_values_do_not_fit_are_400(api, env, project):
    path = f"/data/projects/{project}/subjects/S1"
    assert api.put(path, params={xpath("arm"): "placebo"}).status_code == 200
    r = api.put(DEFS.format(p=project) + "/subject/Arm", params={"options": "A,B"})
    assert_error(r, 400, mentions=("placebo", "A, B"))
    assert definitions(api, project) == {}


@pytest.mark.parametrize("body, says", [
    ({"options": "a,b"}, "options"),
    ({"options": ["a", 3]}, "options"),
    ({"required": "yes"}, "required"),
    ({"options": ["a", "a"]}, "twice"),
    ({"options": ["a", ""]}, "empty"),
    ({"type": "integer", "options": ["1", "two"]}, "two"),
])
def test_bad_definitions_are_400(api, project, body, says):
    r = api.put(DEFS.format(p=project) + "/subject/x", data=json.dumps(body),
                headers={"Content-Type": "application/json"})
    assert_error(r, 400, mentions=(says,))
    assert definitions(api, project) == {}
