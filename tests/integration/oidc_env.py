"""A private OpenID Connect provider for tests: node's oidc-provider (tests/integration/oidc)
on a free loopback port, and a browser-like login through mod_auth_openidc with requests."""

import os
import re
import shutil
import signal
import subprocess
import time
from urllib.parse import urljoin

import requests

from arca_env import free_port

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oidc")
# Where the tests protect Arca with mod_auth_openidc, and its redirect URI beneath it.
PROTECTED_PATH = "/data/auth"
REDIRECT_PATH = "/data/auth/oidc-callback"


def ensure_node_modules():
    """tools/test installs the provider's npm packages; this does it for a bare pytest run."""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    assert int(node.lstrip("v").split(".")[0]) >= 20, \
        f"oidc-provider needs Node.js 20 or later, this is {node.strip()}"
    if os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        return
    npm = shutil.which("npm")
    assert npm, "npm is not installed: run tools/test, which installs it"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                   check=True, capture_output=True, text=True)


class OidcProvider:
    """The provider (OP). The users and their passwords are provider.mjs's."""

    CLIENT_ID = "arca"
    CLIENT_SECRET = "arca-test-client-secret-0123456789"
    PASSWORDS = {"alice": "alice-pw", "mary": "mary-pw", "ted": "ted-pw"}

    def __init__(self, base, redirect_uris):
        self.base = base
        os.makedirs(base, exist_ok=True)
        self.port = free_port()
        self.redirect_uris = list(redirect_uris)
        self.log_path = os.path.join(base, "provider.log")
        self.proc = None
        self.started_in = None  # seconds from exec to a served discovery document

    @property
    def issuer(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self):
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self, timeout=20):
        ensure_node_modules()
        env = dict(os.environ, OP_PORT=str(self.port), CLIENT_ID=self.CLIENT_ID,
                   CLIENT_SECRET=self.CLIENT_SECRET,
                   REDIRECT_URIS=" ".join(self.redirect_uris))
        t0 = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs")],
                                         cwd=HERE, env=env, stdout=log, stderr=log)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited:\n{self.log()}")
            try:
                if requests.get(self.metadata_url, timeout=1).status_code == 200:
                    self.started_in = time.monotonic() - t0
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the OIDC provider did not answer in time:\n{self.log()}")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def httpd_config(self, redirect_uri, remote_user_claim="email"):
        """Server-wide mod_auth_openidc directives for an httpd with this OP."""
        return f"""
OIDCProviderMetadataURL {self.metadata_url}
OIDCClientID {self.CLIENT_ID}
OIDCClientSecret {self.CLIENT_SECRET}
OIDCRedirectURI {redirect_uri}
OIDCCryptoPassphrase arca-test-crypto-passphrase-0123456789
OIDCScope "openid email profile"
OIDCRemoteUserClaim {remote_user_claim}
OIDCPassClaimsAs environment
OIDCPKCEMethod S256
OIDCStateMaxNumberOfCookies 5 true
"""


def browser_login(url, user, password, session=None):
    """GETs a page protected by mod_auth_openidc as a browser would: follows the redirect to
    the OP, posts its login form, and follows the redirects back through httpd's redirect
    URI to `url`. Returns (session, last response)."""
    s = session or requests.Session()
    r = s.get(url, timeout=10)
    if "/interaction/" not in r.url:
        return s, r  # already logged in (session cookie), or refused before the OP
    action = re.search(r'<form[^>]*action="([^"]+)"', r.text).group(1)
    r = s.post(urljoin(r.url, action), data={"login": user, "password": password},
               timeout=10)
    return s, r
