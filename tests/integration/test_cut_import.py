"""An import cut short leaves no empty session folders, and fsck finds and removes empty
folder trees below the archive."""

import os
import re
import uuid

import pytest

from test_import import instances, zipped, import_


@pytest.fixture
def project(env):
    p = f"Cut{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def empty_dirs(top):
    return [d for d, subdirs, files in os.walk(top) if not subdirs and not files]


def test_truncated_zip_leaves_no_session_folders(env, project):
    body = zipped(instances(2, 2))
    r = import_(env, body[: len(body) * 3 // 4], project, session="CutSess")
    assert r.status_code >= 400, r.text
    arc = os.path.join(env.httpd.root, "archive", project)
    assert not os.path.exists(os.path.join(arc, "arc001", "CutSess")), \
        [d for d, _, _ in os.walk(arc)]
    assert empty_dirs(os.path.join(arc, "arc001")) in ([], [os.path.join(arc, "arc001")])


def fsck(env, *args):
    r = env.arcactl("fsck", "--archive", os.path.join(env.httpd.root, "archive"),
                    "--min-age", "0", *args, check=False)
    m = re.search(r"empty-dir (\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    return r, int(m.group(1))


def test_fsck_reports_and_removes_a_planted_empty_session_tree(env, project):
    ghost = os.path.join(env.httpd.root, "archive", project, "arc001", "Ghost")
    os.makedirs(os.path.join(ghost, "SCANS", "1", "DICOM"))
    _, found = fsck(env)
    assert found >= 4  # DICOM, 1, SCANS and Ghost itself
    assert os.path.isdir(ghost)  # reported only
    _, found = fsck(env, "--remove-orphans")
    assert found >= 4
    assert not os.path.exists(ghost)
