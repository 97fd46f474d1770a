"""A private Orthanc (Debian's package) for tests and benchmarks: its own configuration,
storage and index in a directory, HTTP and DICOM on free loopback ports, no plugins, no
authentication (loopback only). Nothing of the system's Orthanc (/etc/orthanc, a service
the package may have started on 8042/4242) is used."""

import json
import os
import shutil
import subprocess
import time

import requests

from arca_env import free_port

BINARY = shutil.which("Orthanc") or "/usr/sbin/Orthanc"


def available():
    return os.access(BINARY, os.X_OK)


class Orthanc:
    def __init__(self, base, aet="ORTHANC", modalities=None, **settings):
        """modalities: {name: (AE title, port)} on 127.0.0.1, for C-STORE, C-FIND and
        C-MOVE from this Orthanc."""
        self.base = base
        self.aet = aet
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.storage = os.path.join(base, "storage")
        os.makedirs(self.storage, exist_ok=True)
        self.conf = os.path.join(base, "orthanc.json")
        self.log = os.path.join(base, "orthanc.log")
        config = {
            "Name": "arca-test", "StorageDirectory": self.storage,
            "IndexDirectory": self.storage, "HttpPort": self.http_port,
            "DicomPort": self.dicom_port, "DicomAet": aet, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "Plugins": [], "HttpsVerifyPeers": False,
            "DicomModalities": {name: [ae, "127.0.0.1", port]
                                for name, (ae, port) in (modalities or {}).items()},
        }
        config.update(settings)
        with open(self.conf, "w") as f:
            json.dump(config, f, indent=1)
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout=30):
        env = dict(os.environ, TCP_NODELAY="1")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([BINARY, self.conf], stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start-up:\n{self.log_text()}")
            try:
                if requests.get(self.url + "/system", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer in time:\n{self.log_text()}")

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # -- REST -------------------------------------------------------------------------------
    def get(self, path, **kw):
        r = requests.get(self.url + path, timeout=60, **kw)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
        return r.json()

    def post(self, path, body=None, data=None, timeout=120):
        r = requests.post(self.url + path, json=body, data=data, timeout=timeout)
        assert r.status_code == 200, f"POST {path}: {r.status_code} {r.text}\n{self.log_text()}"
        return r.json() if r.content else None
