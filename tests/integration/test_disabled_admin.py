"""A site admin whose account is disabled keeps no power: the session and the alias token
it opened while enabled still reach the server, and every endpoint that needs a site
admin answers 401 or 403 and changes nothing. The list walks routes.c (and
/xapi/dicomscp of mod_arca_dicom): accounts, roles, groups, flags, the audit trail, the
site's configuration and anonymisation script, tokens of others, the prearchive of every
project and its Unassigned data, others' stored searches, and a private project the
admin holds no role in. (There is no route to other users' sessions.)"""

import os
import re
import uuid

import pytest
import requests

from test_access import PASSWORD, as_user, make_user
from test_prearchive import folder, upload

SEARCH = ('<xdat:bundle xmlns:xdat="http://nrg.wustl.edu/security" ID="@xnat:subjectData">'
          "<xdat:root_element_name>xnat:subjectData</xdat:root_element_name>"
          "<xdat:search_field><xdat:element_name>xnat:subjectData</xdat:element_name>"
          "<xdat:field_ID>SUBJECT_LABEL</xdat:field_ID></xdat:search_field>"
          '<xdat:search_where method="AND"/>'
          "<xdat:allowed_user><xdat:login>{owner}</xdat:login></xdat:allowed_user>"
          "</xdat:bundle>")

ANON = 'version "6.1"\n-(0010,1040)\n'

# (method, path, body): each needs a site admin (or, for the project, a role the admin
# does not hold). {self}: the disabled admin; {other}: another user; {admin}: the
# enabled admin; {p}: a private project; {unassigned}: a prearchive session no project
# claimed; {search}: the other user's private stored search; {alias}: the other's token.
ADMIN_ONLY = [
    ("GET", "/xapi/users", None),
    ("POST", "/xapi/users", {"username": "{new}", "password": PASSWORD}),
    ("GET", "/xapi/users/{other}", None),
    ("PUT", "/xapi/users/{other}", {"email": "taken@example.org"}),
    ("PUT", "/xapi/users/{other}", {"password": "Taken-over-pw-1"}),
    ("PUT", "/xapi/users/{self}", {"enabled": True}),
    ("GET", "/xapi/users/{other}/enabled", None),
    ("GET", "/xapi/users/{other}/verified", None),
    ("PUT", "/xapi/users/{other}/enabled/false", None),
    ("PUT", "/xapi/users/{self}/enabled/true", None),
    ("GET", "/xapi/users/{other}/roles", None),
    ("PUT", "/xapi/users/{other}/roles/Administrator", None),
    ("DELETE", "/xapi/users/{admin}/roles/Administrator", None),
    ("PUT", "/xapi/users/{other}/roles/Non_Expiring", None),
    ("GET", "/xapi/users/{other}/groups", None),
    ("PUT", "/xapi/users/{other}/groups/ALL_DATA_ADMIN", None),
    ("PUT", "/xapi/users/{self}/groups/ALL_DATA_ACCESS", None),
    ("GET", "/xapi/audit?format=json", None),
    ("GET", "/data/config/anon/script?contents=true", None),
    ("GET", "/data/config/anon/script?action=getHistory", None),
    ("PUT", "/data/config/arcatest/site-doc?inbody=true", "taken"),
    ("POST", "/data/config/arcatest/site-doc?inbody=true", "taken"),
    ("PUT", "/data/config/anon/script?status=disabled", None),
    ("GET", "/xapi/anonymize/site", None),
    ("PUT", "/xapi/anonymize/site", ANON),
    ("GET", "/xapi/anonymize/site/enabled", None),
    ("PUT", "/xapi/anonymize/site/enabled/false", None),
    ("PUT", "/xapi/anonymize/site/enabled?enable=false", None),
    ("GET", "/data/services/tokens/issue/user/{other}", None),
    ("GET", "/data/services/tokens/invalidate/{alias}", None),
    ("GET", "/data/prearchive/projects?format=json", None),
    ("GET", "/data/prearchive/projects/Unassigned?format=json", None),
    ("GET", "/data{unassigned}?format=json", None),
    ("GET", "/data{unassigned}/scans?format=json", None),
    ("POST", "/data{unassigned}?action=move&newProject={p}", None),
    ("POST", "/data{unassigned}?action=set-status&status=ERROR", None),
    ("DELETE", "/data{unassigned}", None),
    ("POST", "/data/services/prearchive/delete?src={unassigned}", None),
    ("POST", "/data/services/prearchive/move?src={unassigned}&newProject={p}", None),
    ("POST", "/data/services/archive?src={unassigned}&project={p}&subject=Taken", None),
    ("GET", "/data/search/saved?format=json", None),
    ("GET", "/data/search/saved/{search}", None),
    ("GET", "/data/search/saved/{search}/results?format=json", None),
    ("PUT", "/data/search/saved/{search}?inbody=true", "search"),
    ("DELETE", "/data/search/saved/{search}", None),
    ("GET", "/data/projects/{p}?format=json", None),
    ("GET", "/data/projects/{p}/subjects?format=json", None),
    ("PUT", "/data/projects/{p}/subjects/Taken", None),
    ("DELETE", "/data/projects/{p}/subjects/S1", None),
    ("GET", "/data/projects/{p}/users?format=json", None),
    ("PUT", "/data/projects/{p}/users/Owners/{self}", None),
    ("PUT", "/data/projects/{p}/accessibility/public", None),
    ("PUT", "/data/projects/{p}/prearchive_code/4", None),
    ("PUT", "/data/projects/{p}/config/arcatest/doc?inbody=true", "taken"),
    ("PUT", "/xapi/projects/{p}/customVariables/subject/taken?type=integer", None),
    ("PUT", "/xapi/anonymize/projects/{p}", ANON),
    ("DELETE", "/data/projects/{p}?removeFiles=true", None),
    ("GET", "/xapi/dicomscp", None),
    ("GET", "/xapi/dicomscp/1", None),
]


@pytest.fixture(scope="module")
def setting(env):
    """The disabled admin's live session (with its CSRF token) and alias token, and what
    it must not reach."""
    tag = uuid.uuid4().hex[:6]
    admin = env.session()
    other = make_user(env, f"bystander_{tag}")
    me = make_user(env, f"fallen_{tag}")
    assert admin.put(env.url(f"/xapi/users/{me}/roles/Administrator")).ok
    p = f"Fallen{tag}"
    assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
    assert admin.put(env.url(f"/data/projects/{p}/subjects/S1")).status_code == 201
    search = f"private_{tag}"
    r = as_user(env, other).put(env.url(f"/data/search/saved/{search}?inbody=true"),
                                data=SEARCH.format(owner=other))
    assert r.status_code == 201, r.text
    alias = as_user(env, other).get(env.url("/data/services/tokens/issue")).json()["alias"]
    unassigned = upload(env, None, subject=None, session=None)
    assert unassigned.startswith("/prearchive/projects/Unassigned/")

    # the session and the token, opened while the account was a working site admin
    r = as_user(env, me).get(env.url("/data/JSESSION?CSRF=true"))
    sid, csrf = re.fullmatch(r"(\S+); XNAT_CSRF=(\S+)", r.text).groups()
    token = as_user(env, me).get(env.url("/data/services/tokens/issue")).json()
    s = {"me": me, "other": other, "p": p, "search": search, "alias": alias,
         "unassigned": unassigned, "sid": sid, "csrf": csrf, "token": token}
    for how in ("session", "token"):
        assert client(s, how).get(env.url("/xapi/users")).status_code == 200, how
    assert admin.put(env.url(f"/xapi/users/{me}/enabled/false")).ok
    yield s
    admin.delete(env.url(f"/data{unassigned}"))
    as_user(env, other).delete(env.url(f"/data/search/saved/{search}"))
    admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def client(s, how):
    c = requests.Session()
    if how == "session":  # the cookie alone, with the session's CSRF token for changes
        c.cookies.set("JSESSIONID", s["sid"])
        c.headers["X-XNAT-CSRF"] = s["csrf"]
    else:
        c.auth = (s["token"]["alias"], s["token"]["secret"])
    return c


def state(env, s):
    """Everything an admin endpoint could change, as the database and disk hold it."""
    ids = (f"(SELECT id FROM arca_account WHERE login IN ('{s['me']}', '{s['other']}', "
           f"'{env.ADMIN}'))")
    queries = [
        "SELECT login, enabled, verified, site_admin, data_access, non_expiring, "
        "coalesce(password_hash, ''), firstname, lastname, email FROM arca_account "
        "ORDER BY login",
        f"SELECT alias, expires_at FROM arca_token WHERE account_id IN {ids} ORDER BY alias",
        "SELECT id, tool, path, coalesce(project, ''), version, status, contents "
        "FROM arca_config ORDER BY id",
        f"SELECT id, owner_id, users, document FROM arca_saved_search "
        f"WHERE id = '{s['search']}'",
        f"SELECT id, project, folder, status FROM arca_prearchive WHERE project IN "
        f"('Unassigned', '{s['p']}') ORDER BY id",
        f"SELECT id, accessibility FROM arca_project WHERE id = '{s['p']}'",
        f"SELECT account_id, role FROM arca_project_member WHERE project = '{s['p']}' "
        "ORDER BY 1",
        f"SELECT label FROM arca_subject_label WHERE project = '{s['p']}' ORDER BY 1",
        f"SELECT name FROM arca_field_def WHERE project = '{s['p']}' ORDER BY 1",
        f"SELECT count(*) FROM arca_audit WHERE actor = '{s['me']}' "
        "AND action NOT LIKE 'login%'",
    ]
    one = ", ".join(f"(SELECT json_agg(t) FROM ({q}) t)" for q in queries)
    return env.sql(f"SELECT {one}") + [os.path.isdir(folder(env, s["unassigned"]))]


@pytest.mark.parametrize("how", ["session", "token"])
@pytest.mark.parametrize("method, template, body", ADMIN_ONLY,
                         ids=[f"{m} {t.split('?')[0]}" for m, t, _ in ADMIN_ONLY])
def test_disabled_admin_gets_nothing(env, setting, how, method, template, body):
    s = setting
    values = {"self": s["me"], "other": s["other"], "admin": env.ADMIN, "p": s["p"],
              "unassigned": s["unassigned"], "search": s["search"], "alias": s["alias"],
              "new": f"made_{uuid.uuid4().hex[:6]}"}
    url = env.url(template.format(**values))
    kw = {}
    if isinstance(body, dict):
        kw["json"] = {k: v.format(**values) if isinstance(v, str) else v
                      for k, v in body.items()}
    elif body == "search":
        kw["data"] = SEARCH.format(owner=s["me"])
    elif body is not None:
        kw["data"] = body
    before = state(env, s)
    r = client(s, how).request(method, url, timeout=30, **kw)
    assert r.status_code in (401, 403), (r.status_code, r.text[:300])
    assert s["other"] not in r.text  # nothing about the other account
    assert state(env, s) == before
