"""Logins made elsewhere: LDAP through mod_authnz_ldap (`AuthBasicProvider arca ldap`) and
OpenID Connect through mod_auth_openidc, against a private slapd and a private OpenID
provider. The first login creates the Arca account (names and email from the directory
or the claims), ArcaAutoEnable/ArcaAutoVerify decide whether it can be used at once, and a
refused account is told why. Each class restores the server's configuration when done."""

import re
import subprocess
import threading
import time

import pytest
import requests

from ldap_env import USERS as LDAP_USERS
from oidc_env import PROTECTED_PATH, REDIRECT_PATH, browser_login

XNAT_401_BODY = "The request requires user authentication"
NOT_ENABLED = "exists but an administrator has not enabled it yet"
NOT_VERIFIED = "exists but has not been verified yet"


def account(env, login):
    """The account's row as a dict, or None."""
    rows = env.sql("SELECT auth_source, firstname, lastname, email, enabled, verified, "
                   "password_hash IS NULL, site_admin FROM arca_account "
                   f"WHERE login = '{login}'")
    if not rows:
        return None
    keys = ("auth_source", "firstname", "lastname", "email", "enabled", "verified",
            "no_password", "site_admin")
    return dict(zip(keys, rows[0]))


def created_audits(env, login):
    return env.sql("SELECT actor, detail FROM arca_audit "
                   f"WHERE action = 'account_created' AND object = '{login}'")


def forget(env, *logins):
    """Deletes accounts a test created, and their creation audit, so tests stay independent."""
    names = ", ".join(f"'{login}'" for login in logins)
    env.sql(f"DELETE FROM arca_account WHERE login IN ({names})")
    env.sql(f"DELETE FROM arca_audit WHERE action = 'account_created' AND object IN ({names})")


def logged_in_as(r):
    m = re.match(r"User '(.+)' is logged in", r.text)
    return m and m.group(1)


def ldap_auth(uid):
    return (uid, LDAP_USERS[uid][3])


def wait_for_file_text(path, text, timeout=5):
    """httpd writes the access log line just after the response: wait for it a little."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return True
        time.sleep(0.02)
    return False


def restart_with(env, name, text):
    env.httpd.write_snippet(name, text)
    env.httpd.restart()


def restart_without(env, *names):
    for name in names:
        env.httpd.remove_snippet(name)
    env.httpd.restart()


# ---- LDAP ---------------------------------------------------------------------------------

@pytest.fixture(scope="class")
def ldap_site(env, slapd):
    """The API behind `AuthBasicProvider arca ldap`, with the LDAP caches off so that the
    directory is asked every time."""
    restart_with(env, "ldap", f"""
LoadModule ldap_module {env.httpd_moduledir}/mod_ldap.so
LoadModule authnz_ldap_module {env.httpd_moduledir}/mod_authnz_ldap.so
LDAPCacheTTL 0
LDAPOpCacheTTL 0
LDAPConnectionTimeout 2
<LocationMatch "^/(data|REST|xapi)(/|$)">
    AuthBasicProvider arca ldap
    AuthLDAPURL "{slapd.authldap_url()}"
</LocationMatch>
""")
    yield slapd
    restart_without(env, "ldap", "ldap-policy")


@pytest.mark.usefixtures("ldap_site")
class TestLdapLogin:
    def test_first_login_creates_the_account_from_the_directory(self, env):
        try:
            r = env.get("/data/auth", auth=ldap_auth("camilla"))
            assert r.status_code == 200, r.text
            assert logged_in_as(r) == "camilla"
            assert account(env, "camilla") == {
                "auth_source": "ldap", "firstname": "Camilla", "lastname": "Rossi",
                "email": "camilla@example.org", "enabled": "t", "verified": "t",
                "no_password": "t", "site_admin": "f"}
            assert created_audits(env, "camilla") == [
                ["", "first ldap login; enabled: yes, verified: yes"]]
            assert re.search(r"ARCA10210: created the Arca account 'camilla' at its first "
                             r"ldap login \(enabled: yes, verified: yes\)",
                             env.httpd.error_log())
            # Later logins find the account: still one, audited once.
            r = env.get("/data/projects?format=json", auth=ldap_auth("camilla"))
            assert r.status_code == 200
            assert env.sql("SELECT count(*) FROM arca_account WHERE login = 'camilla'") == \
                [["1"]]
            assert len(created_audits(env, "camilla")) == 1
        finally:
            forget(env, "camilla")

    def test_wrong_ldap_password_is_401_with_xnats_body(self, env):
        r = env.get("/data/auth", auth=("camilla", "not-her-password"))
        assert r.status_code == 401
        assert r.text.strip() == XNAT_401_BODY
        assert "Basic" in r.headers["WWW-Authenticate"]
        r = env.get("/data/auth", auth=("nobody-in-ldap", "x"))
        assert r.status_code == 401
        assert account(env, "camilla") is None and account(env, "nobody-in-ldap") is None

    def test_local_accounts_answer_first(self, env):
        """`arca` before `ldap`: the directory's 'admin' cannot log in as Arca's admin."""
        r = env.get("/data/auth")
        assert r.status_code == 200 and logged_in_as(r) == "admin"
        r = env.get("/data/auth", auth=ldap_auth("admin"))
        assert r.status_code == 401
        admin = account(env, "admin")
        assert admin["auth_source"] == "local" and admin["no_password"] == "f"

    def test_two_first_logins_at_once_create_one_account(self, env):
        results = []

        def login():
            results.append(requests.get(env.url("/data/auth"), auth=ldap_auth("giulia"),
                                        timeout=30))
        threads = [threading.Thread(target=login) for _ in range(8)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [r.status_code for r in results] == [200] * 8
            assert env.sql("SELECT count(*) FROM arca_account WHERE login = 'giulia'") == \
                [["1"]]
            assert len(created_audits(env, "giulia")) == 1
        finally:
            forget(env, "giulia")

    def test_later_logins_fill_empty_fields_but_keep_edited_ones(self, env):
        try:
            assert env.get("/data/auth", auth=ldap_auth("camilla")).status_code == 200
            env.sql("UPDATE arca_account SET firstname = '', lastname = 'Rossi-Neri' "
                    "WHERE login = 'camilla'")
            assert env.get("/data/auth", auth=ldap_auth("camilla")).status_code == 200
            a = account(env, "camilla")
            assert (a["firstname"], a["lastname"]) == ("Camilla", "Rossi-Neri")
        finally:
            forget(env, "camilla")

    def test_unverified_account_is_told_so(self, env):
        try:
            assert env.get("/data/auth", auth=ldap_auth("camilla")).status_code == 200
            env.sql("UPDATE arca_account SET verified = false WHERE login = 'camilla'")
            r = env.get("/data/auth", auth=ldap_auth("camilla"))
            assert r.status_code == 403
            assert r.headers["Content-Type"].startswith("text/plain")
            assert NOT_VERIFIED in r.text and "camilla" in r.text
            r = env.get("/data/projects?format=json", auth=ldap_auth("camilla"))
            assert r.status_code == 403
            assert r.json()["error"] == {"status": 403, "message": r.json()["error"]["message"]}
            assert NOT_VERIFIED in r.json()["error"]["message"]
        finally:
            forget(env, "camilla")

    def test_auto_enable_off_creates_a_disabled_account_until_an_admin_enables_it(self, env):
        """ArcaAutoEnable Off + ArcaAutoVerify On: XNAT's auto.enabled=false,
        auto.verified=true."""
        restart_with(env, "ldap-policy", "ArcaAutoEnable Off\nArcaAutoVerify On\n")
        try:
            r = env.get("/data/auth", auth=ldap_auth("enrico"))
            assert r.status_code == 403
            assert r.headers["Content-Type"].startswith("text/plain")
            assert NOT_ENABLED in r.text and "'enrico'" in r.text
            a = account(env, "enrico")
            assert (a["auth_source"], a["enabled"], a["verified"], a["firstname"]) == \
                ("ldap", "f", "t", "Enrico")
            assert created_audits(env, "enrico") == [
                ["", "first ldap login; enabled: no, verified: yes"]]
            # Every request is refused the same way, and the account stays one.
            assert env.get("/data/projects", auth=ldap_auth("enrico")).status_code == 403
            # The local admin is not affected by the policy.
            assert env.get("/data/auth").status_code == 200
            # An administrator enables the account (SQL until the admin API exists).
            env.sql("UPDATE arca_account SET enabled = true WHERE login = 'enrico'")
            r = env.get("/data/auth", auth=ldap_auth("enrico"))
            assert r.status_code == 200 and logged_in_as(r) == "enrico"
        finally:
            forget(env, "enrico")
            restart_without(env, "ldap-policy")

    def test_local_admin_logs_in_while_the_directory_is_down(self, env, slapd):
        slapd.stop(kill=True)
        try:
            r = env.get("/data/auth")
            assert r.status_code == 200 and logged_in_as(r) == "admin"
            # An LDAP user cannot log in now (mod_authnz_ldap answers 500).
            assert env.get("/data/auth", auth=ldap_auth("camilla")).status_code == 500
            assert account(env, "camilla") is None
        finally:
            slapd.start()
        r = env.get("/data/auth", auth=ldap_auth("camilla"))
        forget(env, "camilla")
        assert r.status_code == 200


# ---- OpenID Connect -----------------------------------------------------------------------

@pytest.fixture(scope="class")
def oidc_site(env, oidc_provider):
    """/data/auth behind mod_auth_openidc (REMOTE_USER is the email claim); the rest of the
    API stays on Basic auth."""
    restart_with(env, "oidc", f"""
LoadModule auth_openidc_module {env.httpd_moduledir}/mod_auth_openidc.so
{oidc_provider.httpd_config(env.url(REDIRECT_PATH))}
<Location {PROTECTED_PATH}>
    SetHandler arca-rest
    AuthType openid-connect
    Require valid-user
</Location>
""")
    yield oidc_provider
    restart_without(env, "oidc", "oidc-policy")


@pytest.mark.usefixtures("oidc_site")
class TestOpenIdConnectLogin:
    def login(self, env, user, password=None):
        from oidc_env import OidcProvider
        return browser_login(env.url(PROTECTED_PATH), user,
                             password or OidcProvider.PASSWORDS[user])

    def test_first_login_creates_the_account_from_the_claims(self, env):
        try:
            s, r = self.login(env, "alice")
            assert r.status_code == 200, (r.url, r.text)
            assert r.url == env.url(PROTECTED_PATH)
            assert logged_in_as(r) == "alice@example.org"
            assert account(env, "alice@example.org") == {
                "auth_source": "oidc", "firstname": "Alice", "lastname": "Liddell",
                "email": "alice@example.org", "enabled": "t", "verified": "t",
                "no_password": "t", "site_admin": "f"}
            assert len(created_audits(env, "alice@example.org")) == 1
            # mod_auth_openidc's session cookie: no trip to the provider, same account.
            r = s.get(env.url(PROTECTED_PATH), timeout=10)
            assert r.status_code == 200 and not r.history
            assert logged_in_as(r) == "alice@example.org"
            assert len(created_audits(env, "alice@example.org")) == 1
        finally:
            forget(env, "alice@example.org")

    def test_display_name_is_split_when_given_and_family_names_are_missing(self, env):
        try:
            _, r = self.login(env, "mary")
            assert r.status_code == 200, r.text
            a = account(env, "mary@example.org")
            assert (a["firstname"], a["lastname"], a["email"]) == \
                ("Mary Ann", "Evans", "mary@example.org")
        finally:
            forget(env, "mary@example.org")

    def test_wrong_password_at_the_provider_creates_nothing(self, env):
        _, r = self.login(env, "alice", "not-alice-pw")
        assert r.status_code == 401 and not r.url.startswith(env.url("/"))
        assert account(env, "alice@example.org") is None

    def test_login_claim_sub_at_issuer_with_auto_enable_off(self, env, oidc_provider):
        restart_with(env, "oidc-policy", "ArcaLoginClaim OIDC_CLAIM_sub OIDC_CLAIM_iss\n"
                                         "ArcaAutoEnable Off\n")
        try:
            s, r = self.login(env, "ted")
            assert r.status_code == 403, r.text
            assert NOT_ENABLED in r.text and "'ted@127.0.0.1'" in r.text
            a = account(env, "ted@127.0.0.1")
            assert (a["auth_source"], a["enabled"], a["verified"]) == ("oidc", "f", "t")
            assert (a["firstname"], a["lastname"], a["email"]) == \
                ("Ted", "Nelson", "ted@example.org")
            # Basic logins have no OIDC claims: they keep REMOTE_USER as their login.
            assert env.get("/data/projects?format=json").status_code == 200
            env.sql("UPDATE arca_account SET enabled = true WHERE login = 'ted@127.0.0.1'")
            r = s.get(env.url(PROTECTED_PATH), timeout=10)
            assert r.status_code == 200 and logged_in_as(r) == "ted@127.0.0.1"
            assert account(env, "ted@example.org") is None
            # The request's user is the Arca login from then on (access log's %u).
            assert wait_for_file_text(f"{env.httpd.root}/log/access.log",
                                      ' ted@127.0.0.1 [')
            # ... already when httpd authorizes: Require arca-site-admin judges
            # ted@127.0.0.1, not REMOTE_USER (ted@example.org, which has no account).
            env.sql("UPDATE arca_account SET site_admin = true WHERE login = 'ted@127.0.0.1'")
            # (named to sort after oidc.conf, whose <Location> it overrides)
            restart_with(env, "oidc_site_admin", f"<Location {PROTECTED_PATH}>\n"
                                                 "    Require arca-site-admin\n</Location>\n")
            s, r = self.login(env, "ted")  # the provider remembers ted: no form this time
            assert r.status_code == 200 and logged_in_as(r) == "ted@127.0.0.1", r.text
            env.sql("UPDATE arca_account SET site_admin = false WHERE login = 'ted@127.0.0.1'")
            assert s.get(env.url(PROTECTED_PATH), timeout=10).status_code == 403
        finally:
            forget(env, "ted@127.0.0.1")
            restart_without(env, "oidc-policy", "oidc_site_admin")


# ---- any other httpd authn module ---------------------------------------------------------

class TestOtherAuthnModule:
    def test_claim_directives_latin1_and_auto_verify_off(self, env):
        """mod_authn_file logs in; the names come from variables ArcaClaim* name (set here
        by mod_setenvif, one of them in ISO-8859-1 as mod_auth_openidc's latin1 option
        would send it); ArcaAutoVerify Off leaves the new account unverified; a user name
        that cannot be a login is refused clearly."""
        pwfile = f"{env.tmp}/htpasswd-external"
        for i, user in enumerate(("fileuser", "svc/robot")):
            subprocess.run(["htpasswd", "-b", "-B"] + (["-c"] if i == 0 else [])
                           + [pwfile, user, "filepw"], check=True, capture_output=True)
        snippet = f"""
LoadModule authn_file_module {env.httpd_moduledir}/mod_authn_file.so
LoadModule setenvif_module {env.httpd_moduledir}/mod_setenvif.so
SetEnvIf Request_URI "^/data/auth" SITE_GIVEN=@GIVEN@ SITE_SN=@SN@ SITE_MAIL=jd@example.org
ArcaClaimFirstName SITE_GIVEN
ArcaClaimLastName SITE_SN
ArcaClaimEmail SITE_MAIL
ArcaAutoVerify Off
<Location /data/auth>
    AuthName "file"
    AuthBasicProvider file
    AuthUserFile {pwfile}
</Location>
""".encode()
        snippet = snippet.replace(b"@GIVEN@", "Jos\u00e9".encode("latin-1"))
        snippet = snippet.replace(b"@SN@", "Dur\u00e1n".encode("utf-8"))
        with open(f"{env.httpd.root}/conf/extra/external.conf", "wb") as f:
            f.write(snippet)
        env.httpd.restart()
        try:
            r = env.get("/data/auth", auth=("fileuser", "filepw"))
            assert r.status_code == 403
            assert NOT_VERIFIED in r.text and "'fileuser'" in r.text
            a = account(env, "fileuser")
            assert (a["auth_source"], a["firstname"], a["lastname"], a["email"]) == \
                ("external", "Jos\u00e9", "Dur\u00e1n", "jd@example.org")
            assert (a["enabled"], a["verified"], a["no_password"]) == ("t", "f", "t")
            env.sql("UPDATE arca_account SET verified = true WHERE login = 'fileuser'")
            r = env.get("/data/auth", auth=("fileuser", "filepw"))
            assert r.status_code == 200 and logged_in_as(r) == "fileuser"
            # A name Arca cannot take as a login is refused, saying why.
            r = env.get("/data/auth", auth=("svc/robot", "filepw"))
            assert r.status_code == 403
            assert "'svc/robot' cannot be an Arca login" in r.text
            assert "ArcaLoginClaim" in r.text
            assert account(env, "svc/robot") is None
        finally:
            forget(env, "fileuser")
            restart_without(env, "external")


# ---- directives ---------------------------------------------------------------------------

class TestLoginPolicyDirectives:
    @pytest.mark.parametrize("line, message", [
        ("ArcaAutoEnable maybe", "ArcaAutoEnable"),
        ("ArcaLoginClaim", "ArcaLoginClaim"),
        ("ArcaLoginClaim OIDC_CLAIM_sub OIDC_CLAIM_iss more", "ArcaLoginClaim"),
        ('ArcaLoginClaim "OIDC claim"', "ArcaLoginClaim 'OIDC claim': give the name of a "
                                         "request environment variable"),
        ('ArcaClaimEmail "mail;x"', "ArcaClaimEmail 'mail;x'"),
    ])
    def test_bad_values_are_refused_by_the_config_test(self, env, line, message):
        env.httpd.write_snippet("bad-policy", line + "\n")
        try:
            code, out = env.httpd.config_test()
        finally:
            env.httpd.remove_snippet("bad-policy")
        assert code != 0 and message in out, out

    def test_good_values_pass(self, env):
        env.httpd.write_snippet("policy", "ArcaAutoEnable Off\nArcaAutoVerify Off\n"
                                "ArcaLoginClaim OIDC_CLAIM_eduPersonPrincipalName\n"
                                "ArcaClaimFirstName OIDC_CLAIM_given_name\n"
                                "ArcaClaimLastName AUTHENTICATE_SN\n"
                                "ArcaClaimEmail OIDC_CLAIM_email\n")
        try:
            code, out = env.httpd.config_test()
        finally:
            env.httpd.remove_snippet("policy")
        assert code == 0, out
