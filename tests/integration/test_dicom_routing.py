"""Custom routing for a DICOM receiver (ArcaDicomRoute): project, subject and session named
by regexes over elements, before XNAT's conventions; bad rules refused at start-up."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from arca_env import free_port

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

if not shutil.which("storescu"):
    pytest.skip("dcmtk's network tools are not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def receiver(env):
    project = f"Rt{uuid.uuid4().hex[:6]}"
    port = free_port()
    s = env.session()
    assert s.put(env.url(f"/data/projects/{project}")).status_code == 201
    env.httpd.write_snippet("dicomroute", f"""
ArcaDicomReceiver ARCA_RT 127.0.0.1:{port} dest=archive user=admin
ArcaDicomRoute ARCA_RT project "(0008,1030):^Study of ([A-Za-z0-9]+)$"
ArcaDicomRoute ARCA_RT subject "(0020,0010):^S-(.+)"
ArcaDicomRoute ARCA_RT session "(0008,0050):.+"
""")
    env.httpd.restart()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield project, port
    env.httpd.remove_snippet("dicomroute")
    env.httpd.restart()
    s.delete(env.url(f"/data/projects/{project}?removeFiles=true"))


def instances(directory, **fields):
    os.makedirs(directory, exist_ok=True)
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    paths = []
    for i in range(1, 3):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        for k, v in fields.items():
            setattr(ds, k, v)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i
        path = os.path.join(directory, f"{i}.dcm")
        ds.save_as(path, write_like_original=False)
        paths.append(path)
    return paths


def storescu(port, files):
    r = subprocess.run(["storescu", "-aec", "ARCA_RT", "127.0.0.1", str(port), *files],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rules_name_project_subject_and_session(env, receiver):
    project, port = receiver
    d = tempfile.mkdtemp(dir=env.tmp)
    # the comments say otherwise: the rules come first
    storescu(port, instances(d, StudyDescription=f"Study of {project}", StudyID="S-rt1",
                             AccessionNumber="ACC77",
                             PatientComments="Project: Nope Subject: no Session: no"))
    r = env.get(f"/data/projects/{project}/subjects/rt1/experiments/ACC77/scans?format=json")
    assert r.status_code == 200, r.text
    assert len(r.json()["ResultSet"]["Result"]) == 1


def test_no_rule_matches_then_xnats_conventions(env, receiver):
    project, port = receiver
    d = tempfile.mkdtemp(dir=env.tmp)
    storescu(port, instances(d, StudyDescription="CT CHEST", StudyID="1",
                             AccessionNumber="",
                             PatientComments=f"Project: {project} Subject: c1 Session: c2"))
    r = env.get(f"/data/projects/{project}/subjects/c1/experiments/c2?format=json")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("rule,why", [
    ('ArcaDicomRoute ARCA_X project "(0008,1030):x"', "no ArcaDicomReceiver"),
    ('ArcaDicomRoute ARCA_RT visit "(0008,1030):x"', "route project, subject or session"),
    ('ArcaDicomRoute ARCA_RT project "(0008,103):x"', "(gggg,eeee):regex"),
    ('ArcaDicomRoute ARCA_RT project "(0008,1030):(unclosed"', "does not compile"),
])
def test_bad_rules_are_refused_at_start(env, receiver, rule, why):
    env.httpd.write_snippet("dicomroute2", rule)
    try:
        rc, out = env.httpd.config_test()
        assert rc != 0 and why in out, out
    finally:
        env.httpd.remove_snippet("dicomroute2")


def findscu(port, called, level, keys):
    out = tempfile.mkdtemp()
    argv = ["findscu", "-S", "-aec", called, "-X", "-od", out, "-k",
            f"QueryRetrieveLevel={level}"]
    for k in keys:
        argv += ["-k", k]
    r = subprocess.run(argv + ["127.0.0.1", str(port)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    found = [pydicom.dcmread(os.path.join(out, f)) for f in sorted(os.listdir(out))
             if f.startswith("rsp")]
    shutil.rmtree(out)
    return found


def test_find_sees_a_session_shared_into_a_readable_project(env, receiver):
    """C-FIND answers what the receiver's user may read through a share, as REST does."""
    project, port = receiver
    other, login = f"RtO{uuid.uuid4().hex[:6]}", f"rt_{uuid.uuid4().hex[:6]}"
    s = env.session()
    assert s.put(env.url(f"/data/projects/{other}")).status_code == 201
    assert s.post(env.url("/xapi/users"), json={"username": login,
                                                "password": "Rt-pw-12"}).status_code == 201
    assert s.put(env.url(f"/data/projects/{other}/users/Members/{login}")).ok
    find_port = free_port()
    env.httpd.write_snippet("dicomroute3",
                            f"ArcaDicomReceiver ARCA_FIND 127.0.0.1:{find_port} user={login}\n")
    env.httpd.restart()
    try:
        d = tempfile.mkdtemp(dir=env.tmp)
        storescu(port, instances(d, StudyDescription=f"Study of {project}", StudyID="S-sh1",
                                 AccessionNumber="SH1"))
        uid = pydicom.dcmread(os.path.join(d, "1.dcm")).StudyInstanceUID
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", find_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        keys = [f"StudyInstanceUID={uid}", "PatientID"]
        assert findscu(find_port, "ARCA_FIND", "STUDY", keys) == []
        base = f"/data/projects/{project}/subjects/sh1"
        assert s.put(env.url(f"{base}/projects/{other}")).ok
        assert s.put(env.url(f"{base}/experiments/SH1/projects/{other}")).ok
        found = findscu(find_port, "ARCA_FIND", "STUDY", keys)
        assert [x.StudyInstanceUID for x in found] == [uid]
    finally:
        env.httpd.remove_snippet("dicomroute3")
        env.httpd.restart()
        s.delete(env.url(f"/data/projects/{other}"))
