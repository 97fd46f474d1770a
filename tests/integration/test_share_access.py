"""Who may share a subject or session into another project (authz.c, arca_can_share):
every role in the source project x its accessibility x the destination's, under the
default rule (the source's Owners; its Members too when its share_policy says so) and
under `ArcaShareRule xnat` (whoever reads the object); who may remove a share."""

import uuid

import pytest

from test_access import as_user, make_user

ACCESS = ("private", "protected", "public")
ROLES = ("owner", "member", "collaborator", "none", "admin")
GROUPS = {"owner": "Owners", "member": "Members", "collaborator": "Collaborators"}


@pytest.fixture(scope="module")
def world(env):
    """A source project of each accessibility with S1/E1, each user holding its role in
    all three; each user owning a destination project of each accessibility."""
    tag = uuid.uuid4().hex[:6]
    admin = env.session()
    users = {role: make_user(env, f"sh{role[:5]}_{tag}") for role in ROLES if role != "admin"}
    sources, dests, ids = {}, {}, {}
    for access in ACCESS:
        src = f"ShSrc{access.title()}{tag}"
        assert admin.put(env.url(f"/data/projects/{src}")).status_code == 201
        assert admin.put(env.url(f"/data/projects/{src}/accessibility/{access}")).ok
        admin.put(env.url(f"/data/projects/{src}/subjects/S1"))
        r = admin.put(env.url(f"/data/projects/{src}/subjects/S1/experiments/E1"
                              "?xsiType=xnat:ctSessionData"))
        assert r.status_code == 201, r.text
        ids[access] = r.text.strip()
        for role, group in GROUPS.items():
            assert admin.put(env.url(f"/data/projects/{src}/users/{group}/"
                                     f"{users[role]}")).ok
        sources[access] = src
        for role in ROLES:
            dst = f"ShDst{role[:3].title()}{access.title()}{tag}"
            assert admin.put(env.url(f"/data/projects/{dst}")).status_code == 201
            assert admin.put(env.url(f"/data/projects/{dst}/accessibility/{access}")).ok
            if role in users:
                assert admin.put(env.url(f"/data/projects/{dst}/users/Owners/"
                                         f"{users[role]}")).ok
            dests[role, access] = dst
    yield {"users": users, "sources": sources, "dests": dests, "ids": ids, "tag": tag}
    for p in list(sources.values()) + list(dests.values()):
        admin.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def session_of(env, world, role):
    return env.session() if role == "admin" else as_user(env, world["users"][role])


def shared(env, table, key, obj, project):
    return env.sql(f"SELECT count(*) FROM {table} WHERE {key} = '{obj}' "
                   f"AND project = '{project}'")[0][0] == "1"


def subject_id(env, project):
    return env.sql(f"SELECT subject_id FROM arca_subject_label WHERE project = '{project}' "
                   "AND label = 'S1'")[0][0]


def expected(rule, role, src_access, by_id):
    """(may share, status of a refusal) for a user owning the destination; by_id: the
    path starts with the object's accession ID rather than its project."""
    if role in ("owner", "admin"):
        return True, None
    reads = role in ("member", "collaborator") or src_access == "public"
    if rule == "xnat" and reads:
        return True, None
    if reads:
        return False, 403
    # the data is hidden: an ID is not known, nor a private project; a protected project
    # is listed, so it refuses as it does any change
    return False, 404 if by_id or src_access == "private" else 403


def share_matrix(env, world, rule, role, src_access, dst_access):
    s, admin = session_of(env, world, role), env.session()
    src, dst = world["sources"][src_access], world["dests"][role, dst_access]
    eid, sid = world["ids"][src_access], subject_id(env, src)
    attempts = [
        (f"/data/projects/{src}/subjects/S1/projects/{dst}", "arca_subject_label",
         "subject_id", sid),
        (f"/data/projects/{src}/subjects/S1/experiments/E1/projects/{dst}",
         "arca_experiment_label", "experiment_id", eid),
        (f"/data/experiments/{eid}/projects/{dst}?label=E1b", "arca_experiment_label",
         "experiment_id", eid),
    ]
    try:
        for path, table, key, obj in attempts:
            allowed, status = expected(rule, role, src_access, path.startswith("/data/exp"))
            r = s.put(env.url(path))
            if allowed:
                assert r.status_code == 200, (path, r.text)
                assert shared(env, table, key, obj, dst)
                assert admin.delete(env.url(path.split("?")[0])).ok
            else:
                assert r.status_code == status, (path, r.text)
                assert not shared(env, table, key, obj, dst)
                assert "<html" not in r.text.lower()
    finally:
        for path, _, _, _ in attempts:
            admin.delete(env.url(path.split("?")[0]))


@pytest.mark.parametrize("dst_access", ACCESS)
@pytest.mark.parametrize("src_access", ACCESS)
@pytest.mark.parametrize("role", ROLES)
def test_share_out_needs_the_source_owner(env, world, role, src_access, dst_access):
    share_matrix(env, world, "owner", role, src_access, dst_access)


@pytest.fixture
def xnat_rule(env):
    env.httpd.write_snippet("share-rule", "ArcaShareRule xnat\n")
    env.httpd.restart()
    yield
    env.httpd.remove_snippet("share-rule")
    env.httpd.restart()


def test_xnat_rule_lets_readers_share(env, world, xnat_rule):
    """One restart for the whole matrix under `ArcaShareRule xnat`."""
    for role in ROLES:
        for src_access in ACCESS:
            for dst_access in ACCESS:
                share_matrix(env, world, "xnat", role, src_access, dst_access)


def test_share_rule_directive_checks_its_value(env):
    env.httpd.write_snippet("share-rule-bad", "ArcaShareRule anyone\n")
    try:
        rc, out = env.httpd.config_test()
        assert rc != 0 and "anyone" in out
    finally:
        env.httpd.remove_snippet("share-rule-bad")


def test_the_reported_leak_is_closed(env, world):
    """A collaborator makes a public project of their own and shares a private session
    into it: refused, and another user still cannot read the session there."""
    tag = world["tag"]
    collab = as_user(env, world["users"]["collaborator"])
    other = as_user(env, world["users"]["none"])
    src, eid = world["sources"]["private"], world["ids"]["private"]
    pub = f"CPub{tag}"
    assert collab.put(env.url(f"/data/projects/{pub}")).status_code == 201
    try:
        assert collab.put(env.url(f"/data/projects/{pub}/accessibility/public")).ok
        for path in (f"/data/projects/{src}/subjects/S1/experiments/E1/projects/{pub}",
                     f"/data/projects/{src}/subjects/S1/projects/{pub}",
                     f"/data/experiments/{eid}/projects/{pub}"):
            assert collab.put(env.url(path)).status_code == 403
        assert other.get(env.url(f"/data/experiments/{eid}?format=json")).status_code == 404
        assert other.get(env.url(f"/data/projects/{pub}/experiments?format=json")) \
            .json()["ResultSet"]["Result"] == []
    finally:
        env.session().delete(env.url(f"/data/projects/{pub}"))


def test_destination_needs_member_or_owner(env, world):
    """The source's owner shares only where they may add data."""
    admin, owner = env.session(), as_user(env, world["users"]["owner"])
    src, tag = world["sources"]["private"], world["tag"]
    login = world["users"]["owner"]
    for role, group in (("member", "Members"), ("collaborator", "Collaborators"),
                        ("none", None)):
        dst = f"ShIn{role[:3].title()}{tag}"
        assert admin.put(env.url(f"/data/projects/{dst}")).status_code == 201
        try:
            if group:
                assert admin.put(env.url(f"/data/projects/{dst}/users/{group}/{login}")).ok
            r = owner.put(env.url(f"/data/projects/{src}/subjects/S1/projects/{dst}"))
            assert r.status_code == {"member": 200, "collaborator": 403, "none": 404}[role], \
                r.text
        finally:
            admin.delete(env.url(f"/data/projects/{dst}"))


def test_share_policy_extends_to_members_never_collaborators(env, world):
    admin = env.session()
    member = as_user(env, world["users"]["member"])
    collab = as_user(env, world["users"]["collaborator"])
    owner = as_user(env, world["users"]["owner"])
    src = world["sources"]["private"]
    url = env.url(f"/data/projects/{src}/share_policy")
    assert member.get(url).text == "owners"
    # only the source's owners change it
    assert member.put(url + "/members").status_code == 403
    assert collab.put(url + "/members").status_code == 403
    assert owner.put(url + "/everyone").status_code == 400
    assert owner.put(url + "/members").status_code == 200
    try:
        assert member.get(url).text == "members"
        dst_m = world["dests"]["member", "private"]
        dst_c = world["dests"]["collaborator", "private"]
        r = member.put(env.url(f"/data/projects/{src}/subjects/S1/projects/{dst_m}"))
        assert r.status_code == 200, r.text
        r = collab.put(env.url(f"/data/projects/{src}/subjects/S1/projects/{dst_c}"))
        assert r.status_code == 403, r.text
        # moving the subject out (primary=true) stays with the owners
        r = member.put(env.url(f"/data/projects/{src}/subjects/S1/projects/{dst_m}"
                               "?primary=true"))
        assert r.status_code == 403, r.text
        admin.delete(env.url(f"/data/projects/{src}/subjects/S1/projects/{dst_m}"))
    finally:
        assert owner.put(url + "/owners").ok
    other = as_user(env, world["users"]["none"])
    assert other.get(url).status_code == 404  # private: not known to outsiders


def test_who_removes_a_share(env, world):
    """The source's owners, or those who may add data to the destination; not a
    collaborator of the source, not a collaborator of the destination."""
    admin, tag = env.session(), world["tag"]
    src = world["sources"]["public"]
    users = world["users"]
    dst = f"ShRm{tag}"
    assert admin.put(env.url(f"/data/projects/{dst}")).status_code == 201
    assert admin.put(env.url(f"/data/projects/{dst}/accessibility/public")).ok
    assert admin.put(env.url(f"/data/projects/{dst}/users/Members/{users['member']}")).ok
    assert admin.put(env.url(f"/data/projects/{dst}/users/Collaborators/"
                             f"{users['none']}")).ok
    sid = subject_id(env, src)
    share = f"/data/projects/{src}/subjects/S1/projects/{dst}"
    through_dst = f"/data/projects/{dst}/subjects/S1"
    try:
        for role, path, status in (("collaborator", share, 403), ("none", share, 403),
                                   ("none", through_dst, 403), ("member", share, 200),
                                   ("owner", through_dst, 200),
                                   ("owner", f"/data/subjects/{sid}/projects/{dst}", 200)):
            assert admin.put(env.url(share)).ok
            r = as_user(env, users[role]).delete(env.url(path))
            assert r.status_code == status, (role, path, r.text)
            assert shared(env, "arca_subject_label", "subject_id", sid, dst) \
                == (status != 200)
    finally:
        admin.delete(env.url(f"/data/projects/{dst}"))
