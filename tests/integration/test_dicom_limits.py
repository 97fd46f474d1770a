"""The DICOM listener's limits against idle and greedy peers: the ARTIM timer for the
association request (ArcaDicomArtimTimeout), the per-address limit (ArcaDicomMaxPerPeer),
and the association slots (ArcaDicomMaxAssociations) answered with a transient A-ASSOCIATE-RJ
at once. A flood of connections that never send a request must not keep a configured
caller out, even when it comes from the same address (here everything is loopback; Linux
lets a socket connect from any of 127.0.0.0/8, so a test can be several peers)."""

import shutil
import socket
import subprocess
import time

import pytest

import dicom_pdu as pdu
from arca_env import free_port
from test_dicom_net import log_line

pytest.importorskip("pydicom")  # dicom_pdu needs it
if not shutil.which("echoscu"):
    pytest.skip("dcmtk's network tools are not installed", allow_module_level=True)

ARTIM = 2
MAX_ASSOCIATIONS = 3
MAX_PER_PEER = 2


@pytest.fixture(scope="module")
def port(env):
    p = free_port()
    env.httpd.write_snippet("dicomlimits", f"""
ArcaDicomReceiver ARCA_LIM 127.0.0.1:{p} user=admin callers=ECHOER,HOLDER,IDLER
ArcaDicomMaxAssociations {MAX_ASSOCIATIONS}
ArcaDicomMaxPerPeer {MAX_PER_PEER}
ArcaDicomArtimTimeout {ARTIM}
""")
    env.httpd.restart()
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", p), timeout=0.2):
                break
        except OSError:
            assert time.monotonic() < deadline, env.httpd.error_log()[-3000:]
            time.sleep(0.05)
    yield p
    env.httpd.remove_snippet("dicomlimits")
    env.httpd.restart()


def timed_echo(port, caller="ECHOER"):
    t0 = time.monotonic()
    r = subprocess.run(["echoscu", "-to", "20", "-aet", caller, "-aec", "ARCA_LIM",
                        "127.0.0.1", str(port)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"echoscu failed:\n{r.stdout}{r.stderr}"
    return time.monotonic() - t0


def request(port, source, calling="HOLDER"):
    """Sends an association request from `source`; returns (peer, first PDU back)."""
    peer = pdu.Peer(port, source=source)
    peer.send(pdu.associate_rq("ARCA_LIM", calling, [pdu.echo_context()]))
    return peer, peer.read_pdu()


def release(peer):
    try:
        peer.send(pdu.release_rq())
        peer.read_pdu()
    except OSError:
        pass
    peer.close()


def assert_transient_local_limit(answer):
    """A-ASSOCIATE-RJ: rejected-transient (2), by the service provider's presentation
    layer (3), local limit exceeded (2)."""
    assert answer is not None and answer[0] == 0x03, f"not an A-ASSOCIATE-RJ: {answer!r}"
    assert tuple(answer[1][1:4]) == (2, 3, 2), answer


def test_idle_flood_does_not_lock_out_a_configured_caller(env, port):
    """Twenty connections that never send a request, ten of them from the caller's own
    address, the others from five more: far past every limit. The caller's echo still goes
    through at once, twice over, while the flood is there."""
    flood = []
    try:
        for i in range(20):
            source = "127.0.0.1" if i % 2 == 0 else f"127.0.0.{2 + i % 5}"
            flood.append(pdu.Peer(port, source=source))
        time.sleep(0.3)  # each taken by the listener
        waits = [timed_echo(port) for _ in range(2)]
        assert max(waits) < 3, waits
    finally:
        for peer in flood:
            peer.close()
    log_line(env, "ARCA10462", "ArcaDicomMaxAssociations")


def test_idle_connection_is_closed_after_the_artim_timeout(env, port):
    peer = pdu.Peer(port, source="127.0.0.9")
    t0 = time.monotonic()
    try:
        assert peer.closed_within(ARTIM + 4)
        waited = time.monotonic() - t0
    finally:
        peer.close()
    assert ARTIM - 0.5 < waited < ARTIM + 4, waited
    log_line(env, "ARCA10310", "127.0.0.9", "(ARTIM)")


def test_idle_connections_from_one_address_displace_the_oldest(env, port):
    first, second = pdu.Peer(port, source="127.0.0.10"), pdu.Peer(port, source="127.0.0.10")
    try:
        time.sleep(0.2)
        third = pdu.Peer(port, source="127.0.0.10")
        try:
            assert first.closed_within(1)
            # the newer two stay until the ARTIM timer ends them
            assert not second.closed_within(0.3)
            assert not third.closed_within(0.3)
        finally:
            third.close()
    finally:
        first.close()
        second.close()
    log_line(env, "ARCA10460", "from 127.0.0.10 at once")
    log_line(env, "ARCA10461", "127.0.0.10")


def test_association_limits_answer_a_transient_rejection_at_once(env, port):
    held = []
    try:
        for _ in range(MAX_PER_PEER):
            peer, answer = request(port, "127.0.0.1")
            held.append(peer)
            assert answer and answer[0] == 0x02, answer
        # a third association from the same address: its limit
        t0 = time.monotonic()
        peer, answer = request(port, "127.0.0.1")
        peer.close()
        assert time.monotonic() - t0 < 2
        assert_transient_local_limit(answer)
        log_line(env, "ARCA10311", "ArcaDicomMaxPerPeer reached")
        # another address takes the last slot; a third address finds none
        peer, answer = request(port, "127.0.0.2")
        held.append(peer)
        assert answer and answer[0] == 0x02, answer
        t0 = time.monotonic()
        peer, answer = request(port, "127.0.0.3")
        peer.close()
        assert time.monotonic() - t0 < 2
        assert_transient_local_limit(answer)
        log_line(env, "ARCA10311", "ArcaDicomMaxAssociations reached")
    finally:
        for peer in held:
            release(peer)
    # the slots are given back: the caller is served again
    deadline = time.monotonic() + 5
    while True:
        try:
            timed_echo(port)
            break
        except AssertionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
