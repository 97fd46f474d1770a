"""More of XNAT's model, as pyxnat's own test suite and xnatpy use it: a subject's
investigator and age, a session's age, scan parameters (fixed ones and addParam), and an
assessor's provenance, set by the query string or an XML document and read back from
listings, JSON and XML."""

import xml.etree.ElementTree as ET

import pytest

NS = {"xnat": "http://nrg.wustl.edu/xnat", "prov": "http://www.nbirn.net/prov"}
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@pytest.fixture(scope="module")
def s(env):
    session = env.session()
    r = session.put(env.url("/data/projects/Model2"))
    assert r.status_code in (200, 201), r.text
    yield session
    session.delete(env.url("/data/projects/Model2?removeFiles=true"))


def put(s, env, path, **params):
    r = s.put(env.url(path), params=params)
    assert r.status_code in (200, 201), r.text
    return r


def item_json(s, env, path):
    r = s.get(env.url(path), params={"format": "json"})
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def item_xml(s, env, path):
    r = s.get(env.url(path), params={"format": "xml"})
    assert r.status_code == 200, r.text
    return ET.fromstring(r.content)


def child(item, field):
    return [c["items"] for c in item["children"] if c["field"] == field]


def listing(s, env, path, columns):
    r = s.get(env.url(path), params={"format": "json", "columns": columns})
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


SUBJ = "/data/projects/Model2/subjects"


class TestSubject:
    def test_investigator_and_age_by_query(self, s, env):
        # what pyxnat's attributes test sends when it creates the session's subject
        put(s, env, f"{SUBJ}/Inv1", **{
            "xsiType": "xnat:subjectData",
            "xnat:subjectData/investigator/lastname": "doe",
            "xnat:subjectData/investigator/firstname": "john",
            "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/age": "42"})
        rows = listing(s, env, SUBJ, "ID,label,xnat:subjectData/investigator/firstname,"
                       "xnat:subjectData/investigator/lastname,age")
        row = [r for r in rows if r["label"] == "Inv1"][0]
        assert row["xnat:subjectData/investigator/firstname"] == "john"
        assert row["xnat:subjectData/investigator/lastname"] == "doe"
        assert row["age"] == "42"
        item = item_json(s, env, f"{SUBJ}/Inv1")
        inv = child(item, "investigator")[0][0]
        assert inv["meta"]["xsi:type"] == "xnat:investigatorData"
        assert inv["data_fields"] == {"firstname": "john", "lastname": "doe"}
        root = item_xml(s, env, f"{SUBJ}/Inv1")
        inv = root.find("xnat:investigator", NS)
        assert inv.get(f"{{{XSI}}}type") == "xnat:investigatorData"
        assert inv.find("xnat:firstname", NS).text == "john"
        assert inv.find("xnat:lastname", NS).text == "doe"
        assert root.find("xnat:demographics/xnat:age", NS).text == "42"

    def test_age_plain_and_bad(self, s, env):
        put(s, env, f"{SUBJ}/Inv2", age="30")
        rows = listing(s, env, SUBJ, "ID,label,age")
        assert [r["age"] for r in rows if r["label"] == "Inv2"] == ["30"]
        r = s.put(env.url(f"{SUBJ}/Inv2"), params={"age": "old"})
        assert r.status_code == 400 and "age" in r.text

    def test_investigator_from_document(self, s, env):
        doc = ('<xnat:Subject xmlns:xnat="http://nrg.wustl.edu/xnat" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" label="Inv3">'
               '<xnat:investigator xsi:type="xnat:investigatorData"><xnat:firstname>ann'
               '</xnat:firstname><xnat:lastname>lee</xnat:lastname></xnat:investigator>'
               '<xnat:demographics xsi:type="xnat:demographicData"><xnat:age>51</xnat:age>'
               '</xnat:demographics></xnat:Subject>')
        r = s.put(env.url(f"{SUBJ}/Inv3"), data=doc, headers={"Content-Type": "text/xml"})
        assert r.status_code in (200, 201), r.text
        item = item_json(s, env, f"{SUBJ}/Inv3")
        assert child(item, "investigator")[0][0]["data_fields"]["lastname"] == "lee"
        assert item_xml(s, env, f"{SUBJ}/Inv3").find(
            "xnat:demographics/xnat:age", NS).text == "51"


class TestSession:
    def test_session_age(self, s, env):
        # pyxnat's attributes test: create with xnat:mrSessionData/age, read "42.0"
        path = f"{SUBJ}/Age1/experiments/Age1_MR"
        put(s, env, f"{SUBJ}/Age1")
        put(s, env, path, **{"xsiType": "xnat:mrSessionData", "xnat:mrSessionData/age": "42"})
        rows = listing(s, env, f"{SUBJ}/Age1/experiments", "ID,xnat:mrSessionData/age")
        assert rows[0]["xnat:mrSessionData/age"] == "42.0"
        put(s, env, path, **{"xsiType": "xnat:mrSessionData", "xnat:mrSessionData/age": "26.5"})
        assert item_json(s, env, path)["data_fields"]["age"] == "26.5"
        assert item_xml(s, env, path).find("xnat:age", NS).text == "26.5"
        r = s.put(env.url(path), params={"xnat:mrSessionData/age": "x"})
        assert r.status_code == 400


class TestScanParameters:
    def test_fixed_and_added(self, s, env):
        put(s, env, f"{SUBJ}/Par1")
        sess = f"{SUBJ}/Par1/experiments/Par1_MR"
        put(s, env, sess, xsiType="xnat:mrSessionData")
        scan = f"{sess}/scans/1"
        put(s, env, scan, **{
            "xsiType": "xnat:mrScanData", "type": "T1",
            "xnat:mrScanData/parameters/tr": "2300", "xnat:mrScanData/parameters/te": "2.98",
            "xnat:mrScanData/parameters/flip": "9",
            "xnat:mrScanData/parameters/voxelRes/x": "1",
            "xnat:mrScanData/parameters/voxelRes/y": "1.2",
            "xnat:mrScanData/parameters/orientation": "Sag",
            "xnat:mrScanData/parameters/addParam[name=foo]/addField": "bar",
            "xnat:mrScanData/parameters/addParam[name=Phase encoding]/addField": "AP"})
        rows = listing(s, env, f"{sess}/scans",
                       "ID,xnat:mrScanData/parameters/tr,"
                       "xnat:mrScanData/parameters/addParam[name=foo]/addField")
        assert rows[0]["xnat:mrScanData/parameters/tr"] == "2300.0"
        assert rows[0]["xnat:mrScanData/parameters/addParam[name=foo]/addField"] == "bar"
        item = item_json(s, env, scan)
        assert item["data_fields"]["parameters/te"] == "2.98"
        assert item["data_fields"]["parameters/flip"] == "9"
        added = {i["data_fields"]["name"]: i["data_fields"]["addField"]
                 for i in child(item, "parameters/addParam")[0]}
        assert added == {"foo": "bar", "Phase encoding": "AP"}
        params = item_xml(s, env, scan).find("xnat:parameters", NS)
        assert params.find("xnat:tr", NS).text == "2300.0"
        assert params.find("xnat:orientation", NS).text == "Sag"
        vox = params.find("xnat:voxelRes", NS)
        assert (vox.get("x"), vox.get("y")) == ("1.0", "1.2")
        assert {a.get("name"): a.text for a in params.findall("xnat:addParam", NS)} == \
            {"foo": "bar", "Phase encoding": "AP"}
        # NULL removes an added parameter
        put(s, env, scan, **{"xnat:mrScanData/parameters/addParam[name=foo]/addField": "NULL"})
        added = [i["data_fields"]["name"]
                 for i in child(item_json(s, env, scan), "parameters/addParam")[0]]
        assert added == ["Phase encoding"]

    def test_document_round_trip(self, s, env):
        sess = f"{SUBJ}/Par1/experiments/Par1_MR"
        doc = ('<xnat:MRScan xmlns:xnat="http://nrg.wustl.edu/xnat" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="2" type="DWI">'
               '<xnat:parameters><xnat:voxelRes x="2" y="2" z="2.5"/><xnat:tr>8000</xnat:tr>'
               '<xnat:addParam name="bvalues">0,1000</xnat:addParam></xnat:parameters>'
               '</xnat:MRScan>')
        r = s.put(env.url(f"{sess}/scans/2"), data=doc, headers={"Content-Type": "text/xml"})
        assert r.status_code in (200, 201), r.text
        item = item_json(s, env, f"{sess}/scans/2")
        assert item["data_fields"]["parameters/voxelRes/z"] == "2.5"
        assert item["data_fields"]["parameters/tr"] == "8000.0"
        assert child(item, "parameters/addParam")[0][0]["data_fields"] == \
            {"name": "bvalues", "addField": "0,1000"}

    def test_bad_parameter(self, s, env):
        scan = f"{SUBJ}/Par1/experiments/Par1_MR/scans/1"
        r = s.put(env.url(scan), params={"xnat:mrScanData/parameters/tr": "long"})
        assert r.status_code == 400 and "parameters/tr" in r.text
        r = s.put(env.url(scan), params={"xnat:mrScanData/parameters/bogus": "1"})
        assert r.status_code == 400


PROV_DOC = """<xnat:QCAssessment xmlns:xnat="http://nrg.wustl.edu/xnat"
 xmlns:prov="http://www.nbirn.net/prov" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:type="xnat:qcAssessmentData" label="Prov1_QC"><xnat:provenance>
 <prov:processStep><prov:program version="1.2" arguments="-v">young</prov:program>
 <prov:timestamp>2011-03-01T12:01:01.897987</prov:timestamp><prov:user>angus</prov:user>
 <prov:machine>war</prov:machine><prov:platform version="5.10">linux</prov:platform>
 </prov:processStep>
 <prov:processStep><prov:program>old</prov:program><prov:timestamp>2011-03-02T00:00:00
 </prov:timestamp><prov:user>bon</prov:user><prov:machine>war</prov:machine>
 <prov:platform>linux</prov:platform><prov:library version="3">libfoo</prov:library>
 </prov:processStep></xnat:provenance></xnat:QCAssessment>"""


class TestProvenance:
    def test_steps_stored_and_answered(self, s, env):
        put(s, env, f"{SUBJ}/Prov1")
        sess = f"{SUBJ}/Prov1/experiments/Prov1_MR"
        put(s, env, sess, xsiType="xnat:mrSessionData")
        assessor = f"{sess}/assessors/Prov1_QC"
        # pyxnat's provenance.attach: the assessor's XML with the steps, PUT back
        r = s.put(env.url(assessor), data=PROV_DOC, headers={"Content-Type": "text/xml"})
        assert r.status_code in (200, 201), r.text
        steps = child(item_json(s, env, assessor), "provenance/processStep")[0]
        assert [st["meta"]["xsi:type"] for st in steps] == ["prov:processStep"] * 2
        assert steps[0]["data_fields"]["program"] == "young"
        assert steps[0]["data_fields"]["program/version"] == "1.2"
        assert steps[0]["data_fields"]["platform/version"] == "5.10"
        assert steps[1]["data_fields"]["library"] == "libfoo"
        prov = item_xml(s, env, assessor).find("xnat:provenance", NS)
        xsteps = prov.findall("prov:processStep", NS)
        assert len(xsteps) == 2
        program = xsteps[0].find("prov:program", NS)
        assert (program.text, program.get("version"), program.get("arguments")) == \
            ("young", "1.2", "-v")
        assert xsteps[0].find("prov:user", NS).text == "angus"
        assert xsteps[1].find("prov:library", NS).get("version") == "3"
        # a plain field update leaves the steps alone
        put(s, env, assessor, note="checked")
        assert len(child(item_json(s, env, assessor), "provenance/processStep")[0]) == 2
        # pyxnat's dettach: the document without provenance, allowDataDeletion=true
        bare = PROV_DOC.split("<xnat:provenance>")[0] + "</xnat:QCAssessment>"
        r = s.put(env.url(assessor), params={"allowDataDeletion": "true"}, data=bare,
                  headers={"Content-Type": "text/xml"})
        assert r.status_code == 200, r.text
        assert child(item_json(s, env, assessor), "provenance/processStep") == []
