"""An accession ID or project a user may not read answers exactly as one that does not
exist (same status, same body once the name is swapped), for GET, PUT and DELETE, at the
top of the path and below it; one the user can see but not change is still a 403."""

import uuid

import pytest

from test_access import as_user, make_user


@pytest.fixture(scope="module")
def hidden(env):
    tag = uuid.uuid4().hex[:6]
    admin = env.session()
    outsider = make_user(env, f"unk_{tag}")
    collab = make_user(env, f"unkc_{tag}")
    priv, prot = f"UnkPriv{tag}", f"UnkProt{tag}"
    ids = {}
    for p, access in ((priv, "private"), (prot, "protected")):
        assert admin.put(env.url(f"/data/projects/{p}")).status_code == 201
        assert admin.put(env.url(f"/data/projects/{p}/accessibility/{access}")).ok
        ids[p, "subject"] = admin.put(env.url(f"/data/projects/{p}/subjects/S1")).text.strip()
        r = admin.put(env.url(f"/data/projects/{p}/subjects/S1/experiments/E1"
                              "?xsiType=xnat:ctSessionData"))
        ids[p, "experiment"] = r.text.strip()
        admin.put(env.url(f"/data/projects/{p}/subjects/S1/experiments/E1/scans/1"))
    assert admin.put(env.url(f"/data/projects/{priv}?alias=UnkAlias{tag}")).ok
    assert admin.put(env.url(f"/data/projects/{priv}/users/Collaborators/{collab}")).ok
    yield {"outsider": outsider, "collab": collab, "priv": priv, "prot": prot, "ids": ids,
           "tag": tag}
    for p in (priv, prot):
        admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


# {x}: the hidden or missing name; the rest of the path is the same for both
PATHS = [
    "/data/experiments/{x}",
    "/data/experiments/{x}?format=json",
    "/data/experiments/{x}/scans",
    "/data/experiments/{x}/scans/1",
    "/data/experiments/{x}/scans/NOPE",
    "/data/experiments/{x}/resources/R/files/a.txt",
    "/data/experiments/{x}/projects",
    "/data/experiments/{x}/projects/NoSuchProject",
    "/data/subjects/{x}",
    "/data/subjects/{x}/experiments",
    "/data/subjects/{x}/projects/NoSuchProject",
]
PROJECT_PATHS = [
    "/data/projects/{x}",
    "/data/projects/{x}?format=json",
    "/data/projects/{x}/subjects",
    "/data/projects/{x}/subjects/S1",
    "/data/projects/{x}/subjects/NOPE",
    "/data/projects/{x}/subjects/S1/experiments/E1",
    "/data/projects/{x}/subjects/NOPE/experiments/E1",
    "/data/projects/{x}/experiments/E1/scans/1",
    "/data/projects/{x}/experiments/NOPE/scans/1",
    "/data/projects/{x}/resources/R/files/a.txt",
    "/data/projects/{x}/prearchive_code",
    "/data/projects/{x}/share_policy",
]


def answer(s, env, method, template, name):
    r = s.request(method, env.url(template.format(x=name)),
                  params={"xsiType": "xnat:ctSessionData"} if method == "PUT" else None)
    return r.status_code, r.text.replace(name, "NAME")


def pairs(hidden, kind):
    """(existing name the outsider may not read, missing name)"""
    ids, priv, prot = hidden["ids"], hidden["priv"], hidden["prot"]
    if kind == "project":
        return [(priv, f"NoProject{hidden['tag']}"),
                (f"UnkAlias{hidden['tag']}", f"NoAlias{hidden['tag']}")]
    # an ID in a private project and one in a protected project (listed, data hidden)
    return [(ids[p, kind], ids[p, kind][:-5] + "99999") for p in (priv, prot)]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("template", PATHS)
def test_hidden_id_answers_as_a_missing_one(env, hidden, method, template):
    s = as_user(env, hidden["outsider"])
    kind = "subject" if template.startswith("/data/subjects") else "experiment"
    for existing, missing in pairs(hidden, kind):
        got, none = answer(s, env, method, template, existing), \
            answer(s, env, method, template, missing)
        assert got == none, (method, template)
        assert got[0] == 404, got


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("template", PROJECT_PATHS)
def test_hidden_project_answers_as_a_missing_one(env, hidden, method, template):
    if method == "PUT" and template in ("/data/projects/{x}", "/data/projects/{x}?format=json"):
        pytest.skip("a PUT of a free project ID creates it")
    s = as_user(env, hidden["outsider"])
    for existing, missing in pairs(hidden, "project"):
        got, none = answer(s, env, method, template, existing), \
            answer(s, env, method, template, missing)
        assert got == none, (method, template)
        assert got[0] in (404, 405), got


def test_protected_project_refuses_alike_below_it(env, hidden):
    """A protected project is listed, so it may refuse with 403: the same 403 whether
    what is below it exists or not."""
    s, p = as_user(env, hidden["outsider"]), hidden["prot"]
    for method in ("GET", "PUT", "DELETE"):
        for below in ("", "/experiments/E1/scans/1"):
            a = s.request(method, env.url(f"/data/projects/{p}/subjects/S1{below}"))
            b = s.request(method, env.url(f"/data/projects/{p}/subjects/NOPE{below}"))
            assert a.status_code == b.status_code == 403, (method, a.text, b.text)
            assert a.text == b.text


def test_seen_but_not_changeable_stays_403(env, hidden):
    s, p = as_user(env, hidden["collab"]), hidden["priv"]
    eid = hidden["ids"][p, "experiment"]
    assert s.get(env.url(f"/data/experiments/{eid}?format=json")).status_code == 200
    for method, path in (("PUT", f"/data/experiments/{eid}?note=x"),
                         ("DELETE", f"/data/experiments/{eid}"),
                         ("PUT", f"/data/projects/{p}/subjects/S1?gender=male"),
                         ("PUT", f"/data/projects/{p}/accessibility/public")):
        assert s.request(method, env.url(path)).status_code == 403, (method, path)
