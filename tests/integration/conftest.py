"""pytest fixtures for Arca's integration tests (real PostgreSQL, real httpd)."""

import os

import pytest

from arca_env import ArcaEnv


@pytest.fixture(scope="session")
def env():
    e = ArcaEnv()
    yield e
    e.close()


@pytest.fixture(scope="module")
def xnat(env):
    """pyxnat (Debian's python3-pyxnat, unmodified) logged in as the site admin; the test
    is skipped where pyxnat is missing."""
    pyxnat = pytest.importorskip("pyxnat")
    x = pyxnat.Interface(server=env.httpd.base_url, user=env.ADMIN,
                         password=env.ADMIN_PASSWORD)
    yield x
    x.disconnect()


@pytest.fixture(scope="session")
def slapd(env):
    """A private OpenLDAP server (ldap_env.py), started once for the session."""
    from ldap_env import Slapd
    server = Slapd(os.path.join(env.tmp, "ldap"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oidc_provider(env):
    """A private OpenID Connect provider (oidc_env.py) whose client redirects to the
    session's httpd at oidc_env.REDIRECT_PATH."""
    from oidc_env import OidcProvider, REDIRECT_PATH
    op = OidcProvider(os.path.join(env.tmp, "oidc"), [env.url(REDIRECT_PATH)])
    op.start()
    yield op
    op.stop()
