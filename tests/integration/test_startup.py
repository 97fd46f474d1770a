"""Start-up: bad directive values are refused by `httpd -t`; a database whose schema this
build does not know, or no database at all, refuses start with one numbered log line."""

import pytest


@pytest.fixture
def server(env):
    """A second, stopped httpd with its own root and port, cleaned up after the test."""
    made = []

    def make(name, database=None):
        s = env.new_server(name, database)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


class TestConfigCheck:
    @pytest.mark.parametrize("directive, value, message", [
        ("ArcaSiteId", '"bad id!"', "ArcaSiteId 'bad id!': use 1-15 letters"),
        ("ArcaSiteId", "ABCDEFGHIJKLMNOP", "ArcaSiteId 'ABCDEFGHIJKLMNOP'"),
        ("ArcaDatabase", '"host=/tmp nosuchkey=1"', "ArcaDatabase: not a valid PostgreSQL"),
        ("ArcaDatabasePoolMax", "0", "ArcaDatabasePoolMax '0': use a whole number"),
        ("ArcaDatabasePoolIdleTimeout", "soon", "ArcaDatabasePoolIdleTimeout 'soon'"),
        ("ArcaAuthCacheTimeout", "-1", "ArcaAuthCacheTimeout '-1'"),
        ("ArcaAuthCacheTimeout", "86401",
         "ArcaAuthCacheTimeout '86401': use a whole number from 0 (no cache) to 86400"),
        ("ArcaLockoutThreshold", "ten", "ArcaLockoutThreshold 'ten': use a whole number"),
        ("ArcaPrearchiveIdle", "0", "ArcaPrearchiveIdle '0': use a whole number from 1 to"),
        ("ArcaImportMaxRatio", "1000001",
         "ArcaImportMaxRatio '1000001': use a whole number from 0 (no limit) to 1000000"),
        ("ArcaImportMaxDepth", "-1", "ArcaImportMaxDepth '-1': use a whole number"),
        ("ArcaImportMaxExpanded", "5X", "ArcaImportMaxExpanded '5X': use a size"),
        ("ArcaImportMaxExpanded", "9000000T", "ArcaImportMaxExpanded '9000000T'"),
        ("ArcaDicomTimeout", "5s", "ArcaDicomTimeout '5s': use a whole number from 1 to"),
        ("ArcaDicomMaxAssociations", "0", "ArcaDicomMaxAssociations '0'"),
        ("ArcaDicomMaxObjectSize", "1023", "ArcaDicomMaxObjectSize: bytes, from 1024"),
        ("ArcaDicomPeer", "PACS 127.0.0.1:65536",
         "ArcaDicomPeer: '127.0.0.1:65536': a port"),
        ("ArcaDicomPeer", "PACS 127.0.0.1:", "ArcaDicomPeer: '127.0.0.1:': a port"),
        ("ArcaDicomReceiver", "ARCA_X 127.0.0.1:11104 sync=maybe",
         "ArcaDicomReceiver ARCA_X: 'sync=maybe': use"),
    ])
    def test_bad_value_is_rejected_with_reason(self, server, directive, value, message):
        s = server("badconf")
        s.write_snippet("bad", f"{directive} {value}\n")
        rc, out = s.config_test()
        assert rc != 0
        assert message in out
        assert "bad.conf" in out  # httpd names the file and line

    @pytest.mark.parametrize("directive, value", [
        ("ArcaImportMaxExpanded", "0"), ("ArcaImportMaxExpanded", "2g"),
        ("ArcaImportMaxExpanded", "8388607T"), ("ArcaImportMaxRatio", "0"),
        ("ArcaLockoutThreshold", "0"), ("ArcaDicomPeer", "PACS *:104"),
        ("ArcaDicomMaxObjectSize", "4294967296"),
    ])
    def test_edge_value_is_accepted(self, server, directive, value):
        s = server("edgeconf")
        s.write_snippet("edge", f"{directive} {value}\n")
        rc, out = s.config_test()
        assert rc == 0, out

    def test_good_configuration_passes(self, server):
        rc, out = server("goodconf").config_test()
        assert rc == 0, out
        assert "Syntax OK" in out

    def test_missing_archive_directory_refuses_start(self, server):
        s = server("noarchive")
        s.write_snippet("archive", "ArcaArchive /nonexistent/arca-archive\n")
        rc, _ = s.start_expecting_failure()
        assert rc != 0
        assert "ARCA10003: ArcaArchive /nonexistent/arca-archive: no such directory" \
            in s.error_log()


class TestSchemaCheck:
    def _start_over(self, env, server, dbname, setup_sql):
        env.pg.createdb(dbname)
        if setup_sql:
            env.sql(setup_sql, dbname=dbname)
        s = server(dbname, env.pg.conninfo(dbname))
        rc, _ = s.start_expecting_failure()
        assert rc != 0
        lines = [l for l in s.error_log().splitlines() if "ARCA100" in l]
        assert len(lines) == 1, s.error_log()
        return lines[0]

    def test_empty_database_refuses_start(self, env, server):
        line = self._start_over(env, server, "empty_db", None)
        assert "ARCA10004" in line
        assert "no Arca schema" in line and "arcactl migrate" in line

    def test_newer_schema_refuses_start(self, env, server):
        line = self._start_over(env, server, "future_db", """
            CREATE TABLE arca_schema_migrations (version integer PRIMARY KEY,
                name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO arca_schema_migrations VALUES (9999, 'from_the_future');""")
        assert "ARCA10004" in line
        assert "version 9999, newer than" in line

    def test_older_schema_refuses_start(self, env, server):
        line = self._start_over(env, server, "past_db", """
            CREATE TABLE arca_schema_migrations (version integer PRIMARY KEY,
                name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());""")
        assert "ARCA10004" in line and "arcactl migrate" in line

    def test_unreachable_database_refuses_start(self, env, server):
        s = server("nodb", f"host={env.tmp}/nowhere dbname=arca user=arca password=Sesame42")
        rc, _ = s.start_expecting_failure()
        assert rc != 0
        assert "ARCA10002: Arca cannot start: the database is unavailable" in s.error_log()
        assert "Sesame42" not in s.error_log()  # libpq's reason, never the conninfo

    def test_migrated_database_starts(self, env, server):
        env.pg.createdb("fresh_db")
        env.arcactl("migrate", database=env.pg.conninfo("fresh_db"))
        s = server("fresh", env.pg.conninfo("fresh_db"))
        s.start()
        assert "ARCA10005: Arca" in s.wait_for_log("ARCA10005")


class TestDatabaseOutage:
    def test_503_while_postgres_is_down_then_200_without_restart(self, env):
        pid = env.httpd.pid
        s = env.session()
        assert s.get(env.url("/data/projects?format=json")).status_code == 200
        env.pg.stop()
        try:
            # Several requests, so that several pooled connections and processes see it;
            # a fresh session too, whose password no process has verified yet.
            for client in (s, env.session(), env.session()):
                r = client.get(env.url("/data/projects?format=json"))
                assert r.status_code == 503, r.text
                assert "database is unavailable" in r.text
                assert r.headers.get("Retry-After")
            # The log says why, in libpq's words, when the pool cannot open a connection.
            # A request that takes a pooled connection opened before the outage fails on
            # its query instead (and the connection is dropped); how many such connections
            # the processes hold depends on the load earlier in the run, so ask until the
            # pools are empty.
            def reasons():
                return [l.split("cannot get a database connection: ", 1)[1]
                        for l in env.httpd.error_log().splitlines() if "ARCA10011" in l]
            for _ in range(200):
                if reasons():
                    break
                assert s.get(env.url("/data/projects?format=json")).status_code == 503
            found = reasons()
            assert found and all(r.startswith("the database is unavailable: ")
                                 and len(r) > 40 for r in found), found
        finally:
            env.pg.start()
        for client in (s, env.session()):
            for _ in range(5):
                r = client.get(env.url("/data/projects?format=json"))
                assert r.status_code == 200, r.text
        assert env.httpd.pid == pid
        assert env.httpd.proc.poll() is None

    def test_imports_go_on_after_postgres_restarts(self, env):
        """The import's per-object statements are prepared once per connection: a pooled
        connection re-opened after a PostgreSQL restart prepares them again."""
        from test_import import instances
        p = "Restart1"
        s = env.session()
        assert s.put(env.url(f"/data/projects/{p}")).status_code == 201

        def import_one(i):
            (_, data), = instances(1, 1)
            r = s.post(env.url("/data/services/import"), data=data, params={
                "import-handler": "gradual-DICOM", "PROJECT_ID": p, "SUBJECT_ID": "R1",
                "EXPT_LABEL": f"RS{i}", "dest": "/archive"},
                headers={"Content-Type": "application/dicom"})
            assert r.status_code == 200, r.text

        try:
            for i in range(6):  # on every pooled connection the keep-alive client reaches
                import_one(i)
            env.pg.stop()
            env.pg.start()
            for i in range(6, 12):
                import_one(i)
            assert env.sql("SELECT count(*) FROM arca_file f JOIN arca_resource r ON "
                           "r.pk = f.resource_pk JOIN arca_scan sc ON sc.pk = r.scan_pk "
                           f"JOIN arca_experiment e ON e.id = sc.experiment_id WHERE "
                           f"e.project = '{p}'")[0][0] == "12"
        finally:
            s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))
