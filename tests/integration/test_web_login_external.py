"""The login page with logins made elsewhere, in a real browser (headless Chromium): the
form with an LDAP account (mod_authnz_ldap behind `AuthBasicProvider arca ldap`, against
the suite's private slapd), and "Log in with your institution" through mod_auth_openidc
and the suite's private OpenID provider, whose own login form the browser fills in. The
institution button leads to GET /data/services/login-redirect, which mod_auth_openidc
protects: it opens the Arca session and sends the browser back to the pages. Also that
endpoint's redirect target, which must stay on this site. Each class restores the
server's configuration when done; each has its own browser (no cookie is shared)."""

import os
import shutil
from urllib.parse import quote, urlparse

import pytest
import requests

from ldap_env import USERS as LDAP_USERS
from oidc_env import REDIRECT_PATH, OidcProvider
from web_browser import Browser

LOGIN_REDIRECT = "/data/services/login-redirect"


def forget(env, *logins):
    names = ", ".join(f"'{login}'" for login in logins)
    env.sql(f"DELETE FROM arca_account WHERE login IN ({names})")
    env.sql(f"DELETE FROM arca_audit WHERE action = 'account_created' AND object IN ({names})")


def account(env, login):
    rows = env.sql("SELECT auth_source, firstname, lastname, enabled, verified "
                   f"FROM arca_account WHERE login = '{login}'")
    return rows[0] if rows else None


def auth_status(b):
    """GET /data/auth from the page, with whatever cookies the browser has."""
    return b.js_async("const done = arguments[arguments.length - 1];"
                      "fetch('/data/auth', {headers: {'X-Requested-With': 'XMLHttpRequest'}})"
                      ".then(r => done(r.status))")


def logged_in_as(b):
    return b.text("header .who strong")


def log_out(b):
    """From the projects page, once its list is in: a request still in flight when the
    session ends would come back 401, and the page would say the session ended instead."""
    b.find("#projects, p.empty")
    b.js("[...document.querySelectorAll('header button')].find(x => x.textContent === "
         "'Log out').click()")
    assert b.text(".notice") == "You have logged out."
    b.find("#login-user")


@pytest.fixture(scope="class")
def browser(env):
    b = Browser(env.httpd.base_url)
    b.expect_failure("/data/auth", 401)  # the app asks who is logged in before anyone is
    yield b
    b.close()


# ---- LDAP ---------------------------------------------------------------------------------

@pytest.fixture(scope="class")
def ldap_site(env, request):
    if not os.path.exists(f"{env.httpd_moduledir}/mod_authnz_ldap.so"):
        pytest.skip("mod_authnz_ldap is not installed")
    if not any(os.path.exists(f"{d}/slapd") for d in ("/usr/sbin", "/usr/bin")):
        pytest.skip("slapd is not installed")
    # asked for only now: the fixture would fail where slapd is missing
    slapd = request.getfixturevalue("slapd")
    env.httpd.write_snippet("web-ldap", f"""
LoadModule ldap_module {env.httpd_moduledir}/mod_ldap.so
LoadModule authnz_ldap_module {env.httpd_moduledir}/mod_authnz_ldap.so
LDAPCacheTTL 0
LDAPOpCacheTTL 0
<LocationMatch "^/(data|REST|xapi)(/|$)">
    AuthBasicProvider arca ldap
    AuthLDAPURL "{slapd.authldap_url()}"
</LocationMatch>
""")
    env.httpd.restart()
    yield slapd
    env.httpd.remove_snippet("web-ldap")
    env.httpd.restart()


@pytest.mark.usefixtures("ldap_site")
class TestLdapLoginForm:
    def test_ldap_account_logs_in_with_the_form(self, env, browser):
        b = browser
        uid, (given, sn, _, password) = "camilla", LDAP_USERS["camilla"]
        try:
            b.goto("/")
            b.log_in(uid, password)
            b.wait_text("h1", lambda t: t == "Projects")
            assert logged_in_as(b) == uid
            # the first login made the account, per ArcaAutoEnable/ArcaAutoVerify (both on)
            assert account(env, uid) == ["ldap", given, sn, "t", "t"]
            assert auth_status(b) == 200
            log_out(b)
            assert auth_status(b) == 401
            b.assert_clean()
        finally:
            forget(env, uid)

    def test_wrong_ldap_password_says_so(self, env, browser):
        b = browser
        b.expect_failure("/data/JSESSION", 401)
        b.goto("/")
        b.log_in("camilla", "not-her-password")
        assert b.text("#login-error") == "Wrong user name or password."
        assert account(env, "camilla") is None
        b.assert_clean()


# ---- OpenID Connect -----------------------------------------------------------------------

@pytest.fixture(scope="class")
def oidc_site(env, request):
    if not shutil.which("node"):
        pytest.skip("node is not installed (the test OpenID provider runs on it)")
    if not os.path.exists(f"{env.httpd_moduledir}/mod_auth_openidc.so"):
        pytest.skip("mod_auth_openidc is not installed")
    op = request.getfixturevalue("oidc_provider")
    # The provider knows one redirect URI (oidc_env.REDIRECT_PATH): a location of its own
    # under AuthType openid-connect, apart from the path the button leads to.
    env.httpd.write_snippet("web-oidc", f"""
LoadModule auth_openidc_module {env.httpd_moduledir}/mod_auth_openidc.so
{op.httpd_config(env.url(REDIRECT_PATH))}
<Location {REDIRECT_PATH}>
    AuthType openid-connect
    Require valid-user
</Location>
<Location {LOGIN_REDIRECT}>
    AuthType openid-connect
    Require valid-user
</Location>
ArcaInstitutionLogin {LOGIN_REDIRECT} "Log in with Example University"
""")
    env.httpd.restart()
    yield op
    env.httpd.remove_snippet("web-oidc")
    env.httpd.restart()


@pytest.mark.usefixtures("oidc_site")
class TestInstitutionLogin:
    def test_institution_button_goes_through_the_provider_and_back(self, env, browser,
                                                                    oidc_site):
        b = browser
        op_host = urlparse(oidc_site.issuer).netloc
        b.other_hosts.add(op_host)  # the provider's pages: another origin, on purpose
        login = "alice@example.org"
        try:
            b.goto("/")
            button = b.find("#institution-login")
            assert button.text == "Log in with Example University"
            button.click()
            # the provider's own login form
            b.wait(lambda d: urlparse(d.current_url).netloc == op_host, what="the provider")
            b.find("input[name=login]").send_keys("alice")
            b.find("input[name=password]").send_keys(OidcProvider.PASSWORDS["alice"])
            b.find("form button").click()
            # back on the pages, logged in
            b.wait(lambda d: d.current_url == env.url("/"), what="the way back")
            b.wait_text("h1", lambda t: t == "Projects")
            assert logged_in_as(b) == login
            assert account(env, login) == ["oidc", "Alice", "Liddell", "t", "t"]
            cookies = {c["name"]: c for c in b.driver.get_cookies()}
            assert cookies["JSESSIONID"]["httpOnly"]
            assert auth_status(b) == 200
            # logout ends the Arca session: the page and the API say so
            log_out(b)
            assert auth_status(b) == 401
            # mod_auth_openidc's (and the provider's) session stays: the button logs in
            # again without the provider's form
            # ... and back to the page the browser asked for (a deep link)
            b.goto("/search")
            b.collect()
            seen = len(b.requests)
            b.find("#institution-login").click()
            b.wait(lambda d: d.current_url == env.url("/search"), what="the deep link")
            b.wait_text("h1", lambda t: t == "Search")
            assert logged_in_as(b) == login
            b.collect()
            assert not [u for u in b.requests[seen:] if "/interaction/" in u]
            b.goto("/")
            log_out(b)
            b.assert_clean()
        finally:
            forget(env, login)


# ---- the redirect target ------------------------------------------------------------------

class TestLoginRedirect:
    """Any authenticated request (here Basic) opens a session and is sent to `to`."""

    def get(self, env, to=None, auth=True):
        url = env.url(LOGIN_REDIRECT) + ("" if to is None else "?to=" + quote(to, safe=""))
        return requests.get(url, auth=(env.ADMIN, env.ADMIN_PASSWORD) if auth else None,
                            allow_redirects=False, timeout=10)

    @pytest.mark.parametrize("to, where", [(None, "/"), ("/", "/"),
                                           ("/projects/P1?x=1#top", "/projects/P1?x=1#top")])
    def test_same_site_paths_open_a_session_and_redirect(self, env, to, where):
        r = self.get(env, to)
        assert r.status_code == 303, r.text
        assert r.headers["Location"] in (where, env.url(where))
        sid = r.cookies.get("JSESSIONID")
        assert sid
        r = requests.get(env.url("/data/auth"), cookies={"JSESSIONID": sid}, timeout=10)
        assert r.status_code == 200 and f"User '{env.ADMIN}' is logged in" in r.text

    @pytest.mark.parametrize("to", ["//evil.example/", "https://evil.example/",
                                    "/\\evil.example", "\\\\evil.example", "evil", "",
                                    "/a\r\nSet-Cookie: x=1", "javascript:alert(1)"])
    def test_other_targets_are_refused(self, env, to):
        r = self.get(env, to)
        assert r.status_code == 400, r.text
        assert "Location" not in r.headers and "JSESSIONID" not in r.cookies
        assert "to" in r.text and "path of this site" in r.text

    def test_needs_a_login(self, env):
        r = self.get(env, "/", auth=False)
        assert r.status_code == 401
        assert "Location" not in r.headers and "JSESSIONID" not in r.cookies
