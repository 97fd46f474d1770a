"""Cross-site changes with a browser's cached Basic credentials: refused whatever the path
(csrf_rule.c), while scripts, which send neither Origin nor Sec-Fetch-*, pass."""

import uuid

import pytest

from test_access import as_user, make_user

# what a browser adds to a form posted from another site's page
CROSS_SITE = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
     "Sec-Fetch-Mode": "navigate", "Content-Type": "application/x-www-form-urlencoded"},
    {"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
    {"Sec-Fetch-Site": "same-site", "Content-Type": "application/x-www-form-urlencoded"},
]


@pytest.fixture(scope="module")
def basic(env):
    tag = uuid.uuid4().hex[:6]
    login = make_user(env, f"csrf_{tag}")
    s = as_user(env, login)
    project = f"Csrf{tag}"
    assert s.put(env.url(f"/data/projects/{project}")).status_code == 201
    yield s, project
    env.session().delete(env.url(f"/data/projects/{project}?removeFiles=true"))


def subject_count(env, project, label):
    return env.sql(f"SELECT count(*) FROM arca_subject_label WHERE project = '{project}' "
                   f"AND label = '{label}'")[0][0]


# a label that ends the path as the session endpoint does must not slip past the rule
@pytest.mark.parametrize("label", ["Forged", "JSESSION"])
@pytest.mark.parametrize("headers", CROSS_SITE, ids=["fetch-metadata", "origin", "same-site"])
def test_cross_site_post_with_basic_is_refused(env, basic, headers, label):
    s, project = basic
    r = s.post(env.url(f"/data/projects/{project}/subjects/{label}"), data="gender=male",
               headers=headers)
    assert r.status_code == 403, r.text
    assert "another site" in r.text
    assert subject_count(env, project, label) == "0"


def test_cross_site_file_upload_and_config_are_refused(env, basic):
    s, project = basic
    h = CROSS_SITE[0]
    r = s.post(env.url(f"/data/projects/{project}/resources/R/files/JSESSION"),
               data="x", headers=h)
    assert r.status_code == 403, r.text
    r = s.put(env.url(f"/data/projects/{project}/config/t/JSESSION?inbody=true"),
              data="x", headers=h)
    assert r.status_code == 403, r.text
    assert env.sql(f"SELECT count(*) FROM arca_resource WHERE project = '{project}'") \
        == [["0"]]


def test_cross_site_login_is_refused(env, basic):
    """POST /data/JSESSION makes a session: a change like any other."""
    s, _ = basic
    assert s.post(env.url("/data/JSESSION"), headers=CROSS_SITE[0]).status_code == 403


def test_the_same_request_from_a_script_works(env, basic):
    s, project = basic
    r = s.post(env.url(f"/data/projects/{project}/subjects/Scripted"), data="gender=male",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201, r.text
    assert subject_count(env, project, "Scripted") == "1"
    r = s.put(env.url(f"/data/projects/{project}/subjects/JSESSION"))
    assert r.status_code == 201, r.text


def test_same_origin_page_with_basic_works(env, basic):
    s, project = basic
    origin = env.httpd.base_url.rstrip("/")
    r = s.post(env.url(f"/data/projects/{project}/subjects/FromPage"),
               headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 201, r.text


def test_logging_out_cross_site_stays_allowed(env, basic):
    s, _ = basic
    assert s.delete(env.url("/data/JSESSION"), headers=CROSS_SITE[0]).status_code != 403
