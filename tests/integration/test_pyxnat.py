"""pyxnat (Debian's python3-pyxnat, unmodified) against Arca: the scenarios XNAT users
script, end to end. What pyxnat sends is described in docs/pyxnat-requests.md."""

import base64
import http.client
import os
import time
import zipfile

import pytest

pyxnat = pytest.importorskip("pyxnat")

# The seed's phantom table: a CT phantom study's custom variables, with their types.
TOY_VARIABLES = {
    "Phantom_name": "string", "Scanner": "string", "CTDIvol": "float", "kVp": "integer",
    "ReconstructionAlgorithm": "string", "IterativePercentage": "integer",
    "PixelSpacing": "float",
}
TOY_SUBJECTS = {
    "Phantom01": {"Phantom_name": "Catphan 600", "Scanner": "Siemens Force", "CTDIvol": "12.5",
                  "kVp": "120", "ReconstructionAlgorithm": "ADMIRE",
                  "IterativePercentage": "40", "PixelSpacing": "0.488"},
    "Phantom02": {"Phantom_name": "ACR 464", "Scanner": "GE Revolution", "CTDIvol": "8.1",
                  "kVp": "100", "ReconstructionAlgorithm": "ASiR-V",
                  "IterativePercentage": "50", "PixelSpacing": "0.625"},
}


def field(name, kind="subject"):
    return f"xnat:{kind}Data/fields/field[name={name}]/field"


@pytest.fixture(scope="module")
def toy(env, xnat):
    """The ToyPhantom project with its typed custom variables."""
    project = xnat.select.project("ToyPhantom")
    project.create()
    for name, type_ in TOY_VARIABLES.items():
        r = env.session().put(env.url(
            f"/xapi/projects/ToyPhantom/customVariables/subject/{name}?type={type_}"))
        assert r.status_code == 200, r.text
    yield project
    project.delete()


class TestConnect:
    def test_version(self, xnat):
        # /data/version is gone, as in XNAT 1.7+: pyxnat falls back to buildInfo's map
        assert xnat.version()["version"].startswith("1.8")

    def test_first_request_stays_on_data(self, xnat):
        xnat.select.projects().get()
        assert xnat._entry == "/data"

    def test_kept_alive_connection_survives_a_pause(self, env):
        # pyxnat's suite sleeps 5 s between calls on one requests session; httpd's default
        # 5 s keep-alive closed the connection under it (RemoteDisconnected)
        host, port = env.httpd.base_url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port.rstrip("/")), timeout=30)
        auth = {"Authorization": "Basic " + base64.b64encode(
            f"{env.ADMIN}:{env.ADMIN_PASSWORD}".encode()).decode()}
        try:
            for pause in (6, 0):
                conn.request("GET", "/data/projects?format=json", headers=auth)
                r = conn.getresponse()
                r.read()
                assert r.status == 200
                assert r.getheader("Connection", "").lower() != "close"
                time.sleep(pause)
        finally:
            conn.close()

    def test_wrong_password_says_authentication_failed(self, env):
        x = pyxnat.Interface(server=env.httpd.base_url, user=env.ADMIN, password="wrong")
        with pytest.raises(pyxnat.core.errors.OperationalError, match="Authentication"):
            x.select.project("Anything").exists()


class TestProjects:
    def test_create_list_delete(self, xnat):
        p = xnat.select.project("PyxProj1")
        assert not p.exists()
        p.create()
        assert p.exists()
        assert p.id() == "PyxProj1"
        assert "PyxProj1" in xnat.select.projects().get()
        p.attrs.set("xnat:projectData/description", "a phantom study")
        assert p.attrs.get("description") == "a phantom study"
        p.delete()
        assert not p.exists()

    def test_repr_reads_the_project_search(self, xnat):
        # pyxnat's repr searches xnat:projectData and reads project_access, as XNAT lists it
        p = xnat.select.project("PyxRepr")
        p.create()
        try:
            assert repr(p).startswith("<Project Object> PyxRepr `PyxRepr` (private) ")
        finally:
            p.delete()


class TestToyPhantomRoundTrip:
    def test_subjects_with_custom_variables(self, toy):
        for label, values in TOY_SUBJECTS.items():
            s = toy.subject(label)
            s.create(**{"xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/"
                        "gender": "other"})
            s.attrs.mset({field(k): v for k, v in values.items()})
        for label, values in TOY_SUBJECTS.items():
            s = toy.subject(label)
            assert s.exists()
            assert s.id().startswith("XNAT_S")
            assert s.label() == label
            assert s.attrs.get("gender") == "other"
            for name, value in values.items():
                assert s.attrs.get(field(name)) == value, name
        assert sorted(toy.subject(l).id() for l in TOY_SUBJECTS) == sorted(toy.subjects().get())

    def test_wrong_type_is_refused_and_changes_nothing(self, env, toy):
        s = toy.subject("Phantom01")
        with pytest.raises(pyxnat.core.errors.DatabaseError, match="kVp"):
            s.attrs.set(field("kVp"), "one-twenty")
        assert s.attrs.get(field("kVp")) == "120"

    def test_variables_are_listing_columns(self, env, toy):
        r = env.get("/data/projects/ToyPhantom/subjects?format=json&columns=label,"
                    + field("CTDIvol") + "," + field("kVp"))
        rows = {row["label"]: row for row in r.json()["ResultSet"]["Result"]}
        assert rows["Phantom02"][field("CTDIvol")] == "8.1"
        assert rows["Phantom01"][field("kVp")] == "120"

    def test_variables_in_the_json_export(self, env, toy):
        sid = toy.subject("Phantom01").id()
        item = env.get(f"/data/subjects/{sid}?format=json").json()["items"][0]
        fields = next(c for c in item["children"] if c["field"] == "fields/field")["items"]
        exported = {f["data_fields"]["name"]: f["data_fields"]["field"] for f in fields}
        assert exported["scanner"] == "Siemens Force"
        assert exported["pixelspacing"] == "0.488"


class TestXnatDocuments:
    """The XML side: pyxnat's custom variable calls edit the project's XML document and
    PUT it back; create(xml=...) PUTs an item document."""

    def test_add_and_get_custom_variables(self, xnat):
        p = xnat.select.project("PyxVars")
        p.create()
        try:
            p.add_custom_variables({"Subjects": {"phantom": {"kVp": "int",
                                                             "Scanner": "string"}}})
            got = p.get_custom_variables()
            # names come back as defined (values still match them without case)
            assert got["Subjects"]["phantom"] == {"kVp": "integer", "Scanner": "string"}
            s = p.subject("S1")
            s.create()
            with pytest.raises(pyxnat.core.errors.DatabaseError):
                s.attrs.set(field("kvp"), "not-a-number")
            s.attrs.set(field("kvp"), "140")
            assert s.attrs.get(field("kvp")) == "140"
        finally:
            p.delete()

    def test_create_from_xml(self, xnat, toy, tmp_path):
        doc = tmp_path / "subject.xml"
        doc.write_text(
            '<xnat:Subject xmlns:xnat="http://nrg.wustl.edu/xnat" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<xnat:demographics xsi:type="xnat:demographicData"><xnat:gender>female'
            '</xnat:gender><xnat:yob>1970</xnat:yob></xnat:demographics>'
            '<xnat:fields><xnat:field name="kVp">100</xnat:field></xnat:fields>'
            '</xnat:Subject>')
        s = toy.subject("FromXml")
        s.create(xml=str(doc))
        assert s.exists()
        assert (s.attrs.get("gender"), s.attrs.get("yob")) == ("female", "1970")
        assert s.attrs.get(field("kVp")) == "100"

    def test_xml_of_a_subject_round_trips(self, xnat, toy, tmp_path):
        s = toy.subject("XmlSource")
        s.create(**{"xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/"
                    "gender": "other"})
        s.attrs.set(field("Scanner"), "Siemens Force")
        text = s.get().decode()
        # pyxnat's create(xml=) cannot parse a document that keeps its XML declaration
        # (lxml refuses str input with an encoding declaration), so it goes, as a user
        # of pyxnat would have to do with XNAT's own documents.
        text = text[text.index("?>") + 2:] if text.startswith("<?xml") else text
        doc = tmp_path / "back.xml"
        doc.write_text(text)
        copy = toy.subject("XmlCopy")
        copy.create(xml=str(doc))
        assert copy.attrs.get(field("Scanner")) == "Siemens Force"
        assert copy.attrs.get("gender") == "other"
        assert copy.id() != s.id()


class TestSessionsScansFiles:
    @pytest.fixture(scope="class")
    def session(self, toy):
        subject = toy.subject("Phantom01")
        e = subject.experiment("Phantom01_CT1")
        e.create(experiments="xnat:ctSessionData",
                 **{"xnat:ctSessionData/date": "2024-03-01"})
        return e

    def test_ct_and_mr_sessions(self, toy, session):
        assert session.exists()
        assert session.id().startswith("XNAT_E")
        assert session.attrs.get("xsiType") == "xnat:ctSessionData"
        assert session.attrs.get("date") == "2024-03-01"
        mr = toy.subject("Phantom02").experiment("Phantom02_MR1")
        mr.create(experiments="xnat:mrSessionData")
        assert mr.attrs.get("xsiType") == "xnat:mrSessionData"
        assert mr.id() in toy.subject("Phantom02").experiments().get()

    def test_scans(self, session):
        scan = session.scan("2")
        scan.create(scans="xnat:ctScanData", **{"xnat:ctScanData/type": "CT AX",
                                                 "xnat:ctScanData/series_description": "Axial 1mm",
                                                 "xnat:ctScanData/quality": "usable"})
        assert scan.exists()
        assert scan.attrs.get("type") == "CT AX"
        assert scan.attrs.get("series_description") == "Axial 1mm"
        assert scan.attrs.get("quality") == "usable"
        assert session.scans().get() == ["2"]

    def test_scan_parameters_keep_the_order_they_were_set_in(self, session):
        # pyxnat's own suite sets foo then bar and expects params() == ['foo', 'bar']
        scan = session.scan("3")
        scan.create(scans="xnat:ctScanData")
        for name, value in (("zeta", "1"), ("alpha", "2"), ("mid", "3")):
            scan.set_param(name, value)
        scan.set_param("zeta", "4")  # a new value keeps its place
        assert scan.params() == ["zeta", "alpha", "mid"]
        assert scan.get_param("zeta") == "4"
        scan.delete()

    def test_provenance_set_and_get(self, session):
        # provenance.get lists the session's assessors with processStep columns and reads
        # XNAT's lower-case headers ('xnat:mrassessordata/id', '.../processstep/program')
        assessor = session.assessor("Phantom01_CT1_PROV")
        assessor.insert(assessors="xnat:qcAssessmentData", use_label=True)
        steps = [{"program": "young", "timestamp": "2011-03-01T12:01:01", "user": "angus",
                  "machine": "war", "platform": "linux"},
                 {"program": "second", "program_version": "2.1",
                  "timestamp": "2011-03-02T12:01:01", "user": "bon", "machine": "war",
                  "platform": "linux"}]
        assessor.provenance.set(steps)
        got = assessor.provenance.get()
        assert [(g["program"], g["program_version"], g["user"]) for g in got] == \
            [("young", "", "angus"), ("second", "2.1", "bon")]
        assessor.delete()

    def test_file_put_get_and_attributes(self, tmp_path, session):
        scan = session.scan("2")
        res = scan.resource("DICOM")
        res.create()
        src = tmp_path / "slice1.dcm"
        src.write_bytes(os.urandom(50_000))
        res.file("slice1.dcm").put(str(src), format="DICOM", content="RAW", tags="t1")
        assert res.files().get() == ["slice1.dcm"]
        f = res.file("slice1.dcm")
        assert int(f.size()) == 50_000
        attrs = f.attributes()
        assert attrs["file_format"] == "DICOM" and attrs["file_tags"] == "t1"
        back = tmp_path / "back.dcm"
        f.get(str(back))
        assert back.read_bytes() == src.read_bytes()

    def test_zip_in_and_out(self, tmp_path, session):
        res = session.resource("NOTES")
        src = tmp_path / "notes.zip"
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("hello_dir/a.txt", "alpha")
            z.writestr("hello_dir/sub/b.txt", "beta")
        res.put_zip(str(src), extract=True)
        assert sorted(res.files().get()) == ["a.txt", "b.txt"]
        out = tmp_path / "out"
        out.mkdir()
        res.get(str(out), extract=True)
        assert (out / "NOTES" / "hello_dir" / "sub" / "b.txt").read_text() == "beta"

    def test_file_delete(self, session):
        res = session.resource("NOTES")
        res.file("hello_dir/a.txt").delete()
        assert res.files().get() == ["b.txt"]


class TestSharingAndDelete:
    def test_share_unshare(self, xnat, toy):
        other = xnat.select.project("ToyShared")
        other.create()
        try:
            s = toy.subject("Phantom02")
            s.share("ToyShared", label="Shared02")
            assert other.subject("Shared02").exists()
            assert other.subject("Shared02").id() == s.id()
            s.unshare("ToyShared")
            assert not other.subject("Shared02").exists()
        finally:
            other.delete()

    def test_shares_list_the_own_project_first(self, xnat, toy):
        # pyxnat's own suite checks shares() == [own, other]; "AAShared" sorts before
        # "ToyPhantom", so only an own-project-first order passes
        other = xnat.select.project("AAShared")
        other.create()
        try:
            s = toy.subject("Phantom01")
            s.share("AAShared", label="SharedFirst")
            assert s.shares().get() == ["ToyPhantom", "AAShared"]
            e = s.experiment("Phantom01_CT")
            e.create(experiments="xnat:ctSessionData")
            e.share("AAShared", label="SharedFirst_CT")
            assert e.shares().get() == ["ToyPhantom", "AAShared"]
            e.unshare("AAShared")
            e.delete()
            s.unshare("AAShared")
        finally:
            other.delete()

    def test_delete_session_and_subject_with_files(self, env, toy, tmp_path):
        s = toy.subject("ToDelete")
        s.create()
        e = s.experiment("ToDelete_CT")
        e.create(experiments="xnat:ctSessionData")
        src = tmp_path / "x.dcm"
        src.write_bytes(b"x" * 1000)
        e.resource("DICOM").file("x.dcm").put(str(src))
        session_dir = os.path.join(env.httpd.root, "archive", "ToyPhantom", "arc001",
                                   "ToDelete_CT")
        assert os.path.isdir(session_dir)
        e.delete(delete_files=True)
        assert not e.exists()
        assert not os.path.exists(session_dir)
        s.delete()
        assert not s.exists()


class TestProjectAccessThroughPyxnat:
    def test_users_and_accessibility(self, env, xnat):
        login = "pyx_member"
        r = env.session().post(env.url("/xapi/users"),
                               json={"username": login, "password": "Pyx-pw-123"})
        assert r.status_code in (201, 409), r.text
        p = xnat.select.project("PyxAccess")
        p.create()
        try:
            p.add_user(login, "member")
            assert login in p.members()
            assert "admin" in p.owners()
            p.set_accessibility("protected")
            assert p.accessibility() == b"protected"
            member = pyxnat.Interface(server=env.httpd.base_url, user=login,
                                      password="Pyx-pw-123")
            assert member.select.project("PyxAccess").exists()
            p.remove_user(login)
            assert login not in p.users()
        finally:
            p.delete()
