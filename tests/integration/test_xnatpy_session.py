"""xnatpy's session, as the client sends it: a form login (PUT /data/services/auth), then
the JSESSIONID cookie alone on every request, with xnatpy's User-Agent and no browser
headers. Its writes pass; a browser's cross-site writes with the same cookie do not. Also
the site's user list (/data/users), the version clients read (/data/version is gone as in
XNAT 1.7+, /xapi/siteConfig/buildInfo), and quickstart's DICOM receiver."""

import os
import shutil
import subprocess
import time
import uuid

import pytest
import requests

from arca_env import IS_ROOT, RUN_USER, TOP, free_port
from test_access import PASSWORD, as_user, make_user

XNATPY_UA = "xnatpy/0.5.2 (Linux/6.1.0; python/3.11.2; requests/2.28.1)"
BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
EVIL = {"User-Agent": BROWSER_UA, "Origin": "https://evil.example",
        "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


def xnatpy_login(env, login):
    """What xnatpy's connect does: the form login, then the cookie it set, nothing else."""
    s = requests.Session()
    s.headers["User-Agent"] = XNATPY_UA
    r = s.put(env.url("/data/services/auth"), data={"username": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert s.cookies.get("JSESSIONID") == r.text
    assert s.auth is None
    return s


def csrf_token(s, env):
    return s.get(env.url("/data/JSESSION?CSRF=true")).text.split("; XNAT_CSRF=")[1]


@pytest.fixture(scope="module")
def owner(env):
    tag = uuid.uuid4().hex[:6]
    login = make_user(env, f"xpy_{tag}")
    assert env.session().put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
    return login


@pytest.fixture
def project(env, owner):
    p = f"Xpy{uuid.uuid4().hex[:6]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    assert env.session().put(env.url(f"/data/projects/{p}/users/Owners/{owner}")).ok
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def exists(env, path):
    return env.get(path + "?format=json").status_code == 200


class TestScriptedSession:
    def test_xnatpy_creates_project_subject_experiment_with_only_the_cookie(self, env, owner):
        s = xnatpy_login(env, owner)
        p = f"Xpy{uuid.uuid4().hex[:6]}"
        try:
            assert s.put(env.url(f"/data/archive/projects/{p}")).status_code in (200, 201)
            r = s.put(env.url(f"/data/projects/{p}/subjects/Sub1"),
                      params={"xsiType": "xnat:subjectData", "req_format": "qs",
                              "label": "Sub1"})
            assert r.status_code in (200, 201), r.text
            r = s.put(env.url(f"/data/projects/{p}/subjects/Sub1/experiments/Ses1"),
                      params={"xsiType": "xnat:mrSessionData", "req_format": "qs",
                              "label": "Ses1"})
            assert r.status_code in (200, 201), r.text
            assert exists(env, f"/data/projects/{p}/subjects/Sub1/experiments/Ses1")
            r = s.delete(env.url(f"/data/projects/{p}/subjects/Sub1/experiments/Ses1"))
            assert r.ok, r.text
            assert not exists(env, f"/data/projects/{p}/subjects/Sub1/experiments/Ses1")
            # xnatpy's disconnect
            assert s.delete(env.url("/data/JSESSION"), headers={"Connection": "close"}).ok
        finally:
            env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))

    def test_session_cookie_is_httponly_and_samesite_not_secure_over_http(self, env, owner):
        r = requests.put(env.url("/data/services/auth"),
                         data={"username": owner, "password": PASSWORD},
                         headers={"User-Agent": XNATPY_UA})
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie


class TestBrowserCsrf:
    @pytest.mark.parametrize("method,path,status_after", [
        ("PUT", "/subjects/Forged", 404),
        ("POST", "/subjects/Forged", 404),
        ("DELETE", "/subjects/Kept", 200),
    ])
    def test_cross_site_write_with_the_cookie_is_refused(self, env, owner, project, method,
                                                         path, status_after):
        assert env.session().put(env.url(f"/data/projects/{project}/subjects/Kept")).ok
        s = xnatpy_login(env, owner)
        url = env.url(f"/data/projects/{project}{path}")
        r = s.request(method, url, headers=EVIL)
        assert r.status_code == 403 and "another site" in r.text
        # with the token too: a page elsewhere never speaks for this site's user
        r = s.request(method, url, headers=EVIL, params={"XNAT_CSRF": csrf_token(s, env)})
        assert r.status_code == 403
        r = s.request(method, url, headers={"User-Agent": BROWSER_UA,
                                            "Origin": "https://evil.example"})
        assert r.status_code == 403
        assert env.get(f"/data/projects/{project}{path}?format=json").status_code \
            == status_after

    def test_same_site_is_another_site(self, env, owner, project):
        s = xnatpy_login(env, owner)
        r = s.put(env.url(f"/data/projects/{project}/subjects/Sibling"),
                  headers={"User-Agent": BROWSER_UA, "Sec-Fetch-Site": "same-site"})
        assert r.status_code == 403

    def test_same_origin_page_passes_with_token_or_fetch_metadata(self, env, owner, project):
        s = xnatpy_login(env, owner)
        origin = env.url("")
        page = {"User-Agent": BROWSER_UA, "Origin": origin}
        url = env.url(f"/data/projects/{project}/subjects/")
        # a browser without fetch metadata: the token decides
        assert s.put(url + "Old", headers=page).status_code == 403
        assert not exists(env, f"/data/projects/{project}/subjects/Old")
        r = s.put(url + "Old", headers=dict(page, **{"X-XNAT-CSRF": csrf_token(s, env)}))
        assert r.status_code == 201, r.text
        # a current browser saying the page is this site's own
        r = s.put(url + "New", headers=dict(page, **{"Sec-Fetch-Site": "same-origin",
                                                     "Sec-Fetch-Mode": "cors"}))
        assert r.status_code == 201, r.text

    def test_basic_auth_needs_no_token_but_not_from_another_site(self, env, owner, project):
        """A browser that cached a Basic login sends it across sites as it does a cookie."""
        url = env.url(f"/data/projects/{project}/subjects/Basic")
        assert as_user(env, owner).put(url, headers=EVIL).status_code == 403
        assert not exists(env, f"/data/projects/{project}/subjects/Basic")
        assert as_user(env, owner).put(url, headers={"User-Agent": XNATPY_UA}).status_code \
            == 201


class TestUserList:
    def test_pyxnat_and_xnatpy_read_the_user_list(self, env, owner):
        tag = uuid.uuid4().hex[:6]
        plain = make_user(env, f"plain_{tag}")
        gone = make_user(env, f"gone_{tag}")
        assert env.session().put(env.url(f"/xapi/users/{gone}/enabled/false")).ok
        # xnatpy: session.users -> GET /data/users?format=json, keyed by login
        r = xnatpy_login(env, plain).get(env.url("/data/users?format=json"))
        assert r.status_code == 200, r.text
        rows = {u["login"]: u for u in r.json()["ResultSet"]["Result"]}
        assert rows[plain]["firstname"] == plain.title()
        assert rows[plain]["lastname"] == "Tester"
        assert rows[plain]["email"] == f"{plain}@example.org"
        assert rows[plain]["xdat_user_id"].isdigit()
        assert env.ADMIN in rows and gone not in rows
        # pyxnat: manage.users() -> GET /data/users?format=csv
        r = as_user(env, plain).get(env.url("/data/users?format=csv"))
        header = r.text.splitlines()[0].split(",")
        assert header == ["xdat_user_id", "login", "firstname", "lastname", "email"]
        assert not any(k in r.text for k in ("password", "Administrator"))

    def test_one_user(self, env, owner):
        r = as_user(env, owner).get(env.url(f"/data/users/{env.ADMIN}?format=json"))
        assert r.status_code == 200
        assert [u["login"] for u in r.json()["ResultSet"]["Result"]] == [env.ADMIN]
        assert as_user(env, owner).get(env.url("/data/users/nobody_here")).status_code == 404

    def test_anonymous_may_not(self, env):
        assert requests.get(env.url("/data/users?format=json")).status_code == 401


class TestVersion:
    def test_data_version_is_gone_so_clients_ask_build_info(self, env):
        r = env.get("/data/version")
        # pyxnat's version() falls back to buildInfo on an error whose text does not say
        # "Not Found" (those words raise OperationalError instead); xnatpy on any error
        assert r.status_code == 404
        assert "Not Found" not in r.text and not r.text.startswith(("<!DOCTYPE", "<html>"))
        info = env.get("/xapi/siteConfig/buildInfo").json()
        assert info["version"].startswith("1.8")
        assert {"buildNumber", "commit"} <= info.keys()

    def test_pyxnat_version_reads_build_info(self, xnat):
        v = xnat.version()
        assert isinstance(v, dict) and v["version"].startswith("1.8")

    def test_build_info_property_as_text(self, env):
        r = env.get("/xapi/siteConfig/buildInfo/version")
        assert r.status_code == 200 and r.text.startswith("1.8")
        assert env.get("/xapi/siteConfig/buildInfo/nothing").status_code == 404


def quickstart_conf(out, root, port, dicom_port, database, htdocs):
    """tools/quickstart's configuration, written by the same shell functions."""
    directives = f"User {RUN_USER}\nGroup {RUN_USER}" if IS_ROOT else ""
    env = dict(os.environ, top=TOP)
    if dicom_port is None:
        env.pop("ARCA_DICOM_PORT", None)
    else:
        env["ARCA_DICOM_PORT"] = dicom_port
    script = ('. "$top/tools/lib/prepare.sh"; . "$top/tools/lib/httpd_conf.sh"; '
              'p=$(dicom_port_setting) || exit 1; '
              'write_httpd_conf "$1" "$2" "$3" "$p" "$4" "$5" "$6"')
    return subprocess.run(["bash", "-c", script, "quickstart", out, root, str(port),
                           database, htdocs, directives], env=env, capture_output=True,
                          text=True)


def receivers(conf):
    return [line for line in conf.splitlines() if line.startswith("ArcaDicomReceiver")]


class TestQuickstartReceiver:
    def test_default_is_xnat_port_and_empty_is_none(self, env, tmp_path):
        out = str(tmp_path / "httpd.conf")
        assert quickstart_conf(out, str(tmp_path), 8080, None, "db", "h").returncode == 0
        lines = open(out).read().splitlines()
        assert "ArcaDicomReceiver ARCA 127.0.0.1:8104 user=admin" in lines
        assert quickstart_conf(out, str(tmp_path), 8080, "", "db", "h").returncode == 0
        assert not receivers(open(out).read())
        r = quickstart_conf(out, str(tmp_path), 8080, "x1", "db", "h")
        assert r.returncode != 0 and "ARCA_DICOM_PORT" in r.stderr

    def test_tests_servers_start_no_receiver(self, env):
        assert not receivers(open(env.httpd.conf).read())

    @pytest.mark.skipif(not shutil.which("echoscu"), reason="dcmtk's echoscu is missing")
    def test_generated_config_answers_echo(self, env):
        srv = env.new_server("quickstart")
        dport = free_port()
        r = quickstart_conf(srv.conf, srv.root, srv.port, str(dport), env.database,
                            srv.htdocs)
        assert r.returncode == 0, r.stderr
        srv.start()
        try:
            for _ in range(50):  # the listener binds just after httpd starts
                echo = subprocess.run(["echoscu", "-aec", "ARCA", "127.0.0.1", str(dport)],
                                      capture_output=True, text=True, timeout=30)
                if echo.returncode == 0:
                    break
                time.sleep(0.2)
            assert echo.returncode == 0, echo.stderr
        finally:
            srv.stop()
