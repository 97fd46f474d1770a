"""The Manage pages in a real browser: a project's owner defines its custom variables
(the ToyPhantom's) and sees them as columns of the subjects table; gives a user the
Collaborator role, who then sees the project without its management controls and whose
direct write is refused; edits the project's anonymisation script (a script with an
error shows the server's line-numbered message; a valid one is saved and enabled); sets
accessibility and where incoming sessions go. axe-core on both pages."""

import os
import uuid

import pytest

from web_browser import new_browser, set_value
from web_seed import SUBJECTS_SQL

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
PW = "pw-123456789"
VARIABLES = [("Phantom_name", "string"), ("Scanner", "string"), ("CTDIvol", "float"),
             ("kVp", "integer"), ("ReconstructionAlgorithm", "string")]
# defined with the values allowed (the seed's values are among them) and as required
OPTIONS = {"ReconstructionAlgorithm": ["FBP", "IR"]}
GOOD_SCRIPT = 'version "6.1"\n(0010,0010) := "Anonymous"\n(0008,0080) := ""\n'
BAD_SCRIPT = 'version "6.1"\n(0010,0010) := "Anonymous"\n(0010,0020) := frobnicate[1]\n'


@pytest.fixture(scope="module")
def project(env):
    """A project with four subjects whose values are stored but not yet typed."""
    p = f"Man{uuid.uuid4().hex[:6]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{p}"), params={"name": "Toy Platform Phantom"}) \
        .status_code == 201
    env.sql(SUBJECTS_SQL.format(project=p, n=4, prefix=f"M{p[3:]}_", cut=len(p)))
    yield p
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def collaborator(env):
    login = f"col{uuid.uuid4().hex[:6]}"
    r = env.session().post(env.url("/xapi/users"), json={
        "username": login, "password": PW, "enabled": True, "verified": True,
        "firstName": "Cora", "lastName": "Collab"})
    assert r.status_code == 201, r.text
    return login


@pytest.fixture(scope="module")
def browser(env):
    b = new_browser(env)
    yield b
    b.close()


def click_text(b, css, text):
    b.wait(lambda d: b.js("const e = [...document.querySelectorAll(arguments[0])].find("
                          "x => x.textContent.trim() === arguments[1]); if (e) e.click();"
                          "return !!e", css, text), what=f"{css} '{text}'")


class TestManage:
    def test_owner_sees_the_manage_links(self, env, browser, project):
        b = browser
        b.goto(f"/projects/{project}")
        b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
        b.wait_text("h1", lambda t: t == "Toy Platform Phantom")
        assert b.text("#manage-vars") == "Manage Custom Variables"
        assert b.text("#project-settings") == "Project Settings"
        b.assert_clean()

    def test_define_custom_variables_and_see_them_as_columns(self, env, browser, project):
        b = browser
        b.find("#manage-vars").click()
        b.wait_text("h1", lambda t: t == f"Custom variables of {project}")
        b.text(".empty")
        for name, typ in VARIABLES:
            set_value(b, "#cv-name", name)
            set_value(b, "#cv-type", typ, "change")
            if name in OPTIONS:
                set_value(b, "#cv-options", "\n".join(OPTIONS[name]) + "\n\n")
                b.find("#cv-required").click()
            b.find("#cv-form button[type=submit]").click()
            b.wait_text("#cv-outcome", lambda t, n=name: t == f"Saved {n}.")
            b.wait(lambda d, n=name: b.js(
                "return [...document.querySelectorAll('#custom-vars tbody tr')].some("
                "tr => tr.cells[1].textContent === arguments[0])", n),
                what=f"{name} listed")
        rows = b.js("return [...document.querySelectorAll('#custom-vars tbody tr')]"
                    ".map(tr => [...tr.cells].slice(0, 6).map(c => c.textContent))")
        assert sorted(rows) == sorted(
            ["subject", n, t, "", "yes" if n in OPTIONS else "no", ", ".join(OPTIONS.get(n, []))]
            for n, t in VARIABLES)
        api = env.get(f"/xapi/projects/{project}/customVariables").json()["ResultSet"]["Result"]
        assert sorted((r["name"], r["type"], r["required"], r["options"]) for r in api) == \
            sorted((n, t, "true" if n in OPTIONS else "false",
                    '["FBP","IR"]' if n in OPTIONS else "[]") for n, t in VARIABLES)
        b.screenshot("manage-custom-variables")
        # a bad name is the server's 400, shown as it says
        b.js("document.querySelector('#cv-name').removeAttribute('pattern')")
        set_value(b, "#cv-name", "9lives")
        b.expect_failure(f"/xapi/projects/{project}/customVariables/subject/9lives", 400)
        b.find("#cv-form button[type=submit]").click()
        assert b.text("#cv-outcome.error")
        # the project page: each subject variable is a column, with the stored values
        b.find(".crumbs a[href='/projects/%s']" % project).click()
        b.wait_text("#subjects-count", lambda t: t == "Subjects 1–4 of 4")
        headers = b.js("return [...document.querySelectorAll('#subjects thead tr:first-child th')]"
                       ".map(th => th.textContent.trim())")
        for name, _ in VARIABLES:  # headed as defined: CTDIvol, not ctdivol
            assert name in headers
        first = b.js("return [...document.querySelector('#subjects tbody tr').cells]"
                     ".map(c => c.textContent)")
        assert first[headers.index("Phantom_name")] == "Phantom 000001"
        assert first[headers.index("kVp")] == "100"
        assert first[headers.index("ReconstructionAlgorithm")] == "IR"
        b.assert_clean()

    def test_give_a_user_the_collaborator_role(self, env, browser, project, collaborator):
        b = browser
        # a project without an anonymisation script answers 404 for it: the page starts empty
        b.expect_failure(f"/xapi/anonymize/projects/{project}", 404)
        b.find("#project-settings").click()
        b.wait_text("h1", lambda t: t == f"Settings of {project}")
        set_value(b, "#invite-login", collaborator)
        set_value(b, "#invite-group", "Collaborators", "change")
        b.find("#invite button[type=submit]").click()
        b.wait_text("#users-outcome", lambda t: t == f"{collaborator} added to Collaborators.")
        b.wait(lambda d: b.js("const r = document.querySelector(`#project-users tr[data-login="
                              "'${arguments[0]}']`); return r && r.querySelector('select').value",
                              collaborator) == "Collaborators", what="the collaborator's row")
        users = env.get(f"/data/projects/{project}/users", params={"format": "json"}).json()
        assert {(u["login"], u["displayname"]) for u in users["ResultSet"]["Result"]} == \
            {(env.ADMIN, "Owners"), (collaborator, "Collaborators")}
        # an unknown login is the server's 404, said as it is
        b.expect_failure(f"/data/projects/{project}/users/Collaborators/nosuchlogin", 404)
        set_value(b, "#invite-login", "nosuchlogin")
        b.find("#invite button[type=submit]").click()
        assert "no user 'nosuchlogin'" in b.text("#users-outcome.error")
        b.assert_clean()

    def test_collaborator_reads_but_cannot_manage_or_write(self, env, project, collaborator):
        c = new_browser(env)
        try:
            c.goto("/")
            c.log_in(collaborator, PW)
            c.wait(lambda d: c.js("return [...document.querySelectorAll('#projects a')]"
                                  ".some(a => a.textContent === arguments[0])", project),
                   what="the project listed")
            c.goto(f"/projects/{project}")
            c.wait_text("#subjects-count", lambda t: t == "Subjects 1–4 of 4")
            # the permissions answered (read only): no management link
            c.wait(lambda d: c.js("return performance.getEntriesByType('resource').some("
                                  "e => e.name.endsWith('/permissions'))"), what="permissions")
            assert c.js("return document.querySelectorAll('#manage-vars, #project-settings')"
                        ".length") == 0
            assert c.js("return !!document.querySelector('#admin-link')") is False
            c.goto(f"/projects/{project}/settings")
            assert "not allowed" in c.text("#not-allowed")
            assert c.js("return document.querySelectorAll('#invite, #accessibility').length") == 0
            # a direct write through the API is refused
            c.expect_failure(f"/data/projects/{project}/subjects/Intruder", 403)
            status = c.js_async(
                "const done = arguments[arguments.length - 1];"
                "fetch(`/data/projects/${arguments[0]}/subjects/Intruder`, {method: 'PUT',"
                " headers: {'X-Requested-With': 'XMLHttpRequest'}}).then(r => done(r.status))",
                project)
            assert status == 403
            c.screenshot("manage-collaborator")
            c.assert_clean()
        finally:
            c.close()
        assert env.get(f"/data/projects/{project}/subjects/Intruder").status_code == 404

    def test_anonymization_script_error_then_saved_and_enabled(self, env, browser, project):
        b = browser
        base = f"/xapi/anonymize/projects/{project}"
        b.goto(f"/projects/{project}/settings")
        b.find("#project-anon-text")
        assert b.js("return document.querySelector('#project-anon-enabled').checked") is False
        set_value(b, "#project-anon-text", BAD_SCRIPT)
        b.js("document.querySelector('#project-anon-enabled').click()")
        b.expect_failure(base, 400)
        b.find("#project-anon-save").click()
        msg = b.text("#project-anon-outcome.error")
        assert msg.startswith("line 3"), msg
        assert env.get(base).status_code == 404  # nothing stored
        set_value(b, "#project-anon-text", GOOD_SCRIPT)
        b.find("#project-anon-save").click()
        b.wait_text("#project-anon-outcome", lambda t: t == "Script saved and enabled.")
        assert env.get(base).text == GOOD_SCRIPT
        assert env.get(f"{base}/enabled").json() is True
        b.screenshot("manage-settings")
        b.assert_clean()

    def test_accessibility_and_prearchive_code(self, env, browser, project):
        b = browser
        b.js("document.querySelector('#accessibility input[value=protected]').click()")
        b.find("#accessibility-save").click()
        b.wait_text("#accessibility-outcome", lambda t: t == "Accessibility is now protected.")
        assert env.get(f"/data/projects/{project}/accessibility").text.strip() == "protected"
        b.js("document.querySelector('#prearchive-code input[value=\"4\"]').click()")
        b.find("#prearchive-code-save").click()
        b.wait_text("#prearchive-code-outcome", lambda t: t == "Saved.")
        assert env.get(f"/data/projects/{project}/prearchive_code").text.strip() == "4"
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, project):
        b = browser
        with open(AXE) as f:
            axe = f.read()
        found = {}
        for path, ready in ((f"/projects/{project}/custom-variables", "#custom-vars"),
                            (f"/projects/{project}/settings", "#project-anon-text")):
            b.goto(path)
            b.find(ready)
            b.find("#project-users") if "settings" in path else None
            found[path] = b.axe(axe)
        assert all(not v for v in found.values()), found
        b.assert_clean()
