"""pytest fixtures for Arca's integration tests (real PostgreSQL, real httpd)."""

import pytest

from arca_env import ArcaEnv


@pytest.fixture(scope="session")
def env():
    e = ArcaEnv()
    yield e
    e.close()
