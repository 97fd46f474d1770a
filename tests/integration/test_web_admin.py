"""The Admin pages in a real browser: only site admins see the menu entry (the /admin
route tells others they are not allowed); "Edit User Info" gives a project role and All
Data Access (with its warning), and disables a user, who is refused on their next request
in the session they had open; the site's Basic Profile warns that PHI is kept when off;
the DICOM receivers and the audit trail are listed. axe-core on the pages."""

import os
import uuid

import pytest

from web_browser import new_browser, set_value

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
PW = "pw-123456789"


@pytest.fixture(scope="module")
def setup(env):
    s = env.session()
    p = f"Adm{uuid.uuid4().hex[:6]}"
    assert s.put(env.url(f"/data/projects/{p}"), params={"name": "Admin test"}).status_code == 201
    login = f"adu{uuid.uuid4().hex[:6]}"
    r = s.post(env.url("/xapi/users"), json={"username": login, "password": PW, "enabled": True,
                                              "verified": True, "firstName": "Camilla",
                                              "lastName": "Tester", "email": "c@example.org"})
    assert r.status_code == 201, r.text
    yield p, login
    s.delete(env.url(f"/data/projects/{p}"))


@pytest.fixture(scope="module")
def browser(env):
    b = new_browser(env)
    yield b
    b.close()


def account(env, login):
    return env.get(f"/xapi/users/{login}").json()


class TestAdmin:
    def test_non_admin_sees_no_admin_and_is_not_allowed(self, env, setup):
        _, login = setup
        c = new_browser(env)
        try:
            c.goto("/admin")
            c.log_in(login, PW)
            assert "not allowed" in c.text("#not-allowed")
            c.find("header nav a")
            c.wait(lambda d: c.js("return performance.getEntriesByType('resource').some("
                                  "e => e.name.endsWith('/xapi/users/current'))"),
                   what="the account read")
            assert c.js("return !!document.querySelector('#admin-link')") is False
            assert c.js("return document.querySelectorAll('#users, #user-details').length") == 0
            c.goto(f"/admin/users/{env.ADMIN}")
            assert "not allowed" in c.text("#not-allowed")
            c.assert_clean()
        finally:
            c.close()

    def test_users_list_and_edit_user_info(self, env, browser, setup):
        p, login = setup
        b = browser
        b.goto("/")
        b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
        b.find("#admin-link").click()
        b.wait_text("h1", lambda t: t == "Administration")
        row = b.wait(lambda d: b.js(
            "const r = [...document.querySelectorAll('#users tbody tr')].find("
            "tr => tr.cells[0].textContent === arguments[0]);"
            "return r && [...r.cells].map(c => c.textContent)", login), what="the user's row")
        assert row[:5] == [login, "Camilla Tester", "c@example.org", "Yes", "Yes"]
        b.screenshot("admin-users")
        b.js("[...document.querySelectorAll('#users a')].find(a => a.textContent === "
             "arguments[0]).click()", login)
        b.wait_text("h1", lambda t: t == f"Edit User Info: {login}")
        b.wait(lambda d: b.js("const e = document.querySelector('#user-first');"
                              "return e && e.value") == "Camilla", what="the user's details")
        # a project role through Add Role
        b.text("#user-projects-outcome, .empty")
        b.wait(lambda d: b.js("return [...document.querySelectorAll('#add-role-project option')]"
                              ".some(o => o.value === arguments[0])", p), what="the projects")
        set_value(b, "#add-role-project", p, "change")
        set_value(b, "#add-role-group", "Owners", "change")
        b.find("#add-role button[type=submit]").click()
        b.wait(lambda d: b.js("return [...document.querySelectorAll('#user-projects tbody tr')]"
                              ".map(tr => [tr.cells[0].textContent, tr.cells[1].textContent,"
                              " tr.cells[2].querySelector('select').value])") ==
               [["Admin test", p, "Owners"]], what="the project role")
        users = env.get(f"/data/projects/{p}/users", params={"format": "json"}).json()
        assert (login, "Owners") in {(u["login"], u["displayname"])
                                     for u in users["ResultSet"]["Result"]}
        # All Data Access, read only: its warning, then saved
        assert b.js("return !!document.querySelector('#data-access-warning')") is False
        b.js("document.querySelector('input[name=data-access][value=read]').click()")
        assert "access to every project" in b.text("#data-access-warning")
        b.find("#user-security-save").click()
        b.wait_text("#user-security-outcome", lambda t: t == "Security settings saved.")
        assert account(env, login)["dataAccess"] == "read"
        b.screenshot("admin-edit-user")
        b.js("document.querySelector('input[name=data-access][value=none]').click()")
        b.find("#user-security-save").click()
        b.wait_text("#user-security-outcome", lambda t: t == "Security settings saved.")
        assert account(env, login)["dataAccess"] == "none"
        b.assert_clean()

    def test_disabled_user_is_refused_on_next_request(self, env, browser, setup):
        p, login = setup
        c = new_browser(env)
        try:
            c.goto(f"/projects/{p}")
            c.log_in(login, PW)
            c.wait_text("h1", lambda t: t == "Admin test")  # an owner of it now
            b = browser  # the admin, on the user's page
            b.js("document.querySelector('#user-enabled').click()")
            assert "refuses its next request" in b.text("#disable-warning")
            b.find("#user-details-save").click()
            b.wait_text("#user-details-outcome", lambda t: t == "User details saved.")
            assert account(env, login)["enabled"] is False
            # the user's open session: the next request is refused, the login page is back
            c.expect_failure("/data/auth", 403)
            c.driver.refresh()
            c.find("#login-user")
            c.expect_failure("/data/projects", 403)
            status = c.js_async("const done = arguments[arguments.length - 1];"
                                "fetch('/data/projects?format=json', {headers: "
                                "{'X-Requested-With': 'XMLHttpRequest'}}).then(r => done(r.status))")
            assert status == 403
            c.assert_clean()
        finally:
            c.close()
        b.assert_clean()

    def test_basic_profile_off_warns_that_phi_is_kept(self, env, browser):
        b = browser
        b.goto("/admin")
        b.find("#tab-anon").click()
        b.find("#basic-profile-on")
        # the suite's server runs with the profile off (conftest): the warning shows
        assert b.js("return document.querySelector('#basic-profile-on').checked") is False
        assert "PHI" in b.text("#basic-profile-warning")
        b.find("#basic-profile-on").click()
        assert b.js("return !!document.querySelector('#basic-profile-warning')") is False
        b.find("#basic-profile-on").click()
        assert "PHI" in b.text("#basic-profile-warning")
        b.find("#basic-profile-save").click()
        b.wait_text("#basic-profile-outcome", lambda t: "de-identification is off" in t)
        rows = env.get("/data/config/anon/basicProfile").json()["ResultSet"]["Result"]
        assert rows[0]["status"] == "disabled"
        b.find("#site-anon-text")
        b.screenshot("admin-anon")
        b.assert_clean()

    def test_receivers_and_audit_log(self, env, browser, setup):
        _, login = setup
        b = browser
        b.find("#tab-dicom").click()
        b.find("#receivers, p.empty")
        assert b.js("return !!document.querySelector('p.error')") is False
        b.find("#tab-audit").click()
        b.wait(lambda d: b.js("return [...document.querySelectorAll('table.grid tbody tr')].some("
                              "tr => tr.cells[2].textContent === 'user_disabled' && "
                              "tr.cells[3].textContent === arguments[0])", login),
               what="the user_disabled entry")
        b.screenshot("admin-audit")
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, setup):
        _, login = setup
        b = browser
        with open(AXE) as f:
            axe = f.read()
        found = {}
        b.goto("/admin")
        b.find("#users tbody tr")
        found["users"] = b.axe(axe)
        for tab, ready in (("anon", "#site-anon-text"), ("dicom", "#receivers, p.empty"),
                           ("audit", "table.grid tbody tr")):
            b.find(f"#tab-{tab}").click()
            b.find(ready)
            found[tab] = b.axe(axe)
        b.goto(f"/admin/users/{login}")
        b.find("#user-security")
        b.find("#user-projects")
        found["user"] = b.axe(axe)
        assert all(not v for v in found.values()), found
        b.assert_clean()
