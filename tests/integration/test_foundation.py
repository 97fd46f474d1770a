"""Foundation: the server starts and answers, refuses bad configuration and unknown
schemas, survives a PostgreSQL restart, and arcactl migrates idempotently."""

import re
import subprocess
import threading
import xml.etree.ElementTree as ET

import pytest
import requests


class TestFirstEndpoints:
    def test_data_version_is_gone_as_in_current_xnat(self, env):
        assert env.get("/data/version").status_code == 404

    def test_build_info_is_a_map_of_strings(self, env):
        r = env.get("/xapi/siteConfig/buildInfo")
        assert r.status_code == 200
        info = r.json()
        assert info["version"].startswith("1.8")
        assert all(isinstance(v, str) for v in info.values())

    def test_empty_project_list_as_json(self, env):
        r = env.get("/data/projects?format=json")
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json() == {"ResultSet": {"Result": [], "totalRecords": "0",
                                          "title": "Projects"}}

    def test_project_list_in_other_formats(self, env):
        csv = env.get("/data/projects?format=csv")
        assert csv.status_code == 200
        assert csv.text.splitlines()[0].split(",")[0] == "ID"
        xml = env.get("/data/projects?format=xml")
        root = ET.fromstring(xml.content)
        assert root.get("totalRecords") == "0"
        html = env.get("/data/projects")
        assert html.headers["Content-Type"].startswith("text/html")
        assert "<table>" in html.text

    def test_rest_alias_and_archive_prefix(self, env):
        for path in ("/REST/projects?format=json", "/data/archive/projects?format=json"):
            assert env.get(path).json()["ResultSet"]["totalRecords"] == "0"

    def test_listing_shows_rows_from_the_database(self, env):
        env.sql("INSERT INTO arca_project (id, name) VALUES ('ToyPhantom', 'Toy phantom')")
        try:
            rows = env.get("/data/projects?format=json").json()["ResultSet"]["Result"]
            assert [(p["ID"], p["name"], p["URI"]) for p in rows] == \
                [("ToyPhantom", "Toy phantom", "/data/projects/ToyPhantom")]
        finally:
            env.sql("DELETE FROM arca_project WHERE id = 'ToyPhantom'")

    def test_unknown_format_is_400_with_reason(self, env):
        r = env.get("/data/projects?format=yaml")
        assert r.status_code == 400
        assert "yaml" in r.text

    def test_unknown_path_is_404(self, env):
        r = env.get("/data/no/such/thing")
        assert r.status_code == 404
        assert "Not Found" in r.text

    def test_path_traversal_is_refused(self, env):
        r = env.get("/data/projects/%2e%2e/etc")
        assert r.status_code == 400
        assert "'..'" in r.text

    def test_wrong_method_is_405_with_allow(self, env):
        r = requests.delete(env.url("/data/projects"), auth=(env.ADMIN, env.ADMIN_PASSWORD))
        assert r.status_code == 405
        assert r.headers["Allow"] == "GET"

    def test_errors_in_json_when_json_was_asked(self, env):
        r = env.get("/data/nothing?format=json")
        assert r.status_code == 404
        assert r.json()["error"]["status"] == 404


class TestAuthentication:
    def test_no_credentials_is_401(self, env):
        r = requests.get(env.url("/data/projects?format=json"))
        assert r.status_code == 401
        assert "Basic" in r.headers["WWW-Authenticate"]

    def test_wrong_password_is_401(self, env):
        r = env.get("/data/projects", auth=(env.ADMIN, "wrong"))
        assert r.status_code == 401

    def test_unknown_user_is_401(self, env):
        r = env.get("/data/projects", auth=("nobody-here", "x"))
        assert r.status_code == 401

    def test_auth_names_the_arca_account(self, env):
        r = env.get("/data/auth")
        assert r.status_code == 200
        assert re.match(r"User '(.+)' is logged in", r.text).group(1) == "admin"

    def test_user_authenticated_elsewhere_maps_to_account(self, env):
        """REMOTE_USER set by another httpd authn module (here mod_authn_file) maps to
        the Arca account of that name; a login Arca has not seen gets an account
        (ArcaAutoEnable, on by default) marked as external."""
        pwfile = f"{env.tmp}/htpasswd"
        for user in ("admin", "stranger"):
            subprocess.run(["htpasswd", "-b", "-B"] + (["-c"] if user == "admin" else [])
                           + [pwfile, user, "filepw"], check=True, capture_output=True)
        env.httpd.write_snippet("authn-file", f"""
LoadModule authn_file_module {env.httpd_moduledir}/mod_authn_file.so
<Location /data/auth>
    AuthName "file"
    AuthBasicProvider file
    AuthUserFile {pwfile}
</Location>
""")
        env.httpd.restart()
        try:
            r = env.get("/data/auth", auth=("admin", "filepw"))
            assert r.status_code == 200
            assert r.text.startswith("User 'admin' is logged in")
            r = env.get("/data/auth", auth=("stranger", "filepw"))
            assert r.status_code == 200
            assert env.sql("SELECT auth_source, password_hash IS NULL FROM arca_account "
                           "WHERE login = 'stranger'") == [["external", "t"]]
        finally:
            env.httpd.remove_snippet("authn-file")
            env.httpd.restart()


class TestStaticPages:
    def test_front_page_is_served_without_login(self, env):
        r = requests.get(env.url("/"))
        assert r.status_code == 200
        assert "Arca" in r.text
