"""The XML schemas xnatpy builds its classes from at connect(): the list at
/xapi/schemas?format=json, each schema at /xapi/schemas/{name}, that they are well-formed
schemas of the XNAT types xnatpy's code expects, and that Arca's own item XML (?format=xml)
validates against them.

xnatpy (1.8 servers): after logging in (PUT /data/services/auth, then the JSESSIONID cookie)
it reads the version, GETs /xapi/schemas?format=json (a JSON list of names), then for each
name GETs /xapi/schemas/{name} with Accept-Encoding unset and parses the text with
ElementTree, taking the namespace prefixes from the <xs:schema ...> tag by regular
expression. A name it cannot fetch makes its GET raise; a type named but not defined makes
its class generation fail (KeyError)."""

import os
import re
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

XS = "{http://www.w3.org/2001/XMLSchema}"
XNAT_NS = "http://nrg.wustl.edu/xnat"
X = "{" + XNAT_NS + "}"
REPO_SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "..", "schemas")

# The XNAT types xnatpy's own code names (its constants, mixins and listings): each must be
# a type of the served schemas, or the classes it builds lack them.
TYPES_XNATPY_NEEDS = [
    "projectData", "subjectData", "demographicData", "abstractDemographicData",
    "experimentData", "subjectAssessorData", "imageSessionData", "imageScanData",
    "imageAssessorData", "derivedData", "abstractResource", "resource", "resourceCatalog",
    "investigatorData", "fieldDefinitionGroup", "projectShare",
    "mrSessionData", "ctSessionData", "petSessionData", "crSessionData", "dxSessionData",
    "usSessionData", "otherDicomSessionData",
    "mrScanData", "ctScanData", "petScanData", "crScanData", "dxScanData", "usScanData",
    "otherDicomScanData",
]


def xnatpy_login(env):
    """xnatpy's login: the form PUT, whose answer is the JSESSIONID it then sends."""
    s = requests.Session()
    r = s.put(env.url("/data/services/auth"),
              data={"username": env.ADMIN, "password": env.ADMIN_PASSWORD}, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    s.cookies.set("JSESSIONID", r.text.strip())
    return s


def fetch_schemas(env, s):
    """What xnatpy's parse_schemas_17 fetches: {name: text}."""
    r = s.get(env.url("/xapi/schemas"), params={"format": "json"}, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    names = r.json()
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    texts = {}
    for name in names:
        r = s.get(env.url(f"/xapi/schemas/{name}"), headers={"Accept-Encoding": None},
                  timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text)
        assert "xml" in r.headers["Content-Type"]
        texts[name] = r.text
    return texts


@pytest.fixture(scope="module")
def schemas(env):
    return fetch_schemas(env, xnatpy_login(env))


def defined_types(texts):
    """{prefix:name} of every named type, as xnatpy names its classes."""
    found = set()
    for text in texts.values():
        root = ET.fromstring(text)
        prefix = prefixes(text)[root.get("targetNamespace")]
        for t in list(root.iter(XS + "complexType")) + list(root.iter(XS + "simpleType")):
            if t.get("name"):
                found.add(f"{prefix}:{t.get('name')}")
    return found


def prefixes(text):
    """The namespaces declared on <xs:schema>, found as xnatpy finds them: {ns: prefix}."""
    tag = re.search(r"<xs:schema([^>]*)>", text)
    assert tag, "no <xs:schema ...> tag, which xnatpy looks for"
    return {ns: p for p, ns in re.findall(r'xmlns:(?P<prefix>\w+)="(?P<ns>\S+)"', tag.group(1))}


def xmllint_validate(xsd_path, doc_path):
    r = subprocess.run(["xmllint", "--noout", "--schema", xsd_path, doc_path],
                       capture_output=True, text=True)
    return r.returncode, r.stderr


# ---- the connect sequence ------------------------------------------------------------------

def test_connect_reaches_and_parses_the_schemas(env):
    s = xnatpy_login(env)
    # xnat_version: /data/version is gone (404), as in XNAT 1.7+, so xnatpy reads
    # buildInfo's version; 1.8 selects the /xapi/schemas builder
    assert s.get(env.url("/data/version"), timeout=30).status_code == 404
    r = s.get(env.url("/xapi/siteConfig/buildInfo"), timeout=30)
    assert r.status_code == 200 and r.json()["version"].startswith("1.8")
    texts = fetch_schemas(env, s)
    assert "xnat" in texts
    for name, text in texts.items():
        root = ET.fromstring(text)
        assert root.tag == XS + "schema", name
        ns = prefixes(text)
        assert ns.get("http://www.w3.org/2001/XMLSchema") == "xs"
        assert root.get("targetNamespace") in ns, name
    assert prefixes(texts["xnat"])[XNAT_NS] == "xnat"


def test_schemas_hold_what_xnatpy_builds_classes_from(schemas):
    types = defined_types(schemas)
    missing = [t for t in TYPES_XNATPY_NEEDS if f"xnat:{t}" not in types]
    assert not missing, missing
    for name, text in schemas.items():
        root = ET.fromstring(text)
        # xnatpy raises NotImplementedError on these
        assert not list(root.iter(XS + "group")), name
        assert not list(root.iter(XS + "attributeGroup")), name
        # every type or base named is one it can look up (else its generation fails)
        for el in root.iter():
            for attr in ("type", "base"):
                ref = el.get(attr)
                if ref and not ref.startswith("xs:"):
                    assert ref in types, (name, el.tag, ref)


def test_session_types_inherit_as_xnatpy_expects(schemas):
    """xnatpy walks each type's base up to one without a base, which decides its kind of
    class: sessions must reach experimentData, scans imageScanData, catalogs
    abstractResource."""
    bases = {}
    root = ET.fromstring(schemas["xnat"])
    for t in root.findall(XS + "complexType"):
        ext = t.find(f"{XS}complexContent/{XS}extension")
        bases["xnat:" + t.get("name")] = ext.get("base") if ext is not None else None

    def top(t):
        while bases[t]:
            t = bases[t]
        return t

    assert top("xnat:mrSessionData") == "xnat:experimentData"
    assert top("xnat:imageAssessorData") == "xnat:experimentData"
    assert top("xnat:ctScanData") == "xnat:imageScanData"
    assert top("xnat:resourceCatalog") == "xnat:abstractResource"
    assert bases["xnat:imageSessionData"] == "xnat:subjectAssessorData"
    assert bases["xnat:demographicData"] == "xnat:abstractDemographicData"


@pytest.mark.parametrize("path", ["/xapi/schemas/xnat", "/xapi/schemas/xnat.xsd",
                                  "/xapi/schemas/xnat/xnat", "/xapi/schemas/xnat/xnat.xsd"])
def test_schema_names_serve_the_file_in_the_repository(env, path):
    """Every spelling XNAT answers, and the bytes are the repository's file (a build cannot
    serve a stale copy)."""
    r = env.get(path)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/xml")
    with open(os.path.join(REPO_SCHEMAS, "xnat.xsd"), "rb") as f:
        assert r.content == f.read()


def test_every_schema_in_the_repository_is_served(env):
    r = env.get("/xapi/schemas", params={"format": "json"})
    files = sorted(f[:-4] for f in os.listdir(REPO_SCHEMAS) if f.endswith(".xsd"))
    assert sorted(r.json()) == files


@pytest.mark.parametrize("path", ["/xapi/schemas/nosuch", "/xapi/schemas/other/xnat",
                                  "/xapi/schemas/xnat/nosuch.xsd"])
def test_unknown_schema_is_404_saying_so(env, path):
    r = env.get(path)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "no schema" in r.text and path.rsplit("/", 1)[1] in r.text


def test_schemas_need_a_login(env):
    r = requests.get(env.url("/xapi/schemas/xnat"), timeout=30)
    assert r.status_code == 401


# ---- the schemas are schemas, and Arca's XML is what they say --------------------------------

@pytest.fixture(scope="module")
def schema_dir(env, schemas, tmp_path_factory):
    d = tmp_path_factory.mktemp("xsd")
    for name, text in schemas.items():
        (d / f"{name.replace('/', '_')}.xsd").write_text(text)
    return d


def test_every_served_schema_compiles(schemas, schema_dir, tmp_path):
    doc = tmp_path / "probe.xml"
    doc.write_text(f'<xnat:Project xmlns:xnat="{XNAT_NS}" ID="p"/>')
    for name in schemas:
        rc, err = xmllint_validate(str(schema_dir / f"{name.replace('/', '_')}.xsd"), str(doc))
        assert "failed to compile" not in err and "error" not in err.lower(), (name, err)
        if name == "xnat":
            assert rc == 0, err


@pytest.fixture(scope="module")
def archive(env):
    """A project with a PI and a custom variable definition; a subject with demographics and
    a custom field; an MR and a CT session with scans, resources and files; a share."""
    s = env.session()
    u = uuid.uuid4().hex[:6]
    p, p2 = f"xsd_{u}", f"xsd_{u}_other"

    def put(path, ok=(200, 201), **params):
        r = s.put(env.url(path), params=params or None, timeout=30)
        assert r.status_code in ok, (path, r.status_code, r.text)
        return r.text.strip()

    def upload(resource, name, data):
        r = s.put(env.url(f"{resource}/files/{name}"), data=data, timeout=30,
                  headers={"Content-Type": "application/octet-stream"})
        assert r.status_code in (200, 201), (name, r.status_code, r.text)

    put(f"/data/projects/{p}", name="Schema check", description="d & <e>", keywords="a b",
        pi_firstname="Ada", pi_lastname="Lovelace", secondary_ID="SEC")
    put(f"/data/projects/{p}", alias=f"{p}_A1")  # <xnat:aliases> in the project's XML
    put(f"/data/projects/{p2}")
    put(f"/xapi/projects/{p}/customVariables/subject/kvp", type="integer")
    subj = f"/data/projects/{p}/subjects/S1"
    sid = put(subj, gender="female", handedness="right", yob="1970", education="12",
              group="control", src="clinic", **{
                  "xnat:subjectData/fields/field[name=kvp]/field": "120",
                  "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/age": "50",
                  "xnat:subjectData/investigator/firstname": "Marie",
                  "xnat:subjectData/investigator/lastname": "Curie"})
    put(f"{subj}/projects/{p2}", label="S1_shared")
    upload(f"{subj}/resources/NOTES", "notes.txt", b"notes")
    eids = {}
    for xsi, label, modality in [("xnat:mrSessionData", "MR1", "MR"),
                                 ("xnat:ctSessionData", "CT1", "CT")]:
        eid = put(f"{subj}/experiments/{label}", xsiType=xsi, date="2020-01-02",
                  time="10:11:12", modality=modality, scanner="S", visit_id="v1",
                  **{f"{xsi}/fields/field[name=dose]/field": "7", f"{xsi}/age": "50"})
        eids[label] = eid
        scan = xsi.replace("SessionData", "ScanData")
        put(f"/data/experiments/{eid}/scans/1", type="T1", series_description="Series 1",
            quality="usable", frames="3", **{
                f"{scan}/parameters/tr": "2.5", f"{scan}/parameters/voxelRes/x": "1",
                f"{scan}/parameters/voxelRes/y": "1.2", f"{scan}/parameters/orientation": "Ax",
                f"{scan}/parameters/addParam[name=foo]/addField": "bar"})
        put(f"/data/experiments/{eid}/scans/2", type="LOC")
        put(f"/data/experiments/{eid}/reconstructions/R1", type="MPR", baseScanType="T1")
        upload(f"/data/experiments/{eid}/reconstructions/R1/out/resources/NIFTI", "r.nii",
               b"nii")
        upload(f"/data/experiments/{eid}/scans/1/resources/DICOM", "a.dcm", b"DICM" * 64)
        upload(f"/data/experiments/{eid}/scans/1/resources/DICOM", "sub/b.dcm", b"DICM")
        upload(f"/data/experiments/{eid}/resources/SNAP", "snap.png", b"\x89PNG")
        put(f"{subj}/experiments/{label}/projects/{p2}", label=f"{label}_shared")
        # an assessor with provenance, as pyxnat's provenance.attach PUTs it
        r = s.put(env.url(f"{subj}/experiments/{label}/assessors/{label}_QC"), data=(
            '<xnat:QCAssessment xmlns:xnat="http://nrg.wustl.edu/xnat" '
            'xmlns:prov="http://www.nbirn.net/prov" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:type="xnat:qcAssessmentData" label="{label}_QC"><xnat:provenance>'
            '<prov:processStep><prov:program version="1.2">tool</prov:program>'
            '<prov:timestamp>2011-03-01T12:01:01</prov:timestamp><prov:user>u</prov:user>'
            '</prov:processStep></xnat:provenance></xnat:QCAssessment>'),
            headers={"Content-Type": "text/xml"}, timeout=30)
        assert r.status_code in (200, 201), r.text
    upload(f"/data/projects/{p}/resources/DOCS", "readme.txt", b"read me")
    yield {"project": p, "sid": sid, "eids": eids}
    for pid in (p, p2):
        s.delete(env.url(f"/data/projects/{pid}"), params={"removeFiles": "true"}, timeout=30)


def item_paths(a):
    paths = [f"/data/projects/{a['project']}", f"/data/subjects/{a['sid']}"]
    for eid in a["eids"].values():
        paths += [f"/data/experiments/{eid}", f"/data/experiments/{eid}/scans/1",
                  f"/data/experiments/{eid}/scans/2",
                  f"/data/experiments/{eid}/reconstructions/R1"]
    for label in a["eids"]:
        paths.append(f"/data/projects/{a['project']}/subjects/S1/experiments/{label}"
                     f"/assessors/{label}_QC")
    return paths


def test_item_xml_validates_against_the_schema(env, archive, schema_dir, tmp_path):
    xsd = str(schema_dir / "xnat.xsd")
    for i, path in enumerate(item_paths(archive)):
        r = env.get(path, params={"format": "xml"})
        assert r.status_code == 200, (path, r.status_code, r.text)
        doc = tmp_path / f"item{i}.xml"
        doc.write_bytes(r.content)
        rc, err = xmllint_validate(xsd, str(doc))
        assert rc == 0, (path, err, r.text)


def test_item_xml_has_xnat_shape(env, archive):
    """The places where XNAT's shape differs from a flat list of fields."""
    root = ET.fromstring(env.get(f"/data/projects/{archive['project']}",
                                 params={"format": "xml"}).content)
    assert root.get("secondary_ID") == "SEC"
    assert root.find(f"{X}PI/{X}firstname").text == "Ada"
    assert root.find(f"{X}PI/{X}lastname").text == "Lovelace"
    assert root.find(f"{X}insert_date") is None
    assert [e.get("name") for e in root.findall(f"{X}studyProtocol")][:1] == ["Subjects"]
    kvp = root.find(f"{X}studyProtocol/{X}definitions/{X}definition/{X}fields/{X}field")
    assert kvp.get("name") == "kvp" and kvp.get("datatype") == "integer"
    subject = ET.fromstring(env.get(f"/data/subjects/{archive['sid']}",
                                    params={"format": "xml"}).content)
    assert subject.find(f"{X}demographics/{X}gender").text == "female"
    assert subject.find(f"{X}fields/{X}field[@name='kvp']").text == "120"
    assert [s.get("label") for s in subject.findall(f"{X}sharing/{X}share")] == ["S1_shared"]
    scan = ET.fromstring(env.get(f"/data/experiments/{archive['eids']['MR1']}/scans/1",
                                 params={"format": "xml"}).content)
    assert scan.tag == X + "MRScan"
    assert scan.find(f"{X}quality").text == "usable"
    files = scan.findall(f"{X}file")
    assert [(f.get("label"), f.get("file_count")) for f in files] == [("DICOM", "2")]
    assert files[0].get("{http://www.w3.org/2001/XMLSchema-instance}type") == \
        "xnat:resourceCatalog"
