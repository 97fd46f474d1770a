"""XNAT's configuration service and anonymisation script settings: versions, status,
access, and scripts checked when stored."""

import uuid

import pytest
import requests

GOOD_SCRIPT = 'version "6.1"\n(0010,0010) := subject\n-(0010,1040)\n'


@pytest.fixture
def project(env):
    p = f"Cfg{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}"))


class TestConfigService:
    def test_versions_contents_and_history(self, env):
        s = env.session()
        path = f"/data/config/arca-test/{uuid.uuid4().hex[:6]}/doc"
        assert s.get(env.url(path + "?contents=true")).status_code == 404
        assert s.put(env.url(path + "?inbody=true&reason=first"), data="one").ok
        assert s.put(env.url(path + "?inbody=true"), data="two").ok
        assert s.get(env.url(path + "?contents=true")).text == "two"
        rows = s.get(env.url(path + "?format=json")).json()["ResultSet"]["Result"]
        assert [(r["version"], r["contents"], r["user"]) for r in rows] == \
            [("2", "two", "admin")]
        hist = s.get(env.url(path + "?format=json&action=getHistory")).json()
        assert [r["contents"] for r in hist["ResultSet"]["Result"]] == ["two", "one"]
        assert s.put(env.url(path + "?status=disabled")).ok
        assert s.get(env.url(path + "?contents=true")).status_code == 404

    def test_tenth_version_is_current(self, env):
        # versions are numbers: 10 comes after 9
        s = env.session()
        path = f"/data/config/arca-test/{uuid.uuid4().hex[:6]}/doc"
        for i in range(1, 11):
            assert s.put(env.url(path + "?inbody=true"), data=f"v{i}").ok
        rows = s.get(env.url(path + "?format=json")).json()["ResultSet"]["Result"]
        assert [(r["version"], r["contents"]) for r in rows] == [("10", "v10")]
        hist = s.get(env.url(path + "?format=json&action=getHistory")).json()
        assert [r["version"] for r in hist["ResultSet"]["Result"]] == \
            [str(i) for i in range(10, 0, -1)]

    def test_site_config_is_for_admins(self, env):
        r = env.session().post(env.url("/xapi/users"), json={"username": f"cfg_{uuid.uuid4().hex[:6]}",
                                                           "password": "Cfg-pw-1"})
        login = r.json()["username"]
        s = env.session(auth=(login, "Cfg-pw-1"))
        assert s.get(env.url("/data/config/anon/script?format=json")).status_code == 403
        assert s.put(env.url("/data/config/anon/script"), data=GOOD_SCRIPT).status_code == 403

    def test_bad_names_and_bodies(self, env):
        s = env.session()
        assert s.put(env.url("/data/config/anon/script?status=maybe")).status_code == 400
        assert s.put(env.url("/data/config/bad%20tool/x"), data="x").status_code == 400
        assert s.put(env.url("/data/config/t/x"), data=b"a\x00b").status_code == 400
        assert s.put(env.url("/data/config/t/x"), data=b"x" * (1024 * 1024 + 1)).status_code \
            == 413


class TestAnonymisationScripts:
    def test_default_site_script(self, env):
        s = env.session()
        default = s.get(env.url("/xapi/anonymize/default")).text
        assert default.startswith("//") and 'version "6.1"' in default

    def test_invalid_script_is_refused_with_line_and_stored_nowhere(self, env, project):
        s = env.session()
        bad = 'version "6.1"\n(0010,0010) := subject\n(0010,0020) := frobnicate[1]\n'
        r = s.put(env.url(f"/xapi/anonymize/projects/{project}"), data=bad)
        assert r.status_code == 400 and "line 3" in r.text
        assert env.sql(f"SELECT count(*) FROM arca_config WHERE project = '{project}'") == \
            [["0"]]
        r = s.put(env.url(f"/data/projects/{project}/config/anon/projects/{project}"),
                  data="(0010,0010) := \"x\"\n")  # no version line: DicomEdit 4
        assert r.status_code == 400

    def test_project_script_and_enabled(self, env, project):
        s = env.session()
        assert s.get(env.url(f"/xapi/anonymize/projects/{project}")).status_code == 404
        assert s.get(env.url(f"/xapi/anonymize/projects/{project}/enabled")).json() is False
        assert s.put(env.url(f"/xapi/anonymize/projects/{project}"), data=GOOD_SCRIPT).ok
        assert s.get(env.url(f"/xapi/anonymize/projects/{project}")).text == GOOD_SCRIPT
        assert s.get(env.url(f"/xapi/anonymize/projects/{project}/enabled")).json() is True
        # the same document through XNAT's config path
        assert s.get(env.url(f"/data/projects/{project}/config/anon/projects/{project}"
                             "?contents=true")).text == GOOD_SCRIPT
        assert s.put(env.url(f"/xapi/anonymize/projects/{project}/enabled/false")).ok
        assert s.get(env.url(f"/xapi/anonymize/projects/{project}/enabled")).json() is False

    def test_site_script_and_enabled(self, env):
        s = env.session()
        assert s.put(env.url("/xapi/anonymize/site"), data=GOOD_SCRIPT).ok
        assert s.get(env.url("/xapi/anonymize/site")).text == GOOD_SCRIPT
        assert s.put(env.url("/xapi/anonymize/site/enabled/false")).ok
        assert s.get(env.url("/xapi/anonymize/site/enabled")).json() is False
        assert s.put(env.url("/xapi/anonymize/site/enabled/true")).ok
        assert s.get(env.url("/data/config/anon/script?contents=true")).text == GOOD_SCRIPT

    def test_project_owner_writes_member_reads(self, env, project):
        admin = env.session()
        login = f"cfgm_{uuid.uuid4().hex[:6]}"
        admin.post(env.url("/xapi/users"), json={"username": login, "password": "Cfg-pw-1"})
        admin.put(env.url(f"/data/projects/{project}/users/Members/{login}"))
        admin.put(env.url(f"/xapi/anonymize/projects/{project}"), data=GOOD_SCRIPT)
        m = env.session(auth=(login, "Cfg-pw-1"))
        assert m.get(env.url(f"/xapi/anonymize/projects/{project}")).text == GOOD_SCRIPT
        assert m.put(env.url(f"/xapi/anonymize/projects/{project}"),
                     data=GOOD_SCRIPT).status_code == 403
