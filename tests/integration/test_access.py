"""Accounts and access: project roles x accessibility x action, the users admin API,
alias tokens, server-side sessions with CSRF, lock-out, audit. Real httpd, real
PostgreSQL; every user is a real account logging in over Basic auth."""

import re
import uuid

import pytest
import requests

PASSWORD = "Pw-for-tests-1"


def make_user(env, login, **flags):
    """An account through the admin API (itself under test)."""
    body = {"username": login, "password": PASSWORD, "firstName": login.title(),
            "lastName": "Tester", "email": f"{login}@example.org"}
    body.update(flags)
    r = env.session().post(env.url("/xapi/users"), json=body)
    assert r.status_code == 201, r.text
    return login


def as_user(env, login):
    return env.session(auth=(login, PASSWORD))


@pytest.fixture(scope="module")
def world(env):
    """A project of each accessibility with one subject and session in each, and users
    in each role of the private project."""
    tag = uuid.uuid4().hex[:6]
    admin = env.session()
    users = {role: make_user(env, f"{role}_{tag}") for role in
             ("owner", "member", "collab", "outsider", "reader", "editor")}
    admin.put(env.url(f"/xapi/users/{users['reader']}/groups/ALL_DATA_ACCESS"))
    admin.put(env.url(f"/xapi/users/{users['editor']}/groups/ALL_DATA_ADMIN"))
    projects = {}
    for access in ("private", "protected", "public"):
        p = f"Acc{access.title()}{tag}"
        assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
        assert admin.put(env.url(f"/data/projects/{p}/accessibility/{access}")).ok
        admin.put(env.url(f"/data/projects/{p}/subjects/S1"))
        admin.put(env.url(f"/data/projects/{p}/subjects/S1/experiments/E1"
                          "?xsiType=xnat:ctSessionData"))
        projects[access] = p
    priv = projects["private"]
    for role, group in (("owner", "Owners"), ("member", "Members"),
                        ("collab", "Collaborators")):
        r = admin.put(env.url(f"/data/projects/{priv}/users/{group}/{users[role]}"))
        assert r.status_code == 200, r.text
    yield {"users": users, "projects": projects, "tag": tag}
    for p in projects.values():
        admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


# role -> what it may do in the private project it is a member of
RIGHTS = {
    "owner": {"read": True, "edit": True, "delete": True, "manage": True},
    "member": {"read": True, "edit": True, "delete": False, "manage": False},
    "collab": {"read": True, "edit": False, "delete": False, "manage": False},
    "outsider": {"read": False, "edit": False, "delete": False, "manage": False},
    "reader": {"read": True, "edit": False, "delete": False, "manage": False},
    "editor": {"read": True, "edit": True, "delete": True, "manage": False},
}


class TestProjectRoles:
    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_read(self, env, world, role):
        s, p = as_user(env, world["users"][role]), world["projects"]["private"]
        r = s.get(env.url(f"/data/projects/{p}/subjects/S1?format=json"))
        if RIGHTS[role]["read"]:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 404  # a private project is not known to outsiders
            assert "<html" not in r.text.lower()

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_listing_matches_get(self, env, world, role):
        """A list never shows what a GET refuses."""
        s, p = as_user(env, world["users"][role]), world["projects"]["private"]
        listed = [row["ID"] for row in
                  s.get(env.url("/data/projects?format=json")).json()["ResultSet"]["Result"]]
        assert (p in listed) == RIGHTS[role]["read"]
        subjects = s.get(env.url("/data/subjects?format=json&columns=ID,project")).json()
        in_private = [row for row in subjects["ResultSet"]["Result"] if row["project"] == p]
        assert bool(in_private) == RIGHTS[role]["read"]
        for row in in_private:
            assert s.get(env.url(row["URI"] + "?format=json")).status_code == 200

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_search_matches_get(self, env, world, role):
        """A search (subjects and sessions) never returns rows of a project the role may
        not read, whatever its criteria."""
        s, p = as_user(env, world["users"][role]), world["projects"]["private"]
        for root, label in (("xnat:subjectData", "SUBJECT_LABEL"),
                            ("xnat:ctSessionData", "LABEL")):
            q = {"root": root, "columns": [f"{root}/{label}", f"{root}/PROJECT"],
                 "where": {"or": [{"field": f"{root}/PROJECT", "value": p},
                                  {"field": f"{root}/{label}", "op": "LIKE", "value": "%"}]}}
            r = s.post(env.url("/data/search?format=json"), json=q)
            assert r.status_code == 200, r.text
            projects = {row["project"] for row in r.json()["ResultSet"]["Result"]}
            assert (p in projects) == RIGHTS[role]["read"], root

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_edit(self, env, world, role):
        s, p = as_user(env, world["users"][role]), world["projects"]["private"]
        r = s.put(env.url(f"/data/projects/{p}/subjects/S_{role}?gender=other"))
        expected = 201 if RIGHTS[role]["edit"] else (404 if not RIGHTS[role]["read"] else 403)
        assert r.status_code == expected, r.text
        exists = env.sql(f"SELECT count(*) FROM arca_subject_label WHERE project = '{p}' "
                         f"AND label = 'S_{role}'")
        assert exists == [["1" if RIGHTS[role]["edit"] else "0"]]

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_delete(self, env, world, role):
        admin, p = env.session(), world["projects"]["private"]
        admin.put(env.url(f"/data/projects/{p}/subjects/D_{role}"))
        r = as_user(env, world["users"][role]).delete(
            env.url(f"/data/projects/{p}/subjects/D_{role}"))
        if RIGHTS[role]["delete"]:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code in (403, 404), r.text
            assert admin.get(env.url(f"/data/projects/{p}/subjects/D_{role}")).ok

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_manage_users(self, env, world, role):
        s, p = as_user(env, world["users"][role]), world["projects"]["private"]
        other = world["users"]["outsider"]
        r = s.put(env.url(f"/data/projects/{p}/users/Collaborators/{other}"))
        if RIGHTS[role]["manage"]:
            assert r.status_code == 200, r.text
            assert s.delete(env.url(f"/data/projects/{p}/users/Collaborators/{other}")).ok
        else:
            assert r.status_code in (403, 404)

    def test_files_follow_the_project(self, env, world):
        p = world["projects"]["private"]
        url = env.url(f"/data/projects/{p}/subjects/S1/experiments/E1/resources/R/files/a.txt")
        assert as_user(env, world["users"]["member"]).put(url, data=b"x").status_code == 200
        assert as_user(env, world["users"]["collab"]).get(url).content == b"x"
        assert as_user(env, world["users"]["collab"]).put(
            url + "?overwrite=true", data=b"y").status_code == 403
        assert as_user(env, world["users"]["outsider"]).get(url).status_code == 404


class TestAccessibility:
    def test_public_data_readable_by_every_user(self, env, world):
        s, p = as_user(env, world["users"]["outsider"]), world["projects"]["public"]
        assert s.get(env.url(f"/data/projects/{p}/subjects?format=json")).status_code == 200
        assert s.put(env.url(f"/data/projects/{p}/subjects/Nope")).status_code == 403

    def test_protected_listed_but_data_hidden(self, env, world):
        s, p = as_user(env, world["users"]["outsider"]), world["projects"]["protected"]
        listed = [row["ID"] for row in
                  s.get(env.url("/data/projects?format=json")).json()["ResultSet"]["Result"]]
        assert p in listed
        assert s.get(env.url(f"/data/projects/{p}?format=json")).status_code == 200
        assert s.get(env.url(f"/data/projects/{p}/subjects?format=json")).status_code == 403
        assert s.get(env.url(f"/data/projects/{p}/accessibility")).text == "protected"

    def test_direct_paths_follow_the_same_rules(self, env, world):
        s = as_user(env, world["users"]["outsider"])
        for access, expect in (("private", 404), ("protected", 404), ("public", 200)):
            sid = env.sql(f"SELECT subject_id FROM arca_subject_label WHERE project = "
                          f"'{world['projects'][access]}' AND label = 'S1'")[0][0]
            assert s.get(env.url(f"/data/subjects/{sid}?format=json")).status_code == expect

    def test_shared_subject_readable_through_the_share(self, env, world):
        admin, tag = env.session(), world["tag"]
        p, pub = world["projects"]["private"], world["projects"]["public"]
        assert admin.put(env.url(f"/data/projects/{p}/subjects/S1/projects/{pub}"
                                 "?label=SharedS1")).ok
        s = as_user(env, world["users"]["outsider"])
        assert s.get(env.url(f"/data/projects/{pub}/subjects/SharedS1?format=json")).ok
        # ...but it is changed only through its own project
        r = s.put(env.url(f"/data/projects/{pub}/subjects/SharedS1?gender=male"))
        assert r.status_code in (403, 404)
        admin.delete(env.url(f"/data/projects/{pub}/subjects/SharedS1"))

    def test_only_owners_change_accessibility(self, env, world):
        p = world["projects"]["private"]
        r = as_user(env, world["users"]["member"]).put(
            env.url(f"/data/projects/{p}/accessibility/public"))
        assert r.status_code == 403
        assert env.sql(f"SELECT accessibility FROM arca_project WHERE id = '{p}'") == \
            [["private"]]
        r = env.session().put(env.url(f"/data/projects/{p}/accessibility/secret"))
        assert r.status_code == 400

    def test_creator_owns_a_new_project(self, env, world):
        login = world["users"]["outsider"]
        s = as_user(env, login)
        p = f"Mine{world['tag']}"
        assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
        users = s.get(env.url(f"/data/projects/{p}/users?format=json")).json()
        assert [(u["login"], u["displayname"]) for u in users["ResultSet"]["Result"]] == \
            [(login, "Owners")]
        assert s.delete(env.url(f"/data/projects/{p}?removeFiles=true")).status_code == 200

    def test_last_owner_cannot_leave(self, env, world):
        login, p = world["users"]["outsider"], f"Solo{world['tag']}"
        assert as_user(env, login).put(env.url(f"/data/projects/{p}")).status_code == 201
        r = env.session().delete(env.url(f"/data/projects/{p}/users/Owners/{login}"))
        assert r.status_code == 409
        assert env.sql(f"SELECT count(*) FROM arca_project_member WHERE project = '{p}'") == \
            [["1"]]
        env.session().delete(env.url(f"/data/projects/{p}"))


class TestUsersAdmin:
    def test_only_admins_manage_users(self, env, world):
        s = as_user(env, world["users"]["member"])
        assert s.get(env.url("/xapi/users")).status_code == 403
        assert s.post(env.url("/xapi/users"), json={"username": "x"}).status_code == 403
        me = s.get(env.url("/xapi/users/current")).json()
        assert me["username"] == world["users"]["member"]

    def test_create_disable_enable(self, env, world):
        admin, login = env.session(), f"temp_{world['tag']}"
        make_user(env, login)
        assert login in admin.get(env.url("/xapi/users")).json()
        assert as_user(env, login).get(env.url("/data/auth")).ok
        assert admin.put(env.url(f"/xapi/users/{login}/enabled/false")).ok
        assert admin.get(env.url(f"/xapi/users/{login}/enabled")).json() is False
        r = as_user(env, login).get(env.url("/data/projects?format=json"))
        assert r.status_code == 403 and "enabled" in r.text
        assert admin.put(env.url(f"/xapi/users/{login}/enabled/true")).ok
        assert as_user(env, login).get(env.url("/data/projects?format=json")).ok

    def test_roles(self, env, world):
        admin, login = env.session(), world["users"]["collab"]
        assert admin.put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        assert admin.get(env.url(f"/xapi/users/{login}/roles")).json() == ["Administrator"]
        assert as_user(env, login).get(env.url("/xapi/users")).ok
        assert admin.delete(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        assert as_user(env, login).get(env.url("/xapi/users")).status_code == 403
        assert admin.put(env.url(f"/xapi/users/{login}/roles/Wizard")).status_code == 400

    def test_bad_input(self, env):
        admin = env.session()
        assert admin.post(env.url("/xapi/users"), data="{not json",
                          headers={"Content-Type": "application/json"}).status_code == 400
        assert admin.post(env.url("/xapi/users"), json={"username": "bad:name"}).status_code \
            == 400
        assert admin.post(env.url("/xapi/users"), json={"username": "admin"}).status_code \
            == 409
        assert admin.get(env.url("/xapi/users/nobody-at-all")).status_code == 404


class TestTokens:
    def test_issue_use_validate_invalidate(self, env, world):
        login = world["users"]["member"]
        s = as_user(env, login)
        t = s.get(env.url("/data/services/tokens/issue")).json()
        assert re.fullmatch(r"[0-9a-f-]{36}", t["alias"]) and len(t["secret"]) >= 40
        assert t["estimatedExpirationTime"] > 0
        # the token works as Basic credentials, as the user it belongs to
        r = requests.get(env.url("/data/auth"), auth=(t["alias"], t["secret"]))
        assert r.text == f"User '{login}' is logged in"
        v = s.get(env.url(f"/data/services/tokens/validate/{t['alias']}/{t['secret']}"))
        assert v.json() == {"valid": login}
        assert requests.get(env.url("/data/auth"),
                            auth=(t["alias"], "wrong-secret")).status_code == 401
        assert s.get(env.url(f"/data/services/tokens/invalidate/{t['alias']}")).json() == \
            {"result": "OK"}
        assert requests.get(env.url("/data/auth"),
                            auth=(t["alias"], t["secret"])).status_code == 401

    def test_secret_is_stored_hashed(self, env, world):
        t = as_user(env, world["users"]["member"]).get(
            env.url("/data/services/tokens/issue")).json()
        stored = env.sql(f"SELECT secret_hash FROM arca_token WHERE alias = '{t['alias']}'")
        assert stored and stored[0][0] != t["secret"] and len(stored[0][0]) == 64

    def test_expired_token_is_refused(self, env, world):
        t = as_user(env, world["users"]["member"]).get(
            env.url("/data/services/tokens/issue")).json()
        env.sql(f"UPDATE arca_token SET expires_at = now() - interval '1 second' "
                f"WHERE alias = '{t['alias']}'")
        assert requests.get(env.url("/data/auth"),
                            auth=(t["alias"], t["secret"])).status_code == 401

    def test_only_admins_issue_for_others(self, env, world):
        member, other = world["users"]["member"], world["users"]["collab"]
        assert as_user(env, member).get(
            env.url(f"/data/services/tokens/issue/user/{other}")).status_code == 403
        t = env.session().get(env.url(f"/data/services/tokens/issue/user/{other}")).json()
        assert requests.get(env.url("/data/auth"), auth=(t["alias"], t["secret"])).text == \
            f"User '{other}' is logged in"


class TestSessions:
    def test_cookie_session_and_logout(self, env, world):
        login = world["users"]["member"]
        r = as_user(env, login).get(env.url("/data/JSESSION"))
        sid = r.text
        assert r.cookies["JSESSIONID"] == sid
        s = requests.Session()  # no credentials: the cookie alone
        s.cookies.set("JSESSIONID", sid)
        assert s.get(env.url("/data/auth")).text == f"User '{login}' is logged in"
        assert s.get(env.url("/data/JSESSION")).text == sid
        assert s.delete(env.url("/data/JSESSION")).ok
        assert s.get(env.url("/data/auth")).status_code == 401
        stored = env.sql("SELECT count(*) FROM arca_session WHERE id_hash = encode("
                         f"sha256('{sid}'), 'hex')")
        assert stored == [["0"]]

    def test_browser_changes_with_a_cookie_need_the_csrf_token(self, env, world):
        """A browser page of this site without fetch metadata (an older browser): only
        the token tells it from a forged request. Scripts, which send no Origin or
        Sec-Fetch-*, are not asked for it (test_xnatpy_session.py)."""
        p = world["projects"]["private"]
        r = as_user(env, world["users"]["member"]).get(env.url("/data/JSESSION?CSRF=true"))
        sid, csrf = re.fullmatch(r"(\S+); XNAT_CSRF=(\S+)", r.text).groups()
        s = requests.Session()
        s.cookies.set("JSESSIONID", sid)
        s.headers["Origin"] = env.url("")
        url = env.url(f"/data/projects/{p}/subjects/CsrfSubject")
        r = s.put(url)
        assert r.status_code == 403 and "XNAT_CSRF" in r.text
        assert s.put(url + f"?XNAT_CSRF={csrf}").status_code == 201
        assert s.put(url + "?gender=male", headers={"X-XNAT-CSRF": csrf}).status_code == 200

    def test_form_login(self, env, world):
        login = world["users"]["collab"]
        r = requests.post(env.url("/data/services/auth"),
                          data={"username": login, "password": PASSWORD})
        assert r.status_code == 200 and r.cookies.get("JSESSIONID") == r.text
        r = requests.post(env.url("/data/services/auth"),
                          data={"username": login, "password": "wrong"})
        assert r.status_code == 401

    def test_idle_session_ends(self, env, world):
        r = as_user(env, world["users"]["member"]).get(env.url("/data/JSESSION"))
        s = requests.Session()
        s.cookies.set("JSESSIONID", r.text)
        env.sql("UPDATE arca_session SET last_seen = now() - interval '1 hour'")
        assert s.get(env.url("/data/auth")).status_code == 401


class TestThrottle:
    def test_failures_throttle_then_audit(self, env, world):
        login = f"locky_{world['tag']}"
        make_user(env, login)
        for _ in range(5):  # ArcaLoginThrottleAfter defaults to 5
            r = requests.get(env.url("/data/auth"), auth=(login, "nope"))
            assert r.status_code == 401
        wrong_body = r.text
        r = requests.get(env.url("/data/auth"), auth=(login, PASSWORD))
        assert r.status_code == 401 and r.text == wrong_body  # says nothing more
        audit = env.session().get(env.url(f"/xapi/audit?format=json&limit=50")).json()
        actions = [(row["action"], row["object"]) for row in audit["ResultSet"]["Result"]]
        assert ("login_throttled", login) in actions
        assert ("login_refused", login) in actions
        assert actions.count(("login_failed", login)) == 5
        # an admin setting a new password lets the address in again
        assert env.session().put(env.url(f"/xapi/users/{login}"),
                                 json={"password": "Another-pw-2"}).ok
        assert requests.get(env.url("/data/auth"), auth=(login, "Another-pw-2")).ok

    def test_audit_is_newest_first_across_a_digit(self, env, world):
        # ids 10^n - 1, 10^n, 10^n + 1: newest first by number, not by their text
        login = make_user(env, f"digits_{world['tag']}")
        top = int(env.sql("SELECT max(id) FROM arca_audit")[0][0])
        power = 10 ** len(str(top))
        env.sql(f"SELECT setval(pg_get_serial_sequence('arca_audit', 'id'), {power - 2})")
        for _ in range(3):
            assert requests.get(env.url("/data/auth"), auth=(login, "nope")).status_code == 401
        audit = env.session().get(env.url("/xapi/audit?format=json&action=login_failed"
                                          "&limit=3")).json()
        rows = audit["ResultSet"]["Result"]
        assert [r["object"] for r in rows] == [login] * 3
        ids = [int(r["id"]) for r in rows]
        assert ids == [power + 1, power, power - 1]

    def test_audit_is_for_admins(self, env, world):
        assert as_user(env, world["users"]["member"]).get(
            env.url("/xapi/audit")).status_code == 403


class TestRequireProviders:
    """Admins protect other locations with Arca's roles."""

    def test_site_admin_and_project_role(self, env, world):
        p = world["projects"]["private"]
        env.httpd.write_snippet("require", f"""
<Location /data/auth>
    Require arca-site-admin
</Location>
<Location /xapi/siteConfig/buildInfo>
    Require arca-project-role member {p}
</Location>
""")
        env.httpd.restart()
        try:
            assert env.get("/data/auth").status_code == 200
            member = as_user(env, world["users"]["member"])
            assert member.get(env.url("/data/auth")).status_code == 403
            assert member.get(env.url("/xapi/siteConfig/buildInfo")).status_code == 200
            owner = as_user(env, world["users"]["owner"])
            assert owner.get(env.url("/xapi/siteConfig/buildInfo")).status_code == 200
            collab = as_user(env, world["users"]["collab"])
            assert collab.get(env.url("/xapi/siteConfig/buildInfo")).status_code == 403
            assert requests.get(env.url("/data/auth")).status_code == 401
        finally:
            env.httpd.remove_snippet("require")
            env.httpd.restart()

    def test_bad_role_is_a_config_error(self, env):
        env.httpd.write_snippet("require-bad", "<Location /x>\n"
                                "    Require arca-project-role wizard P\n</Location>\n")
        try:
            rc, out = env.httpd.config_test()
            assert rc != 0 and "wizard" in out
        finally:
            env.httpd.remove_snippet("require-bad")


# Require arca-project-role <level> grants what the REST API lets one do in the project.
REQUIRE_LEVELS = {"collaborator": "read", "member": "edit", "owner": "manage"}


def require_grants(role, level, access):
    """Whether the world's `role` passes `Require arca-project-role level` on its project
    of `access`: the rights of RIGHTS in the private project (where the roles are), and
    elsewhere all-data access, or a public project's read access."""
    right = REQUIRE_LEVELS[level]
    if access == "private":
        return RIGHTS[role][right]
    if role == "reader":
        return right == "read"
    if role == "editor":
        return right != "manage"
    return access == "public" and right == "read"


@pytest.fixture(scope="class")
def require_locations(env, world):
    """Pages (not Arca's handlers, so the account gate does not run there) guarded by each
    provider; the project comes from the request (ARCA_PROJECT, set from a header)."""
    page = f"{env.httpd.htdocs}/index.html"
    levels = ("site-admin",) + tuple(REQUIRE_LEVELS)
    aliases = "".join(f'Alias /require/{level} "{page}"\n' for level in levels)
    requires = "".join(
        f"<Location /require/{level}>\n    Require "
        f"{'arca-site-admin' if level == 'site-admin' else 'arca-project-role ' + level}"
        "\n</Location>\n" for level in levels)
    env.httpd.write_snippet("require-matrix", f"""
LoadModule alias_module {env.httpd_moduledir}/mod_alias.so
LoadModule setenvif_module {env.httpd_moduledir}/mod_setenvif.so
{aliases}
<Location /require/>
    AuthType Basic
    AuthName "Arca"
    AuthBasicProvider arca
    AuthzSendForbiddenOnFailure On
    SetEnvIf X-Project "^(.+)$" ARCA_PROJECT=$1
</Location>
{requires}""")
    env.httpd.restart()
    yield lambda auth, level, project=None: requests.get(
        env.url(f"/require/{level}"), auth=auth, timeout=30,
        headers={"X-Project": project} if project else {})
    env.httpd.remove_snippet("require-matrix")
    env.httpd.restart()


class TestRequireAgreesWithTheApi:
    """Require arca-project-role collaborator|member|owner is the API's read|edit|manage of
    the project: roles, all-data access and public projects count as they do there."""

    @pytest.mark.parametrize("access", ["private", "protected", "public"])
    @pytest.mark.parametrize("level", list(REQUIRE_LEVELS))
    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_project_role(self, env, world, require_locations, role, level, access):
        r = require_locations((world["users"][role], PASSWORD), level,
                              world["projects"][access])
        assert r.status_code == (200 if require_grants(role, level, access) else 403), \
            (r.status_code, r.text[:200])

    @pytest.mark.parametrize("role", list(RIGHTS))
    def test_site_admin_only_for_admins(self, env, world, require_locations, role):
        assert require_locations((world["users"][role], PASSWORD), "site-admin") \
            .status_code == 403

    def test_site_admin_passes_everything_that_exists(self, env, world, require_locations):
        admin = (env.ADMIN, env.ADMIN_PASSWORD)
        assert require_locations(admin, "site-admin").status_code == 200
        for project in world["projects"].values():
            for level in REQUIRE_LEVELS:
                assert require_locations(admin, level, project).status_code == 200
        # no project, or one that does not exist: nobody has a role there
        assert require_locations(admin, "collaborator").status_code == 403
        assert require_locations(admin, "collaborator", "NoSuchProject").status_code == 403

    def test_nobody_logged_in_is_asked_to(self, env, world, require_locations):
        r = require_locations(None, "collaborator", world["projects"]["public"])
        assert r.status_code == 401 and "WWW-Authenticate" in r.headers
        assert require_locations(None, "site-admin").status_code == 401

    @pytest.mark.parametrize("flag", ["enabled", "verified"])
    def test_an_account_that_may_not_be_used_passes_nothing(self, env, world,
                                                             require_locations, flag):
        """A site admin and owner that is disabled, or not verified: refused by every
        provider, as the API refuses it (the account gate does not run on these pages)."""
        login = make_user(env, f"{flag[:3]}_{world['tag']}")
        admin, p = env.session(), world["projects"]["private"]
        assert admin.put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        assert admin.put(env.url(f"/data/projects/{p}/users/Owners/{login}")).ok
        assert require_locations((login, PASSWORD), "site-admin").status_code == 200
        assert admin.put(env.url(f"/xapi/users/{login}/{flag}/false")).ok
        assert require_locations((login, PASSWORD), "site-admin").status_code == 403
        for project in world["projects"].values():
            for level in REQUIRE_LEVELS:
                assert require_locations((login, PASSWORD), level, project).status_code \
                    == 403, (level, project)
        assert admin.delete(env.url(f"/data/projects/{p}/users/Owners/{login}")).ok


class TestPasswordExpiryAndDeletionAudit:
    def test_expired_password_is_refused_unless_non_expiring(self, env, world):
        login = f"aging_{world['tag']}"
        make_user(env, login)
        env.sql(f"UPDATE arca_account SET password_changed_at = now() - interval '400 days' "
                f"WHERE login = '{login}'")
        env.httpd.write_snippet("expiry", "ArcaPasswordMaxAge 365\n")
        env.httpd.restart()
        try:
            r = requests.get(env.url("/data/auth"), auth=(login, PASSWORD))
            assert r.status_code == 401 and "expired" in r.text
            assert env.session().put(env.url(f"/xapi/users/{login}/roles/Non_Expiring")).ok
            assert requests.get(env.url("/data/auth"), auth=(login, PASSWORD)).ok
        finally:
            env.httpd.remove_snippet("expiry")
            env.httpd.restart()

    def test_deletions_are_audited(self, env, world):
        p = world["projects"]["private"]
        owner = as_user(env, world["users"]["owner"])
        assert owner.put(env.url(f"/data/projects/{p}/subjects/Doomed")).status_code == 201
        assert owner.delete(env.url(f"/data/projects/{p}/subjects/Doomed")).ok
        rows = env.session().get(env.url("/xapi/audit?action=deleted&format=json")).json()
        assert any(row["object"] == f"/data/projects/{p}/subjects/Doomed"
                   and row["actor"] == world["users"]["owner"]
                   for row in rows["ResultSet"]["Result"])


# Every kind of endpoint of a project's data, with the right it needs. Each is tried by
# every role; what a role may not do answers 403 (or 404 where it may not know the
# project) and changes nothing the next request could see.
ENDPOINTS = [
    ("GET", "/data/projects/{p}/subjects?format=json", None, "read"),
    ("GET", "/data/projects/{p}/subjects/S1/experiments?format=json", None, "read"),
    ("GET", "/data/projects/{p}/subjects/S1/experiments/E1?format=xml", None, "read"),
    ("GET", "/data/projects/{p}/subjects/S1/experiments/E1/scans?format=csv", None, "read"),
    ("GET", "/data/projects/{p}/subjects/S1/experiments/E1/files?format=zip", None, "read"),
    ("GET", "/data/projects/{p}/users?format=json", None, "read"),
    ("GET", "/xapi/projects/{p}/customVariables", None, "read"),
    ("GET", "/xapi/anonymize/projects/{p}/enabled", None, "read"),
    ("PUT", "/data/projects/{p}/subjects/S1/experiments/E1/scans/{n}?type=T", None, "edit"),
    ("PUT", "/data/projects/{p}/subjects/S1/experiments/E1/resources/R{n}", None, "edit"),
    ("PUT", "/data/projects/{p}/subjects/S1/experiments/E1/resources/F/files/{n}.txt",
     b"data", "edit"),
    ("PUT", "/data/projects/{p}/subjects/S1?xnat:subjectData/fields/field[name=v{n}]/field=1",
     None, "edit"),
    ("PUT", "/data/projects/{p}/subjects/S1/experiments/E1/projects/{pub}?label=X{n}", None,
     "edit_both"),
    ("DELETE", "/data/projects/{p}/subjects/S1/experiments/E1/scans/DEL{n}", None, "delete"),
    ("PUT", "/xapi/projects/{p}/customVariables/subject/c{n}?type=integer", None, "manage"),
    ("PUT", "/xapi/anonymize/projects/{p}", b'version "6.1"\n-(0010,1040)\n', "manage"),
    ("PUT", "/data/projects/{p}/accessibility/private", None, "manage"),
]


class TestEndpointMatrix:
    @pytest.mark.parametrize("role", list(RIGHTS))
    @pytest.mark.parametrize("method, template, body, right", ENDPOINTS,
                             ids=[f"{m} {t.split('?')[0]}" for m, t, _, _ in ENDPOINTS])
    def test_endpoint(self, env, world, role, method, template, body, right):
        p, pub = world["projects"]["private"], world["projects"]["public"]
        n = uuid.uuid4().hex[:6]
        if method == "DELETE":  # something to delete, made by the admin
            assert env.session().put(env.url(
                f"/data/projects/{p}/subjects/S1/experiments/E1/scans/DEL{n}")).ok
        url = env.url(template.format(p=p, pub=pub, n=n))
        r = as_user(env, world["users"][role]).request(method, url, data=body)
        if right == "edit_both":  # sharing: edit here, and edit in the target project
            allowed = RIGHTS[role]["edit"] and role in ("editor",)
        else:
            allowed = RIGHTS[role][right]
        if allowed:
            assert 200 <= r.status_code < 300, (role, r.status_code, r.text)
        else:
            assert r.status_code in (403, 404), (role, r.status_code, r.text)
            assert not r.text.lstrip().startswith("<")
