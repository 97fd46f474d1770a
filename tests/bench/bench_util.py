"""Shared bits of the benchmarks: a private Arca (the integration harness), and a small
keep-alive HTTP load generator that reports latency percentiles."""

import base64
import glob
import http.client
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from arca_env import ArcaEnv  # noqa: E402


def peak_rss_kb(root):
    """Largest VmHWM of the httpd children serving `root`."""
    peak = 0
    for status in glob.glob("/proc/[0-9]*/status"):
        pid = status.split("/")[2]
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            if root.encode() not in cmd:
                continue
            for line in open(status):
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    return peak


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def measure(env, paths, concurrency, requests_per_worker, user=None):
    """Runs `requests_per_worker` requests (cycling through `paths`) on each of
    `concurrency` keep-alive connections; returns (latencies in ms, errors, wall seconds).
    A path is a GET; a (path, body) pair a POST of that body. `user`: (login, password),
    default the site admin."""
    login, password = user or (env.ADMIN, env.ADMIN_PASSWORD)
    auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
    latencies, errors, lock = [], [], threading.Lock()

    def worker(offset):
        conn = http.client.HTTPConnection("127.0.0.1", env.httpd.port, timeout=60)
        mine = []
        for i in range(requests_per_worker):
            path = paths[(offset + i) % len(paths)]
            body = None
            if isinstance(path, tuple):
                path, body = path
            t0 = time.perf_counter()
            conn.request("POST" if body is not None else "GET", path, body=body,
                         headers={"Authorization": auth})
            resp = conn.getresponse()
            body = resp.read()
            mine.append((time.perf_counter() - t0) * 1000.0)
            if resp.status != 200:
                with lock:
                    errors.append((path, resp.status, body[:200]))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n * 7,)) for n in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def report(name, concurrency, latencies, errors, wall):
    print(f"{name:<44} c={concurrency:<2} n={len(latencies):<5} "
          f"p50={statistics.median(latencies):7.2f} ms  p95={percentile(latencies, 95):7.2f} ms  "
          f"max={max(latencies):7.2f} ms  {len(latencies) / wall:7.0f} req/s"
          + (f"  ERRORS={len(errors)} first={errors[0]}" if errors else ""), flush=True)
