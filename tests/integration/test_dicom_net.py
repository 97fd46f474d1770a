"""DICOM network services with real peers (dcmtk's echoscu, storescu, findscu, movescu,
getscu, storescp): the listener httpd supervises, C-STORE into the import path, C-FIND
limited by the receiver's user, C-MOVE and C-GET, and the failures that must store
nothing."""

import glob
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import dicom_pdu as pdu
from arca_env import free_port

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

if not shutil.which("storescu"):
    pytest.skip("dcmtk's network tools are not installed", allow_module_level=True)

PHI_NAME = "Bianchi^Lucia"
PHI_ID = "PAT-9911-SECRET"


class Dicom:
    """The receivers of this module's httpd configuration."""

    def __init__(self, env):
        self.env = env
        tag = uuid.uuid4().hex[:6]
        self.project = f"Dcm{tag}"
        self.other = f"DcmO{tag}"
        self.port_arc = free_port()
        self.port_pre = free_port()
        self.port_ltd = free_port()
        self.port_nosync = free_port()
        self.port_scp = free_port()
        self.tmp = tempfile.mkdtemp(prefix="dicomnet-", dir=env.tmp)
        s = env.session()
        for p in (self.project, self.other):
            assert s.put(env.url(f"/data/projects/{p}")).status_code == 201
        # the built-in site script (other tests may have left another one in force)
        default = s.get(env.url("/xapi/anonymize/default")).text
        r = s.put(env.url("/data/config/anon/script"), params={"status": "enabled"},
                  data=default)
        assert r.status_code in (200, 201), r.text
        # a user who may read only the other project
        env.arcactl("user", "add", "dcmreader", "--password-file", self._pw())
        r = s.put(env.url(f"/data/projects/{self.other}/users/Members/dcmreader"))
        assert r.status_code in (200, 201), r.text
        env.httpd.write_snippet("dicom", f"""
ArcaDicomReceiver ARCA_ARC 127.0.0.1:{self.port_arc} project={self.project} dest=archive user=admin
ArcaDicomReceiver ARCA_PRE 127.0.0.1:{self.port_pre} user=admin
ArcaDicomReceiver ARCA_LTD 127.0.0.1:{self.port_ltd} user=dcmreader callers=FRIEND,STORESCU
ArcaDicomReceiver ARCA_NOSYNC 127.0.0.1:{self.port_nosync} project={self.project} dest=archive user=admin sync=off
ArcaDicomPeer STORESCP 127.0.0.1:{self.port_scp}
ArcaDicomTimeout 5
ArcaPrearchiveIdle 2
""")
        env.httpd.restart()
        self.wait_listening(self.port_arc)

    def _pw(self):
        path = os.path.join(self.env.tmp, "dcmreader-pw")
        with open(path, "w") as f:
            f.write("dcmreader-password\n")
        return path

    def wait_listening(self, port, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nothing listens on {port}:\n{self.env.httpd.error_log()[-3000:]}")

    def close(self):
        self.env.httpd.remove_snippet("dicom")
        self.env.httpd.restart()
        s = self.env.session()
        for p in (self.project, self.other):
            s.delete(self.env.url(f"/data/projects/{p}?removeFiles=true"))
        self.env.sql("DELETE FROM arca_account WHERE login = 'dcmreader'")


@pytest.fixture(scope="module")
def dicom(env):
    d = Dicom(env)
    yield d
    d.close()


def run(argv, check=True, timeout=60, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} -> {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def write_instances(directory, project, subject, session, n_series=1, per_series=3,
                    study_uid=None, source="CT_small.dcm", size=None):
    """Instances with PHI and XNAT's routing comment, written as files; their paths."""
    os.makedirs(directory, exist_ok=True)
    study_uid = study_uid or pydicom.uid.generate_uid()
    paths = []
    for s in range(1, n_series + 1):
        series_uid = pydicom.uid.generate_uid()
        for i in range(1, per_series + 1):
            ds = pydicom.dcmread(get_testdata_file(source))
            ds.PatientName, ds.PatientID = PHI_NAME, PHI_ID
            ds.PatientComments = f"Project: {project} Subject: {subject} Session: {session}"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesNumber, ds.InstanceNumber = s, i
            if size:  # size x size, 16-bit noise: about 0.5 MB at 512
                ds.Rows = ds.Columns = size
                ds.PixelData = os.urandom(size * size * 2)
            path = os.path.join(directory, f"{s}_{i}.dcm")
            ds.save_as(path, write_like_original=False)
            paths.append(path)
    return study_uid, paths


def storescu(port, called, files, caller="STORESCU", extra=(), check=True):
    return run(["storescu", "-aet", caller, "-aec", called, *extra, "127.0.0.1", str(port),
                *files], check=check)


def file_rows(env, project, session=None):
    where = f"e.project = '{project}'"
    if session:
        where += (f" AND e.id IN (SELECT experiment_id FROM arca_experiment_label "
                  f"WHERE label = '{session}')")
    return int(env.sql(
        "SELECT count(*) FROM arca_file f JOIN arca_resource r ON r.pk = f.resource_pk "
        "JOIN arca_scan s ON s.pk = r.scan_pk JOIN arca_experiment e ON e.id = "
        f"s.experiment_id WHERE {where}")[0][0])


def daemon_pid(env):
    """The listener's pid, from its start-up line in the error log."""
    lines = [line for line in env.httpd.error_log().splitlines() if "ARCA10303" in line]
    return int(lines[-1].rsplit("pid ", 1)[1].rstrip(")")) if lines else None


def rows_have_files(env, project):
    for (path,) in env.sql(
            "SELECT r.dir || '/' || f.path FROM arca_file f JOIN arca_resource r ON r.pk = "
            f"f.resource_pk JOIN arca_scan s ON s.pk = r.scan_pk JOIN arca_experiment e ON "
            f"e.id = s.experiment_id WHERE e.project = '{project}'"):
        assert os.path.exists(os.path.join(env.httpd.root, "archive", path)), path


def no_damage(env):
    """`arcactl fsck --min-age 0` over the archive and prearchive reports no row without
    its file, no file of another size, no misplaced path (orphans and temp files are not
    damage: an object cut off mid-write may leave them, for fsck to tidy)."""
    root = env.httpd.root
    r = env.arcactl("fsck", "--min-age", "0", "--archive", os.path.join(root, "archive"),
                    "--prearchive", os.path.join(root, "prearchive"), check=False)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    bad = [line for line in r.stdout.splitlines()
           if line.startswith(("missing", "wrong-size", "bad-path"))]
    assert not bad, r.stdout
    return True


class TestSupervision:
    def test_echo(self, env, dicom):
        run(["echoscu", "-aet", "ECHOER", "-aec", "ARCA_ARC", "127.0.0.1", str(dicom.port_arc)])

    def test_wrong_called_ae_is_refused(self, env, dicom):
        r = run(["echoscu", "-aec", "NOBODY", "127.0.0.1", str(dicom.port_arc)], check=False)
        assert r.returncode != 0
        assert "ARCA10311" in env.httpd.wait_for_log("called AE title not served here")

    def test_killed_listener_is_restarted(self, env, dicom):
        pid = daemon_pid(env)
        assert pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and daemon_pid(env) in (pid, None):
            time.sleep(0.1)
        assert daemon_pid(env) not in (pid, None), env.httpd.error_log()[-2000:]
        assert "ARCA10305" in env.httpd.error_log()
        dicom.wait_listening(dicom.port_arc)
        run(["echoscu", "-aec", "ARCA_ARC", "127.0.0.1", str(dicom.port_arc)])

    def test_listener_stops_with_httpd(self, env, dicom):
        pid = daemon_pid(env)
        env.httpd.stop()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split()[2] == "Z":
                        break
                time.sleep(0.1)
            assert not os.path.exists(f"/proc/{pid}") or open(
                f"/proc/{pid}/stat").read().split()[2] == "Z"
        finally:
            env.httpd.start()
            dicom.wait_listening(dicom.port_arc)


    def test_listener_killed_mid_upload_loses_only_the_object_in_flight(self, env, dicom):
        """kill -9 of the listener while storescu sends a series: httpd starts another, the
        objects answered before are stored whole, the one in flight leaves no row, fsck finds
        no damage, and the series sent again is stored."""
        sess = "Kil" + uuid.uuid4().hex[:6]
        d = os.path.join(dicom.tmp, "kill")
        _, paths = write_instances(d, dicom.project, "SubK", sess, per_series=80, size=512)
        pid = daemon_pid(env)
        p = subprocess.Popen(["storescu", "-aec", "ARCA_ARC", "127.0.0.1", str(dicom.port_arc),
                              *paths], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while file_rows(env, dicom.project, sess) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        assert p.wait(20) != 0  # cut off mid-series
        stored = file_rows(env, dicom.project, sess)
        assert 5 <= stored < 80
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and daemon_pid(env) in (pid, None):
            time.sleep(0.1)
        assert daemon_pid(env) not in (pid, None), env.httpd.error_log()[-2000:]
        rows_have_files(env, dicom.project)
        assert no_damage(env)
        dicom.wait_listening(dicom.port_arc)
        storescu(dicom.port_arc, "ARCA_ARC", paths)
        assert file_rows(env, dicom.project, sess) == 80
        rows_have_files(env, dicom.project)
        assert no_damage(env)


class TestStore:
    def test_files_and_directory_into_the_archive_without_phi(self, env, dicom):
        d = os.path.join(dicom.tmp, "store1")
        _, paths = write_instances(d, dicom.project, "Sub1", "Sess1", n_series=2)
        storescu(dicom.port_arc, "ARCA_ARC", paths[:1])
        assert file_rows(env, dicom.project, "Sess1") == 1
        storescu(dicom.port_arc, "ARCA_ARC", [d], extra=["+sd"])
        assert file_rows(env, dicom.project, "Sess1") == 6  # the first one again: replaced
        blobs = b""
        for path in glob.glob(os.path.join(env.httpd.root, "archive", dicom.project, "**",
                                           "*.dcm"), recursive=True):
            with open(path, "rb") as f:
                blobs += f.read()
        assert blobs and PHI_ID.encode() not in blobs and b"Bianchi" not in blobs
        dump = json.dumps(env.sql("SELECT * FROM arca_experiment")) + env.httpd.error_log()
        assert PHI_ID not in dump and "Bianchi" not in dump

    @pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
    @pytest.mark.parametrize("called, port, syncs", [("ARCA_ARC", "port_arc", True),
                                                     ("ARCA_NOSYNC", "port_nosync", False)])
    def test_sync_off_stores_without_flushing(self, env, dicom, called, port, syncs):
        """sync=off: the objects are stored, with their rows, but nothing is flushed before
        the answer; the default flushes each object's file and directory (traced)."""
        d = os.path.join(dicom.tmp, f"sync-{called}")
        _, paths = write_instances(d, dicom.project, "SubSync", f"Sync{called}", per_series=3)
        trace = os.path.join(dicom.tmp, f"strace-{called}")
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,syncfs",
                                   "-o", trace, "-p", str(daemon_pid(env))])
        try:
            time.sleep(1)  # attached to every thread
            storescu(getattr(dicom, port), called, paths)
        finally:
            tracer.terminate()
            tracer.wait()
        assert file_rows(env, dicom.project, f"Sync{called}") == 3
        rows_have_files(env, dicom.project)
        with open(trace) as f:
            flushes = [line for line in f if "sync(" in line]
        # per object, its file and its directory (and directories made for the series)
        assert (len(flushes) >= 6) if syncs else not flushes, flushes

    def test_digests_are_taken_after_the_answer(self, env, dicom):
        """The listener answers before it takes a file's MD5; its digest thread fills the
        rows in soon after, with the MD5 of the file as stored (replacements too)."""
        import hashlib
        d = os.path.join(dicom.tmp, "digests")
        _, paths = write_instances(d, dicom.project, "SubD", "SessD", per_series=4)
        storescu(dicom.port_arc, "ARCA_ARC", paths)
        storescu(dicom.port_arc, "ARCA_ARC", paths[:1])  # the same instance again
        query = ("SELECT r.dir || '/' || f.path, f.digest FROM arca_file f JOIN arca_resource "
                 "r ON r.pk = f.resource_pk JOIN arca_scan s ON s.pk = r.scan_pk JOIN "
                 "arca_experiment e ON e.id = s.experiment_id JOIN arca_experiment_label l ON "
                 "l.experiment_id = e.id WHERE l.label = 'SessD'")
        deadline = time.monotonic() + 20
        while any(digest == "" for _, digest in env.sql(query)):
            assert time.monotonic() < deadline, "digests not taken within 20 s"
            time.sleep(0.2)
        rows = env.sql(query)
        assert len(rows) == 4
        for path, digest in rows:
            with open(os.path.join(env.httpd.root, "archive", path), "rb") as f:
                assert digest == hashlib.md5(f.read()).hexdigest(), path

    @pytest.mark.parametrize("source,flag", [("JPEG2000.dcm", "-xw"), ("MR_small_RLE.dcm", "-xr"),
                                             ("MR_small_bigendian.dcm", "-xb"),
                                             ("JPGExtended.dcm", "-xx"),
                                             ("MR_small_implicit.dcm", "-xi")])
    def test_transfer_syntaxes_are_stored_as_received(self, env, dicom, source, flag):
        d = os.path.join(dicom.tmp, "ts_" + source)
        sess = "TS" + uuid.uuid4().hex[:6]
        _, paths = write_instances(d, dicom.project, "SubTS", sess, per_series=1, source=source)
        ts = str(pydicom.dcmread(paths[0]).file_meta.TransferSyntaxUID)
        storescu(dicom.port_arc, "ARCA_ARC", paths, extra=[flag])
        assert file_rows(env, dicom.project, sess) == 1
        (path,) = env.sql(
            "SELECT r.dir || '/' || f.path FROM arca_file f JOIN arca_resource r ON r.pk = "
            "f.resource_pk JOIN arca_scan s ON s.pk = r.scan_pk JOIN arca_experiment_label "
            f"l ON l.experiment_id = s.experiment_id WHERE l.label = '{sess}'")[0:1][0]
        stored = pydicom.dcmread(os.path.join(env.httpd.root, "archive", path))
        assert str(stored.file_meta.TransferSyntaxUID) == ts

    def test_deflate(self, env, dicom):
        sess = "Dfl" + uuid.uuid4().hex[:6]
        _, paths = write_instances(os.path.join(dicom.tmp, "dfl"), dicom.project, "SubD",
                                   sess, per_series=2)
        storescu(dicom.port_arc, "ARCA_ARC", paths, extra=["-xd"])
        assert file_rows(env, dicom.project, sess) == 2

    def test_parallel_associations(self, env, dicom):
        sess = "Par" + uuid.uuid4().hex[:6]
        d = os.path.join(dicom.tmp, "par")
        _, paths = write_instances(d, dicom.project, "SubP", sess, n_series=4, per_series=5)
        procs = [subprocess.Popen(["storescu", "-aec", "ARCA_ARC", "127.0.0.1",
                                   str(dicom.port_arc), *paths[i::4]],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for i in range(4)]
        for p in procs:
            assert p.wait(60) == 0, p.stdout.read()
        assert file_rows(env, dicom.project, sess) == 20

    def test_prearchive_receiving_session_completes_after_idle(self, env, dicom):
        sess = "Pre" + uuid.uuid4().hex[:6]
        study, paths = write_instances(os.path.join(dicom.tmp, "pre"), dicom.project,
                                       "SubPre", sess, per_series=3)
        storescu(dicom.port_pre, "ARCA_PRE", paths)
        rows = env.sql(f"SELECT status FROM arca_prearchive WHERE project = '{dicom.project}' "
                       f"AND folder = '{sess}'")
        assert rows and rows[0][0] in ("RECEIVING", "READY")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = env.sql(f"SELECT status FROM arca_prearchive WHERE project = "
                           f"'{dicom.project}' AND folder = '{sess}'")
            if rows and rows[0][0] == "READY":
                break
            time.sleep(0.3)
        assert rows == [["READY"]]

    def test_unknown_caller_is_refused_when_restricted(self, env, dicom):
        _, paths = write_instances(os.path.join(dicom.tmp, "stranger"), dicom.other, "S",
                                   "E", per_series=1)
        r = storescu(dicom.port_ltd, "ARCA_LTD", paths, caller="STRANGER", check=False)
        assert r.returncode != 0
        assert "calling AE title not allowed" in env.httpd.wait_for_log("STRANGER")

    def test_user_without_write_access_gets_a_refusal(self, env, dicom):
        # dcmreader is only a member of `other`; the routed project is not writable
        sess = "NoW" + uuid.uuid4().hex[:6]
        _, paths = write_instances(os.path.join(dicom.tmp, "nowrite"), dicom.project, "S",
                                   sess, per_series=1)
        storescu(dicom.port_ltd, "ARCA_LTD", paths, check=False)
        assert file_rows(env, dicom.project, sess) == 0

    def test_routed_by_headers_only_where_the_user_may_write(self, env, dicom):
        # dcmreader is a member of `other` only: data naming the project it may not write
        # to waits in the prearchive under Unassigned; data naming `other` waits there
        where = {}
        for project in (dicom.project, dicom.other):
            sess = "Rt" + uuid.uuid4().hex[:6]
            _, paths = write_instances(os.path.join(dicom.tmp, sess), project, "S", sess,
                                       per_series=1)
            storescu(dicom.port_ltd, "ARCA_LTD", paths)
            where[project] = env.sql(f"SELECT project FROM arca_prearchive "
                                     f"WHERE folder = '{sess}'")
        assert where == {dicom.project: [["Unassigned"]], dicom.other: [[dicom.other]]}

    def test_unsupported_sop_class_is_rejected(self, env, dicom):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.3.4.5.6.7"
        path = os.path.join(dicom.tmp, "odd.dcm")
        ds.save_as(path, write_like_original=False)
        r = storescu(dicom.port_arc, "ARCA_ARC", [path], check=False)
        assert r.returncode != 0 or "not supported" in (r.stdout + r.stderr).lower() \
            or "no presentation context" in (r.stdout + r.stderr).lower()

    def test_abort_mid_transfer_stores_nothing_and_others_go_on(self, env, dicom):
        sess = "Abt" + uuid.uuid4().hex[:6]
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.PatientComments = f"Project: {dicom.project} Subject: SubA Session: {sess}"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        ds.StudyInstanceUID = pydicom.uid.generate_uid()
        ds.PixelData = bytes(128 * 1024 * 1024)  # long enough to kill mid-transfer
        ds.Rows = ds.Columns = 8192
        path = os.path.join(dicom.tmp, "big.dcm")
        ds.save_as(path, write_like_original=False)
        before = env.httpd.error_log().count("ARCA10313")
        p = subprocess.Popen(["storescu", "--max-send-pdu", "16384", "-aec", "ARCA_ARC",
                              "127.0.0.1", str(dicom.port_arc), path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while env.httpd.error_log().count("ARCA10313") == before and time.monotonic() < deadline:
            time.sleep(0.01)
        p.kill()
        p.wait()
        os.unlink(path)
        assert "ARCA1032" in env.httpd.wait_for_log("interrupted")
        assert file_rows(env, dicom.project, sess) == 0
        run(["echoscu", "-aec", "ARCA_ARC", "127.0.0.1", str(dicom.port_arc)])

    def test_silent_peer_is_dropped(self, env, dicom):
        with socket.create_connection(("127.0.0.1", dicom.port_arc)) as s:
            s.settimeout(15)
            # an association request that never comes: the listener goes on serving
            run(["echoscu", "-aec", "ARCA_ARC", "127.0.0.1", str(dicom.port_arc)], timeout=15)


def log_line(env, *parts, timeout=5):
    """The listener's log line holding every one of parts, once it is there (its lines go
    through a queue an httpd thread writes out every 100 ms)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in env.httpd.error_log().splitlines():
            if all(p in line for p in parts):
                return line
        assert time.monotonic() < deadline, f"no line with {parts}:\n" \
            + env.httpd.error_log()[-3000:]
        time.sleep(0.05)


def timed_echo(port, called="ARCA_ARC", caller="ECHOER"):
    t0 = time.monotonic()
    run(["echoscu", "-aet", caller, "-aec", called, "127.0.0.1", str(port)], timeout=30)
    return time.monotonic() - t0


def phi_dataset(project, subject, session):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID = PHI_NAME, PHI_ID
    ds.PatientComments = f"Project: {project} Subject: {subject} Session: {session}"
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    return ds


class TestRobustness:
    """Peers that misbehave on raw sockets (dicom_pdu.py): each is dropped within
    ArcaDicomTimeout (5 s here) with nothing half-stored, and others are served meanwhile."""

    @pytest.mark.parametrize("what", ["garbage", "wrong-pdu-type", "release-first",
                                      "absurd-length"])
    def test_malformed_first_pdu_is_dropped_at_once(self, env, dicom, what):
        payload = {
            "garbage": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256)),
            "wrong-pdu-type": pdu.p_data(1, b"\0" * 32, True, True),
            "release-first": pdu.release_rq(),
            "absurd-length": b"\x01\x00\xff\xff\xff\xff" + bytes(64),
        }[what]
        peer = pdu.Peer(dicom.port_arc)
        try:
            peer.send(payload)
            assert peer.closed_within(3)
        finally:
            peer.close()
        assert timed_echo(dicom.port_arc) < 2

    def test_misbehaving_peers_do_not_hold_up_others(self, env, dicom):
        sess = "Rob" + uuid.uuid4().hex[:6]
        silent = [pdu.Peer(dicom.port_arc) for _ in range(4)]
        truncated = pdu.Peer(dicom.port_arc)
        truncated.send(pdu.associate_rq("ARCA_ARC", "TRUNCATED", [pdu.ct_context()])[:50])
        lingering, stalled = pdu.Peer(dicom.port_arc), pdu.Peer(dicom.port_arc)
        opened = time.monotonic()
        try:
            accepted = lingering.associate("ARCA_ARC", "LINGERER", [pdu.ct_context()])
            assert accepted == {1: pdu.EXPLICIT_LE}
            # its last C-STORE is answered, then it never releases
            assert lingering.store(1, phi_dataset(dicom.project, "SubR", sess)) == 0
            # this one stops in the middle of a P-DATA-TF PDU
            stalled.associate("ARCA_ARC", "STALLED", [pdu.ct_context()])
            ds = phi_dataset(dicom.project, "SubR", sess + "s")
            stalled.send(pdu.p_data(1, pdu.store_command(ds.SOPClassUID, ds.SOPInstanceUID),
                                    True, True))
            stalled.send(pdu.p_data(1, pdu.encode_dataset(ds)[:8000], False, True)[:5000])
            # meanwhile, others are served promptly, one after another and at once
            waits = [timed_echo(dicom.port_arc) for _ in range(3)]
            assert max(waits) < 1.5, waits
            _, paths = write_instances(os.path.join(dicom.tmp, "rob"), dicom.project,
                                       "SubR", sess + "b", per_series=4)
            t0 = time.monotonic()
            storescu(dicom.port_arc, "ARCA_ARC", paths)
            assert time.monotonic() - t0 < 5
            assert file_rows(env, dicom.project, sess + "b") == 4
            # then every misbehaving peer is dropped within the timeout
            for peer in silent + [truncated, lingering, stalled]:
                assert peer.closed_within(max(0.5, opened + 9 - time.monotonic()))
        finally:
            for peer in silent + [truncated, lingering, stalled]:
                peer.close()
        assert file_rows(env, dicom.project, sess) == 1  # the answered one is stored
        assert file_rows(env, dicom.project, sess + "s") == 0
        log_line(env, "ARCA10314", "LINGERER (127.0.0.1")
        rows_have_files(env, dicom.project)

    def test_a_flood_of_silent_connections_is_bounded(self, env, dicom):
        """Connections that never send a request hold no association slot, and past
        ArcaDicomMaxPerPeer (8) of them from one address each new one closes the one that
        has waited longest: the flood stays bounded and a caller is still served at once."""
        silent = [pdu.Peer(dicom.port_arc) for _ in range(16)]
        try:
            time.sleep(0.3)  # each taken by its thread
            for peer in silent[:8]:
                assert peer.closed_within(1)
            assert env.httpd.wait_for_log("ARCA10460")
            assert timed_echo(dicom.port_arc) < 2
        finally:
            for peer in silent:
                peer.close()

    def test_abort_after_half_a_p_data_stores_nothing(self, env, dicom):
        sess = "Hlf" + uuid.uuid4().hex[:6]
        ds = phi_dataset(dicom.project, "SubH", sess)
        peer = pdu.Peer(dicom.port_arc)
        try:
            peer.associate("ARCA_ARC", "HALFWAY", [pdu.ct_context()])
            peer.store(1, ds, split=len(pdu.encode_dataset(ds)) // 2)
            peer.send(pdu.abort_pdu())
            assert peer.closed_within(3)
        finally:
            peer.close()
        log_line(env, "ARCA10318", "HALFWAY (127.0.0.1", "ended")
        assert file_rows(env, dicom.project, sess) == 0
        assert not env.sql("SELECT 1 FROM arca_prearchive WHERE folder = '%s'" % sess)
        assert timed_echo(dicom.port_arc) < 2

    def test_closed_mid_p_data_stores_nothing(self, env, dicom):
        sess = "Cut" + uuid.uuid4().hex[:6]
        ds = phi_dataset(dicom.project, "SubC", sess)
        peer = pdu.Peer(dicom.port_arc)
        peer.associate("ARCA_ARC", "CUTOFF", [pdu.ct_context()])
        peer.store(1, ds, split=1000)
        peer.close()
        log_line(env, "ARCA10318", "CUTOFF (127.0.0.1", "ended")
        assert file_rows(env, dicom.project, sess) == 0
        assert timed_echo(dicom.port_arc) < 2

    def test_logs_name_the_peer_and_carry_no_phi(self, env, dicom):
        log = env.httpd.error_log()
        assert PHI_ID not in log and "Bianchi" not in log
        dicom_lines = [line for line in log.splitlines()
                       if "ARCA1031" in line or "ARCA1032" in line]
        assert dicom_lines
        for line in dicom_lines:  # other modules connect from 127.0.0.x too
            assert re.search(r"\b127\.0\.0\.\d+\b", line), line


def findscu(port, called, level, keys, model="-S", caller="FINDSCU"):
    out = tempfile.mkdtemp()
    argv = ["findscu", model, "-aet", caller, "-aec", called, "-X", "-od", out,
            "-k", f"QueryRetrieveLevel={level}"]
    for k in keys:
        argv += ["-k", k]
    run(argv + ["127.0.0.1", str(port)])
    found = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(out, "rsp*.dcm")))]
    shutil.rmtree(out)
    return found


@pytest.fixture(scope="module")
def stored_study(env, dicom):
    sess = "Find" + uuid.uuid4().hex[:6]
    study, paths = write_instances(os.path.join(dicom.tmp, "find"), dicom.project, "SubF",
                                   sess, n_series=2, per_series=2)
    storescu(dicom.port_arc, "ARCA_ARC", paths)
    (uid,) = env.sql("SELECT e.uid FROM arca_experiment e JOIN arca_experiment_label l ON "
                     f"l.experiment_id = e.id WHERE l.label = '{sess}'")[0]
    return sess, uid


class TestFind:
    def test_study_root_study_level(self, env, dicom, stored_study):
        sess, uid = stored_study
        found = findscu(dicom.port_arc, "ARCA_ARC", "STUDY",
                        [f"StudyInstanceUID={uid}", "PatientID", "ModalitiesInStudy",
                         "NumberOfStudyRelatedInstances", "StudyDate"])
        assert len(found) == 1
        assert found[0].StudyInstanceUID == uid
        assert found[0].PatientID == "SubF"
        assert found[0].ModalitiesInStudy == "CT"
        assert int(found[0].NumberOfStudyRelatedInstances) == 4

    def test_wildcards_series_and_patient_root(self, env, dicom, stored_study):
        sess, uid = stored_study
        assert len(findscu(dicom.port_arc, "ARCA_ARC", "STUDY", ["PatientID=Sub?",
                                                                 "StudyInstanceUID"])) >= 1
        series = findscu(dicom.port_arc, "ARCA_ARC", "SERIES",
                         [f"StudyInstanceUID={uid}", "SeriesInstanceUID", "Modality",
                          "NumberOfSeriesRelatedInstances"])
        assert len(series) == 2 and all(s.Modality == "CT" for s in series)
        patients = findscu(dicom.port_arc, "ARCA_ARC", "PATIENT", ["PatientID=SubF",
                                                                   "PatientName"], model="-P")
        assert [p.PatientID for p in patients] == ["SubF"]
        assert not findscu(dicom.port_arc, "ARCA_ARC", "STUDY", ["StudyDate=19000101-19000102"])

    def test_answers_only_what_the_user_may_read(self, env, dicom, stored_study):
        sess, uid = stored_study
        assert findscu(dicom.port_ltd, "ARCA_LTD", "STUDY", [f"StudyInstanceUID={uid}"],
                       caller="FRIEND") == []


class TestRetrieve:
    def test_move_to_a_peer_and_unknown_destination(self, env, dicom, stored_study):
        sess, uid = stored_study
        out = os.path.join(dicom.tmp, "moved")
        os.makedirs(out)
        scp = subprocess.Popen(["storescp", "-aet", "STORESCP", "-od", out,
                                str(dicom.port_scp)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            dicom.wait_listening(dicom.port_scp)
            run(["movescu", "-S", "-aet", "MOVER", "-aec", "ARCA_ARC", "-aem", "STORESCP",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={uid}",
                 "127.0.0.1", str(dicom.port_arc)])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(os.listdir(out)) < 4:
                time.sleep(0.1)
            assert len(os.listdir(out)) == 4
            r = run(["movescu", "-S", "-aec", "ARCA_ARC", "-aem", "NOWHERE", "-k",
                     "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={uid}",
                     "127.0.0.1", str(dicom.port_arc)], check=False)
            assert "a801" in (r.stdout + r.stderr).lower() or r.returncode != 0
        finally:
            scp.terminate()
            scp.wait()

    def test_get(self, env, dicom, stored_study):
        sess, uid = stored_study
        out = os.path.join(dicom.tmp, "got")
        os.makedirs(out)
        run(["getscu", "-S", "-aec", "ARCA_ARC", "-od", out, "-k", "QueryRetrieveLevel=SERIES",
             "-k", f"StudyInstanceUID={uid}", "127.0.0.1", str(dicom.port_arc)])
        assert len(os.listdir(out)) == 4


class TestRest:
    def test_dicomscp_listing_is_for_admins(self, env, dicom):
        r = env.get("/xapi/dicomscp")
        assert r.status_code == 200, r.text
        by_ae = {x["aeTitle"]: x for x in r.json()}
        assert by_ae["ARCA_ARC"]["port"] == dicom.port_arc
        assert by_ae["ARCA_ARC"]["directArchive"] is True
        assert by_ae["ARCA_LTD"]["whitelist"] == ["FRIEND", "STORESCU"]
        assert by_ae["ARCA_ARC"]["syncStorage"] is True
        assert by_ae["ARCA_NOSYNC"]["syncStorage"] is False
        assert "associations" in by_ae["ARCA_ARC"]["status"]
        r = env.get("/xapi/dicomscp", auth=("dcmreader", "dcmreader-password"))
        assert r.status_code == 403
