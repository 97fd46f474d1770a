"""What the Manage and Admin pages added to the API: what the caller may do in a project
(GET /xapi/projects/{P}/permissions, from the one access decision) and a user's project
roles (GET /xapi/users/{u}/projects, site admins and the user)."""

import uuid

import pytest

PW = "pw-123456789"


@pytest.fixture(scope="module")
def setup(env):
    s = env.session()
    p, private = f"Perm{uuid.uuid4().hex[:6]}", f"Priv{uuid.uuid4().hex[:6]}"
    users = {role: f"{role[:3]}{uuid.uuid4().hex[:6]}" for role in
             ("Owners", "Members", "Collaborators", "nobody")}
    for login in users.values():
        r = s.post(env.url("/xapi/users"), json={"username": login, "password": PW,
                                                  "enabled": True, "verified": True})
        assert r.status_code == 201, r.text
    assert s.put(env.url(f"/data/projects/{p}"), params={"name": "Permissions"}).status_code == 201
    assert s.put(env.url(f"/data/projects/{private}")).status_code == 201
    for group in ("Owners", "Members", "Collaborators"):
        r = s.put(env.url(f"/data/projects/{p}/users/{group}/{users[group]}"))
        assert r.status_code == 200, r.text
    r = s.put(env.url(f"/data/projects/{private}/users/Members/{users['Owners']}"))
    assert r.status_code == 200, r.text
    yield p, private, users
    for x in (p, private):
        s.delete(env.url(f"/data/projects/{x}"))


@pytest.mark.parametrize("group,want", [
    ("Owners", dict(read=True, edit=True, delete=True, manage=True)),
    ("Members", dict(read=True, edit=True, delete=False, manage=False)),
    ("Collaborators", dict(read=True, edit=False, delete=False, manage=False)),
])
def test_permissions_follow_the_role(env, setup, group, want):
    p, _, users = setup
    r = env.get(f"/xapi/projects/{p}/permissions", auth=(users[group], PW))
    assert r.status_code == 200, r.text
    assert r.json() == {"project": p, **want}


def test_permissions_of_the_site_admin(env, setup):
    p = setup[0]
    assert env.get(f"/xapi/projects/{p}/permissions").json() == {
        "project": p, "read": True, "edit": True, "delete": True, "manage": True}


def test_permissions_of_a_project_one_may_not_know_is_404(env, setup):
    p, _, users = setup
    r = env.get(f"/xapi/projects/{p}/permissions", auth=(users["nobody"], PW))
    assert r.status_code == 404 and f"no project '{p}'" in r.text
    assert env.get("/xapi/projects/NoSuchProject/permissions").status_code == 404


def test_user_projects_lists_the_roles(env, setup):
    p, private, users = setup
    r = env.get(f"/xapi/users/{users['Owners']}/projects", params={"format": "json"})
    assert r.status_code == 200, r.text
    rows = r.json()["ResultSet"]["Result"]
    assert sorted((x["project"], x["group"]) for x in rows) == sorted(
        [(p, "Owners"), (private, "Members")])
    assert {x["project"]: x["name"] for x in rows}[p] == "Permissions"
    # the user reads their own; another user may not
    assert env.get(f"/xapi/users/{users['Owners']}/projects",
                   auth=(users["Owners"], PW)).status_code == 200
    r = env.get(f"/xapi/users/{users['Owners']}/projects", auth=(users["Members"], PW))
    assert r.status_code == 403
    assert env.get("/xapi/users/nosuchuser/projects").status_code == 404
    rows = env.get(f"/xapi/users/{users['nobody']}/projects",
                   params={"format": "json"}).json()["ResultSet"]["Result"]
    assert rows == []
