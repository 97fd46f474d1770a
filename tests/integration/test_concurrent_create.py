"""Concurrent creation of one new name: every request succeeds and one object is made
(PUTs of one new subject or session label; uploads into a resource that does not exist
yet, none of them lost)."""

import threading
import uuid

import pytest

THREADS = 12


@pytest.fixture
def project(env):
    p = f"Conc{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def at_once(n, fn):
    """fn(i) in n threads released together; their results in order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported by the assertion
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def statuses(results):
    return [getattr(r, "status_code", repr(r)) for r in results]


def test_same_new_subject_label(env, project):
    url = env.url(f"/data/projects/{project}/subjects/Twin")
    res = at_once(THREADS, lambda i: env.session().put(url, timeout=60))
    assert all(s in (200, 201) for s in statuses(res)), [(r.status_code, r.text) for r in res]
    assert sum(r.status_code == 201 for r in res) == 1
    assert len({r.text.strip() for r in res}) == 1  # one ID for all
    rows = env.session().get(env.url(f"/data/projects/{project}/subjects?format=json")).json()
    assert [s["label"] for s in rows["ResultSet"]["Result"]] == ["Twin"]


def test_same_new_session_label_in_a_new_subject(env, project):
    url = env.url(f"/data/projects/{project}/subjects/NewSub/experiments/Sess1"
                  "?xsiType=xnat:mrSessionData")
    res = at_once(THREADS, lambda i: env.session().put(url, timeout=60))
    assert all(s in (200, 201) for s in statuses(res)), [(r.status_code, r.text) for r in res]
    assert sum(r.status_code == 201 for r in res) == 1
    assert len({r.text.strip() for r in res}) == 1
    s = env.session()
    subjects = s.get(env.url(f"/data/projects/{project}/subjects?format=json")).json()
    assert len(subjects["ResultSet"]["Result"]) == 1
    exps = s.get(env.url(f"/data/projects/{project}/experiments?format=json")).json()
    assert [e["label"] for e in exps["ResultSet"]["Result"]] == ["Sess1"]


def test_uploads_into_a_resource_that_does_not_exist_yet(env, project):
    s = env.session()
    assert s.put(env.url(f"/data/projects/{project}/subjects/S1")).status_code == 201
    base = env.url(f"/data/projects/{project}/subjects/S1/resources/NOTES/files")
    res = at_once(8, lambda i: env.session().put(f"{base}/note{i}.txt?inbody=true",
                                                 data=f"note {i}\n".encode(), timeout=60))
    assert all(st in (200, 201) for st in statuses(res)), \
        [(getattr(r, "status_code", None), getattr(r, "text", r)) for r in res]
    files = s.get(f"{base}?format=json").json()["ResultSet"]["Result"]
    assert sorted(f["Name"] for f in files) == sorted(f"note{i}.txt" for i in range(8))
    resources = s.get(env.url(f"/data/projects/{project}/subjects/S1/resources"
                              "?format=json")).json()["ResultSet"]["Result"]
    assert len(resources) == 1
    for i in range(8):
        assert s.get(f"{base}/note{i}.txt").content == f"note {i}\n".encode()
