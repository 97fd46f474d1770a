"""Credential changes take effect on the next request, on every process and every server
over the database: a new password, a disabled account, a removed role. Failed logins are
throttled per account and client address, answered exactly as a wrong password, and never
keep out an address that logged in recently; an unknown user looks the same."""

import base64
import http.client
import os
import time
import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter

from test_access import PASSWORD, as_user, make_user

NEW_PASSWORD = "Changed-pw-2"


class SourceAdapter(HTTPAdapter):
    """Connects from a given loopback address, so that the server sees another client."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def from_source(source, auth=None):
    s = requests.Session()
    s.mount("http://", SourceAdapter(source))
    s.auth = auth
    return s


def fresh_source():
    """A loopback address no other test uses (127.0.0.0/8 all reaches the server)."""
    raw = uuid.uuid4().bytes
    return f"127.{raw[0] % 200 + 20}.{raw[1]}.{raw[2] % 250 + 2}"


def new_user(env, prefix):
    return make_user(env, f"{prefix}_{uuid.uuid4().hex[:6]}")


def httpd_children(httpd):
    """The pids of the httpd's child processes."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == httpd.pid:
            pids.append(int(entry))
    return pids


def serving_child(httpd, conn):
    """The child process holding the server side of a client's open connection."""
    port = conn.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote = fields[1], fields[2]
                if (int(remote.rsplit(":", 1)[1], 16) == port
                        and int(local.rsplit(":", 1)[1], 16) == httpd.port):
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in httpd_children(httpd):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                pass
    return None


def set_password(env, login, password):
    r = env.session().put(env.url(f"/xapi/users/{login}"), json={"password": password})
    assert r.status_code == 200, r.text


class TestPasswordChange:
    def test_old_password_refused_at_once(self, env):
        login = new_user(env, "pwchange")
        keepalive = as_user(env, login)  # one connection, reused for every request
        for _ in range(3):
            assert keepalive.get(env.url("/data/auth")).status_code == 200
        others = [as_user(env, login) for _ in range(6)]  # more connections, more threads
        for s in others:
            assert s.get(env.url("/data/auth")).status_code == 200
        set_password(env, login, NEW_PASSWORD)
        assert keepalive.get(env.url("/data/auth")).status_code == 401
        for s in others:
            assert s.get(env.url("/data/auth")).status_code == 401
        assert requests.get(env.url("/data/auth"),
                            auth=(login, NEW_PASSWORD)).status_code == 200

    @pytest.mark.skipif(os.geteuid() != 0, reason="reads the server's sockets in /proc")
    def test_every_child_process_refuses_at_once(self, env):
        env.httpd.write_snippet("children", "StartServers 4\n")
        env.httpd.restart()
        try:
            login = new_user(env, "pwchildren")
            auth = {"Authorization": "Basic " + base64.b64encode(
                f"{login}:{PASSWORD}".encode()).decode()}
            conns = []
            for _ in range(16):  # open together, so that they spread over the children
                c = http.client.HTTPConnection("127.0.0.1", env.httpd.port, timeout=30)
                c.request("GET", "/data/auth", headers=auth)
                r = c.getresponse()
                r.read()
                assert r.status == 200
                conns.append(c)
            served = {serving_child(env.httpd, c) for c in conns}
            assert len(served - {None}) >= 2, served  # each remembers the password
            set_password(env, login, NEW_PASSWORD)
            for c in conns:  # the same connections, so the same children
                c.request("GET", "/data/auth", headers=auth)
                r = c.getresponse()
                r.read()
                assert r.status == 401
                c.close()
        finally:
            env.httpd.remove_snippet("children")
            env.httpd.restart()

    def test_sessions_and_tokens_of_before_end(self, env):
        login = new_user(env, "pwsess")
        s = as_user(env, login)
        sid = s.get(env.url("/data/JSESSION")).text
        token = s.get(env.url("/data/services/tokens/issue")).json()
        cookie = requests.Session()
        cookie.cookies.set("JSESSIONID", sid)
        assert cookie.get(env.url("/data/auth")).status_code == 200
        token_auth = (token["alias"], token["secret"])
        assert requests.get(env.url("/data/auth"), auth=token_auth).status_code == 200
        set_password(env, login, NEW_PASSWORD)
        assert cookie.get(env.url("/data/auth")).status_code == 401
        assert requests.get(env.url("/data/auth"), auth=token_auth).status_code == 401
        # what is issued after the change works
        fresh = requests.Session()
        fresh.auth = (login, NEW_PASSWORD)
        t2 = fresh.get(env.url("/data/services/tokens/issue")).json()
        assert requests.get(env.url("/data/auth"),
                            auth=(t2["alias"], t2["secret"])).status_code == 200

    def test_own_change_keeps_the_session_that_made_it(self, env):
        login = new_user(env, "pwself")
        assert env.session().put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        sessions = []
        for _ in range(2):
            r = as_user(env, login).get(env.url("/data/JSESSION"))
            c = requests.Session()
            c.cookies.set("JSESSIONID", r.text)
            sessions.append(c)
        mine, other = sessions
        r = mine.put(env.url(f"/xapi/users/{login}"), json={"password": NEW_PASSWORD})
        assert r.status_code == 200, r.text
        assert mine.get(env.url("/data/auth")).status_code == 200
        assert other.get(env.url("/data/auth")).status_code == 401

    def test_arcactl_change_reaches_a_second_server(self, env, tmp_path):
        login = new_user(env, "pwnodes")
        second = env.new_server(f"node{uuid.uuid4().hex[:6]}")
        second.start()
        try:
            clients = [(env.url(""), as_user(env, login)),
                       (second.base_url, as_user(env, login))]
            for base, s in clients:
                assert s.get(base + "/data/auth").status_code == 200
            pwfile = tmp_path / "pw"
            pwfile.write_text(NEW_PASSWORD + "\n")
            env.arcactl("user", "passwd", login, "--password-file", str(pwfile))
            for base, s in clients:
                assert s.get(base + "/data/auth").status_code == 401, base
                assert requests.get(base + "/data/auth",
                                    auth=(login, NEW_PASSWORD)).status_code == 200
        finally:
            second.stop()


class TestAccessChanges:
    def test_disable_refuses_every_credential_at_once(self, env):
        login = new_user(env, "disable")
        s = as_user(env, login)
        sid = s.get(env.url("/data/JSESSION")).text
        token = s.get(env.url("/data/services/tokens/issue")).json()
        cookie = requests.Session()
        cookie.cookies.set("JSESSIONID", sid)
        tok = requests.Session()
        tok.auth = (token["alias"], token["secret"])
        for c in (s, cookie, tok):
            assert c.get(env.url("/data/auth")).status_code == 200
        assert env.session().put(env.url(f"/xapi/users/{login}/enabled/false")).ok
        for c in (s, cookie, tok):
            assert c.get(env.url("/data/auth")).status_code in (401, 403)
        # the form login opens no session for it either
        r = requests.post(env.url("/data/services/auth"),
                          data={"username": login, "password": PASSWORD})
        assert r.status_code == 403 and "enabled" in r.text
        assert "JSESSIONID" not in r.headers.get("Set-Cookie", "")

    def test_unverified_form_login_gets_no_session(self, env):
        login = new_user(env, "unverified")
        assert env.session().put(env.url(f"/xapi/users/{login}/verified/false")).ok
        r = requests.post(env.url("/data/services/auth"),
                          data={"username": login, "password": PASSWORD})
        assert r.status_code == 403 and "verified" in r.text
        assert "JSESSIONID" not in r.headers.get("Set-Cookie", "")

    def test_removed_project_role_refused_next_request(self, env):
        login = new_user(env, "rolegone")
        admin = env.session()
        p = f"Creds{uuid.uuid4().hex[:6]}"
        assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
        assert admin.put(env.url(f"/data/projects/{p}/subjects/S1")).status_code == 201
        try:
            assert admin.put(env.url(f"/data/projects/{p}/users/Members/{login}")).ok
            s = as_user(env, login)
            url = env.url(f"/data/projects/{p}/subjects/S1?format=json")
            assert s.get(url).status_code == 200
            assert admin.delete(env.url(f"/data/projects/{p}/users/Members/{login}")).ok
            assert s.get(url).status_code in (403, 404)
        finally:
            admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))

    def test_removed_site_admin_refused_next_request(self, env):
        login = new_user(env, "admingone")
        admin = env.session()
        assert admin.put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        s = as_user(env, login)
        assert s.get(env.url("/xapi/users")).status_code == 200
        assert admin.delete(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        assert s.get(env.url("/xapi/users")).status_code == 403


def throttle_row(env, login, source):
    rows = env.sql("SELECT t.failures, extract(epoch FROM t.blocked_until - "
                   "t.last_failure_at)::int FROM arca_login_throttle t JOIN arca_account a "
                   f"ON a.id = t.account_id WHERE a.login = '{login}' AND t.source = '{source}'")
    return tuple(int(v) for v in rows[0]) if rows else None


class TestThrottling:
    def test_failures_throttle_one_address_only(self, env):
        login, attacker, owner = new_user(env, "throttled"), fresh_source(), fresh_source()
        wrong = from_source(attacker, (login, "wrong-pw"))
        answers = [wrong.get(env.url("/data/auth")) for _ in range(5)]
        assert {r.status_code for r in answers} == {401}
        right = from_source(attacker, (login, PASSWORD))
        r = right.get(env.url("/data/auth"))
        # throttled: answered exactly as a wrong password
        assert r.status_code == 401 and r.text == answers[0].text
        # the same account from another address is not kept out
        assert from_source(owner, (login, PASSWORD)).get(env.url("/data/auth")).ok
        # the back-off window grows: expire it, fail once more, and it doubles
        first = throttle_row(env, login, attacker)
        assert first[0] == 5 and first[1] >= 1
        env.sql(f"UPDATE arca_login_throttle SET blocked_until = now() "
                f"WHERE source = '{attacker}'")
        assert wrong.get(env.url("/data/auth")).status_code == 401
        second = throttle_row(env, login, attacker)
        assert second[0] == 6 and second[1] == 2 * first[1]
        # once the window is over, the right password from that address works again
        env.sql(f"UPDATE arca_login_throttle SET blocked_until = now() "
                f"WHERE source = '{attacker}'")
        assert right.get(env.url("/data/auth")).status_code == 200
        audit = env.session().get(env.url("/xapi/audit?format=json&action=login_throttled"
                                          "&limit=20")).json()["ResultSet"]["Result"]
        assert [a["object"] for a in audit].count(login) == 2

    def test_recent_login_address_never_kept_out(self, env):
        login, source = new_user(env, "trusted"), fresh_source()
        assert from_source(source, (login, PASSWORD)).get(env.url("/data/auth")).ok
        wrong = from_source(source, (login, "wrong-pw"))
        for _ in range(12):
            assert wrong.get(env.url("/data/auth")).status_code == 401
        assert from_source(source, (login, PASSWORD)).get(env.url("/data/auth")).ok

    def test_admin_cannot_be_locked_out(self, env):
        login, attacker = new_user(env, "lockadmin"), fresh_source()
        assert env.session().put(env.url(f"/xapi/users/{login}/roles/Administrator")).ok
        wrong = from_source(attacker, (login, "wrong-pw"))
        for _ in range(12):
            assert wrong.get(env.url("/data/auth")).status_code == 401
        admin = from_source(fresh_source(), (login, PASSWORD))
        assert admin.get(env.url("/xapi/users")).status_code == 200

    def test_form_login_is_throttled_too(self, env):
        login, source = new_user(env, "formthrottle"), fresh_source()
        s = from_source(source)
        for _ in range(5):
            r = s.post(env.url("/data/services/auth"),
                       data={"username": login, "password": "wrong-pw"})
            assert r.status_code == 401
        r2 = s.post(env.url("/data/services/auth"),
                    data={"username": login, "password": PASSWORD})
        assert r2.status_code == 401 and r2.text == r.text
        assert "JSESSIONID" not in r2.headers.get("Set-Cookie", "")

    def test_unknown_user_looks_like_a_wrong_password(self, env):
        login, source = new_user(env, "enum"), fresh_source()
        unknown = from_source(source, (f"nobody_{uuid.uuid4().hex[:6]}", "wrong-pw"))
        wrong = from_source(source, (login, "wrong-pw"))

        def timed(s):
            start = time.monotonic()
            r = s.get(env.url("/data/auth"))
            return r, time.monotonic() - start

        u = [timed(unknown) for _ in range(4)]
        w = [timed(wrong) for _ in range(4)]
        assert {r.status_code for r, _ in u + w} == {401}
        assert {r.text for r, _ in u} == {r.text for r, _ in w}
        # a bcrypt for the unknown user too: not an order of magnitude faster (the bound
        # is generous, as load only slows either)
        assert min(t for _, t in u) > min(t for _, t in w) / 4
