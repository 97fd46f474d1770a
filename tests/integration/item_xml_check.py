"""Every single-item XML answer the suite receives is checked against Arca's schema.

Every HTTP call the tests make goes through requests (pyxnat's and xnatpy's too), so the
check wraps requests.adapters.HTTPAdapter.send for the whole run. An answer whose
Content-Type is XML and whose root element is in XNAT's namespace, other than a search
result, is one item (a project, subject, session, scan, assessor, resource, ...): its body
is saved to a temporary directory with the URL it answered. At the end of the run
(pytest_sessionfinish in conftest.py) all of them are validated by a few xmllint --schema
runs against schemas/xnat.xsd, the bytes the server serves at /xapi/schemas/xnat (as
test_xnatpy_schemas.py asserts); any that does not validate fails the run, named by URL,
file and xmllint's message. Streamed answers (file downloads) are left unread."""

import os
import re
import subprocess
import tempfile

import requests.adapters

XNAT_NS = "http://nrg.wustl.edu/xnat"
SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas",
                      "xnat.xsd")
# Roots in XNAT's namespace that are not one item.
NOT_ITEMS = {"ResultSet", "Results", "search", "bundle"}

# Known answers that do not validate yet, by (root element, xmllint message fragment), each
# with why. Reported, but not failing the run.
ALLOWED = []

_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)[\s/>]")


class Collector:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="arca-item-xml-")
        self.saved = []          # (path, method, url, root)
        self._orig = None

    def install(self):
        orig = self._orig = requests.adapters.HTTPAdapter.send
        collector = self

        def send(adapter, request, *args, **kwargs):
            response = orig(adapter, request, *args, **kwargs)
            if not kwargs.get("stream"):
                try:
                    collector.look(request, response)
                except Exception:  # never let the check change what a test sees
                    pass
            return response
        requests.adapters.HTTPAdapter.send = send

    def uninstall(self):
        if self._orig:
            requests.adapters.HTTPAdapter.send = self._orig
            self._orig = None

    def look(self, request, response):
        ctype = response.headers.get("Content-Type", "")
        if "xml" not in ctype.lower() or response.status_code != 200:
            return
        body = response.content
        root = self.root(body)
        if root is None:
            return
        name = os.path.join(self.dir, f"{len(self.saved):05d}.xml")
        with open(name, "wb") as f:
            f.write(body)
        self.saved.append((name, request.method, request.url, root))

    @staticmethod
    def root(body):
        """The root element's local name when it is in XNAT's namespace and one item."""
        text = body.lstrip()
        # skip the declaration, comments and processing instructions
        while text.startswith(b"<?") or text.startswith(b"<!"):
            end = text.find(b"-->") + 3 if text.startswith(b"<!--") else text.find(b">") + 1
            if end <= 0:
                return None
            text = text[end:].lstrip()
        m = _ROOT.match(text)
        if not m:
            return None
        prefix, local = m.group(1), m.group(2)
        tag_end = text.find(b">")
        decl = b"xmlns:" + prefix + b"=" if prefix else b"xmlns="
        start = text[:tag_end]
        i = start.find(decl)
        if i < 0:
            return None
        ns = start[i + len(decl):].split()[0].strip(b"\"'/")
        if ns.decode("utf-8", "replace") != XNAT_NS or local.decode() in NOT_ITEMS:
            return None
        return local.decode()

    def validate(self, batch=200):
        """[(path, method, url, root, messages, allowed_reason)] of those that fail."""
        failed = []
        for i in range(0, len(self.saved), batch):
            chunk = self.saved[i:i + batch]
            r = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA]
                               + [c[0] for c in chunk], capture_output=True, text=True)
            if r.returncode == 0:
                continue
            lines = r.stderr.splitlines()
            for path, method, url, root in chunk:
                if f"{path} validates" in lines:
                    continue
                msgs = [ln for ln in lines if ln.startswith(path + ":")
                        or ln.startswith(path + " ")]
                msgs = [m for m in msgs if not m.endswith("validates")]
                reason = None
                for aroot, fragment, why in ALLOWED:
                    body = " ".join(m for m in msgs if "fails to validate" not in m)
                    if root == aroot and fragment in body:
                        reason = why
                failed.append((path, method, url, root, msgs, reason))
        return failed
