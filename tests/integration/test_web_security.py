"""The web pages' defences: the security headers on pages and API, deep links served by
the app but never under /data, no inline script or style in the built page, no browser
login dialog over the page's form, and stored values shown as text: a description, a
custom variable value and a file name holding markup display literally and run nothing."""

import os
import re
import uuid
from urllib.parse import quote

import pytest
import requests

from web_browser import Browser
from web_seed import import_session

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
XSS = "<img src=x onerror=alert(1)>"
XSS_FLAG = "<img src=x onerror=window.xssFlag=1>"


def test_security_headers_on_pages_and_api(env):
    for path, auth in (("/", None), ("/projects/P1/subjects/S1", None),
                       ("/favicon.svg", None), ("/data/projects", env.session().auth)):
        r = requests.get(env.url(path), auth=auth, timeout=30)
        assert r.status_code == 200, path
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"


def test_deep_links_are_the_app_but_api_paths_are_not(env):
    r = requests.get(env.url("/projects/P1/experiments/E1/scans/2"), timeout=30)
    assert r.status_code == 200 and '<div id="app">' in r.text
    r = env.get("/data/no/such/thing")
    assert r.status_code == 404 and '<div id="app">' not in r.text
    for prefix in ("/data", "/REST", "/xapi"):
        r = requests.get(env.url(f"{prefix}/no/such"), timeout=30)
        assert r.status_code == 401 and '<div id="app">' not in r.text, prefix


def test_built_page_has_no_inline_script_or_style():
    with open(os.path.join(TOP, "htdocs", "index.html")) as f:
        html = f.read()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_page_scripts_get_no_browser_login_prompt(env):
    """The page says X-Requested-With; a 401 to it has no WWW-Authenticate (which would
    open the browser's dialog over the page's form); other clients still get it."""
    r = requests.get(env.url("/data/auth"), headers={"X-Requested-With": "XMLHttpRequest"},
                     timeout=30)
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers
    r = requests.post(env.url("/data/JSESSION"), auth=("admin", "wrong"),
                      headers={"X-Requested-With": "XMLHttpRequest"}, timeout=30)
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers
    r = requests.get(env.url("/data/auth"), timeout=30)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="Arca"'


@pytest.fixture(scope="module")
def hostile(env):
    """A project whose description, a subject's custom variable and a file's name hold
    markup that would run script if a page inserted it as HTML."""
    p = f"Xss{uuid.uuid4().hex[:6]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{p}"), params={
        "description": XSS, "name": XSS_FLAG}).status_code == 201
    assert s.put(env.url(f"/xapi/projects/{p}/customVariables/subject/note1"),
                 params={"type": "string"}).status_code in (200, 201)
    r = s.put(env.url(f"/data/projects/{p}/subjects/X1"),
              params={"xnat:subjectData/fields/field[name=note1]/field": XSS})
    assert r.status_code == 201, r.text
    import_session(env, s, p, "X1", "XSess")
    r = s.put(env.url(f"/data/projects/{p}/experiments/XSess/scans/1/resources/NOTES/files/"
                      + quote(XSS, safe="")), data=b"hello")
    assert r.status_code in (200, 201), r.text
    yield p
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def test_stored_markup_is_shown_as_text(env, hostile):
    p = hostile
    b = Browser(env.httpd.base_url)
    b.expect_failure("/data/auth", 401)
    try:
        b.goto(f"/projects/{p}")
        b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
        b.wait_text("h1", lambda t: t == XSS_FLAG)
        assert XSS in b.text("dl.fields")
        b.wait(lambda d: b.js("const c = document.querySelector('#subjects tbody tr');"
                              "return c && c.textContent.includes(arguments[0])", XSS),
               what="the subject row")
        b.goto(f"/projects/{p}/subjects/X1")
        b.wait_text("dl[aria-label='Custom variables']", lambda t: XSS in t)
        b.goto(f"/projects/{p}/experiments/XSess/scans/1")
        b.wait(lambda d: b.js("return [...document.querySelectorAll('table.grid a')]"
                              ".some(a => a.textContent === arguments[0])", XSS),
               what="the file's name")
        assert not b.alert_open()
        assert b.js("return window.xssFlag") is None
        assert b.js("return document.querySelectorAll('img').length") == 0
        b.assert_clean()
    finally:
        b.close()
