"""pytest fixtures for Arca's integration tests (real PostgreSQL, real httpd)."""

import os
import shutil

import pytest

from arca_env import ArcaEnv
from item_xml_check import Collector

# Every single-item XML answer of the run, validated at its end (item_xml_check.py).
ITEM_XML = Collector()
ITEM_XML.install()
_item_xml_report = []


def pytest_sessionfinish(session, exitstatus):
    ITEM_XML.uninstall()
    if not ITEM_XML.saved:
        shutil.rmtree(ITEM_XML.dir, ignore_errors=True)
        return
    failed = ITEM_XML.validate()
    bad = [f for f in failed if f[5] is None]
    _item_xml_report.append((len(ITEM_XML.saved), failed))
    if bad and session.exitstatus == 0:
        session.exitstatus = 1
    if not failed:  # kept for a look when any does not validate
        shutil.rmtree(ITEM_XML.dir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    for count, failed in _item_xml_report:
        tr = terminalreporter
        bad = [f for f in failed if f[5] is None]
        tr.section("item XML against schemas/xnat.xsd", sep="-", bold=bool(bad), red=bool(bad))
        tr.write_line(f"{count} item XML answers checked, {len(bad)} do not validate"
                      + (f", {len(failed) - len(bad)} known (allowed)" if failed != bad else ""))
        for path, method, url, root, msgs, reason in failed:
            tr.write_line(f"{'KNOWN' if reason else 'FAILED'}: {method} {url} <xnat:{root}> "
                          f"saved as {path}" + (f" ({reason})" if reason else ""))
            for m in msgs:
                tr.write_line("    " + m)


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
