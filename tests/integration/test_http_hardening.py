"""The shipped httpd configuration against hostile or careless clients: slow clients that
would hold every worker (mod_reqtimeout, the event MPM's size), TRACE echoing credentials,
and secrets in URLs kept out of the access and error logs."""

import os
import re
import selectors
import socket
import time

import requests

SLOW_CLIENTS = 180      # more than the old MaxRequestWorkers (100)
SLOW_SECONDS = 16       # the attack's length; the header timeout is 10 s
TRICKLE_EVERY = 2.0     # a header line per connection every 2 s
ANSWER_BOUND = 5.0      # each normal request meanwhile, generous for a loaded machine


def _open_slow(port, n):
    """n connections that each sent the start of a request, never its end."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /data/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-%d: 1\r\n" % i)
        s.setblocking(False)
        socks.append(s)
    return socks


def test_slow_clients_do_not_starve_others(env):
    sel = selectors.DefaultSelector()
    socks = _open_slow(env.httpd.port, SLOW_CLIENTS)
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed_by_server = set()
    waits = []
    start = time.monotonic()
    next_trickle = start + TRICKLE_EVERY
    next_request = start + 0.5
    try:
        while time.monotonic() - start < SLOW_SECONDS:
            now = time.monotonic()
            if now >= next_trickle:  # one more header line on every open connection
                for s in socks:
                    if s not in closed_by_server:
                        try:
                            s.send(b"X-More: 1\r\n")
                        except OSError:
                            closed_by_server.add(s)
                next_trickle = now + TRICKLE_EVERY
            if now >= next_request:  # a normal client, with a bound far under the attack's
                t0 = time.monotonic()
                try:
                    r = requests.get(env.url("/data/projects"),
                                     auth=(env.ADMIN, env.ADMIN_PASSWORD),
                                     timeout=ANSWER_BOUND * 2)
                    assert r.status_code == 200, r.text
                    waits.append(time.monotonic() - t0)
                except requests.exceptions.Timeout:
                    waits.append(float("inf"))
                next_request = time.monotonic() + 0.5
            for key, _ in sel.select(timeout=0.05):  # the server answering (408) or closing
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data or data.startswith(b"HTTP/"):
                    closed_by_server.add(key.fileobj)
                    sel.unregister(key.fileobj)
    finally:
        sel.close()
        for s in socks:
            s.close()
    print(f"normal requests under {SLOW_CLIENTS} slow clients: n={len(waits)}, "
          f"max={max(waits):.3f} s, all={[round(w, 2) for w in waits]}; slow clients cut by the server: {len(closed_by_server)}")
    assert len(waits) >= 10, waits
    assert max(waits) < ANSWER_BOUND, waits
    # mod_reqtimeout ends them (10 s for the headers), not the client
    assert len(closed_by_server) >= SLOW_CLIENTS * 0.9, len(closed_by_server)


def _raw(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_trace_is_refused_and_echoes_nothing(env):
    for path in ("/", "/data/projects"):
        answer = _raw(env.httpd.port, (
            f"TRACE {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk\r\n"
            "Cookie: JSESSIONID=cookie-that-must-not-echo\r\n"
            "Connection: close\r\n\r\n").encode())
        status = answer.split(b"\r\n", 1)[0]
        assert b" 405 " in status, answer[:300]
        assert b"c2VjcmV0LXVzZXI6" not in answer
        assert b"cookie-that-must-not-echo" not in answer


def _logs(env):
    root = env.httpd.root
    text = ""
    for name in ("access.log", "error.log"):
        with open(os.path.join(root, "log", name), errors="replace") as f:
            text += f.read()
    return text


def test_token_secrets_stay_out_of_the_logs(env):
    r = env.get("/data/services/tokens/issue")
    assert r.status_code == 200, r.text
    token = r.json()
    alias, secret = token["alias"], token["secret"]
    base = f"/data/services/tokens/validate/{alias}/{secret}"
    ok = env.get(base)
    assert ok.status_code == 200 and ok.json()["valid"] == env.ADMIN, ok.text
    # also under the other mounts, with a query, and with a failed login (httpd's
    # mod_auth_basic quotes the URI in the error log then)
    assert env.get(f"/REST/services/tokens/validate/{alias}/{secret}?format=json") \
        .status_code == 200
    bad = requests.get(env.url(base), auth=(env.ADMIN, "not-the-password"), timeout=30)
    assert bad.status_code == 401
    # a password in a query string (no endpoint takes one, but a client may send it)
    requests.post(env.url("/data/services/auth?username=admin&password=query-password-x1"),
                  timeout=30)
    time.sleep(0.2)  # the access log is written as each request ends
    logs = _logs(env)
    assert re.search(r"/data/services/tokens/validate/[^ /]+/\*\*\*", logs), logs[-2000:]
    assert secret not in logs
    assert "query-password-x1" not in logs
    assert "password=***" in logs
