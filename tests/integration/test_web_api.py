"""What the web pages added to the API: the projects listing's subject and session counts
and XNAT's owner/member/collaborator filters, and the public login options (session idle
time, the institution's login) with the login page's button."""

import shutil
import uuid

import pytest
import requests


@pytest.fixture(scope="module")
def projects(env):
    """Two projects: `mine`, where a user is a collaborator, with two subjects (one shared
    in from `other`) and a session; `other`, public, where the user has no role."""
    s = env.session()
    mine, other = f"Mine{uuid.uuid4().hex[:6]}", f"Oth{uuid.uuid4().hex[:6]}"
    user = f"u{uuid.uuid4().hex[:6]}"
    r = s.post(env.url("/xapi/users"), json={"username": user, "password": "pw-123456789",
                                              "enabled": True, "verified": True})
    assert r.status_code in (200, 201), r.text
    assert s.put(env.url(f"/data/projects/{mine}")).status_code == 201
    assert s.put(env.url(f"/data/projects/{other}")).status_code == 201
    assert s.put(env.url(f"/data/projects/{other}/accessibility/public")).status_code == 200
    assert s.put(env.url(f"/data/projects/{mine}/users/Collaborators/{user}")).status_code \
        in (200, 201)
    assert s.put(env.url(f"/data/projects/{mine}/subjects/A")).status_code == 201
    assert s.put(env.url(f"/data/projects/{other}/subjects/B")).status_code == 201
    assert s.put(env.url(f"/data/projects/{other}/subjects/B/projects/{mine}")).status_code \
        in (200, 201)
    assert s.put(env.url(f"/data/projects/{mine}/subjects/A/experiments/E"),
                 params={"xsiType": "xnat:ctSessionData"}).status_code == 201
    yield mine, other, (user, "pw-123456789")
    for p in (mine, other):
        s.delete(env.url(f"/data/projects/{p}"))


def listed(env, auth, **params):
    r = env.get("/data/projects", auth=auth, params={
        "format": "json", "columns": "ID,subject_count,experiment_count", **params})
    assert r.status_code == 200, r.text
    return {x["ID"]: (x["subject_count"], x["experiment_count"])
            for x in r.json()["ResultSet"]["Result"]}


def test_projects_listing_counts_subjects_and_sessions(env, projects):
    mine, other, _ = projects
    rows = listed(env, None)
    assert rows[mine] == ("2", "1")  # its own subject and the shared one
    assert rows[other] == ("1", "0")


def test_owner_member_collaborator_filters_are_the_callers_roles(env, projects):
    mine, other, user = projects
    assert set(listed(env, user)) >= {mine, other}  # public ones are listed too
    assert set(listed(env, user, collaborator="true")) == {mine}
    assert set(listed(env, user, owner="true", member="true", collaborator="true")) == {mine}
    assert set(listed(env, user, owner="true")) == set()
    # a site admin's own roles (it created both, so owns them), not everything it sees
    assert {mine, other} <= set(listed(env, None, owner="true"))
    assert set(listed(env, user, accessibility="public")) >= {other}
    assert mine not in listed(env, user, accessibility="public")


def test_login_options_are_public_with_defaults(env):
    r = requests.get(env.url("/data/services/login-options"), timeout=30)
    assert r.status_code == 200
    assert r.json() == {"sessionTimeout": 900, "institutionLogin": None}


def test_login_options_follow_the_configuration_and_the_page_shows_the_button(env):
    env.httpd.write_snippet("web-login", 'ArcaSessionIdleTimeout 1200\n'
                            'ArcaInstitutionLogin /login/institution "Log in with Example U"\n')
    env.httpd.restart()
    try:
        r = requests.get(env.url("/data/services/login-options"), timeout=30)
        assert r.json() == {"sessionTimeout": 1200, "institutionLogin": {
            "url": "/login/institution", "label": "Log in with Example U"}}
        if shutil.which("chromium") and shutil.which("chromedriver"):
            from web_browser import Browser
            b = Browser(env.httpd.base_url)
            b.expect_failure("/data/auth", 401)
            try:
                b.goto("/")
                a = b.find("#institution-login")
                assert a.text == "Log in with Example U"
                # asking to come back to the page it was shown on
                assert a.get_attribute("href") == env.url("/login/institution?to=%2F")
                b.assert_clean()
            finally:
                b.close()
    finally:
        env.httpd.remove_snippet("web-login")
        env.httpd.restart()


def test_the_page_logs_out_when_the_session_has_been_idle_too_long(env):
    """With a 20 s idle time the countdown runs 5 s (the rest is the minute the server's
    note of use may lag behind, cut short); then the page ends the session itself."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver are not installed")
    from web_browser import Browser
    env.httpd.write_snippet("web-idle", "ArcaSessionIdleTimeout 20\n")
    env.httpd.restart()
    b = Browser(env.httpd.base_url)
    b.expect_failure("/data/auth", 401)
    try:
        b.goto("/")
        b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
        b.find("#session-left")
        assert b.wait_text(".notice", lambda t: "without use" in t, timeout=30) == \
            "Your session ended after a time without use; please log in again."
        b.find("#login-user")
        status = b.js_async("const done = arguments[arguments.length - 1];"
                            "fetch('/data/auth', {headers: {'X-Requested-With': 'XMLHttpRequest'}})"
                            ".then(r => done(r.status))")
        assert status == 401  # the page ended the session on the server too
        b.assert_clean()
    finally:
        b.close()
        env.httpd.remove_snippet("web-idle")
        env.httpd.restart()


def test_institution_login_must_be_a_path_of_this_site(env):
    env.httpd.write_snippet("web-login", "ArcaInstitutionLogin https://evil.example/\n")
    try:
        code, out = env.httpd.config_test()
        assert code != 0 and "give a path of this site" in out
    finally:
        env.httpd.remove_snippet("web-login")
