"""arcactl: migrations are idempotent and safe to run concurrently; status and users."""

import glob
import os
import re
import subprocess
import threading


def latest_migration():
    sql = os.path.join(os.path.dirname(__file__), "..", "..", "sql")
    return max(int(os.path.basename(f).split("_")[0]) for f in glob.glob(f"{sql}/[0-9]*.sql"))


def _fresh_db(env, name):
    env.pg.createdb(name)
    return env.pg.conninfo(name)


class TestMigrate:
    def test_second_run_changes_nothing(self, env):
        db = _fresh_db(env, "migrate_twice")
        first = env.arcactl("migrate", database=db)
        assert "applied 0001_foundation" in first.stdout
        schema = env.sql("SELECT version, name FROM arca_schema_migrations ORDER BY 1",
                         dbname="migrate_twice")
        second = env.arcactl("migrate", database=db)
        assert "already up to date" in second.stdout
        assert "applied" not in second.stdout
        assert env.sql("SELECT version, name FROM arca_schema_migrations ORDER BY 1",
                       dbname="migrate_twice") == schema

    def test_concurrent_runs_apply_each_migration_once(self, env):
        db = _fresh_db(env, "migrate_race")
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            env.arcactl("migrate", database=db, check=False))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        applied = sum(r.stdout.count("applied 0001") for r in results)
        assert applied == 1
        assert env.sql("SELECT count(*) FROM arca_schema_migrations WHERE version = 1",
                       dbname="migrate_race") == [["1"]]

    def test_no_database_named_is_a_clear_error(self, env):
        env_vars = {k: v for k, v in os.environ.items() if k != "ARCA_DATABASE"}
        r = subprocess.run([env.arcactl_path, "migrate"], capture_output=True, text=True,
                           env=env_vars)
        assert r.returncode == 2
        assert "pass -d CONNINFO or set ARCA_DATABASE" in r.stderr

    def test_d_option_takes_the_conninfo(self, env):
        r = subprocess.run([env.arcactl_path, "-d", env.database, "status"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        m = re.search(r"schema version: (\d+) \(this build: (\d+)\)", r.stdout)
        assert m and m.group(1) == m.group(2) == str(latest_migration())


class TestStatusAndUsers:
    def test_status_shows_version_and_counts(self, env):
        r = env.arcactl("status")
        assert "schema version:" in r.stdout
        assert "accounts: " in r.stdout
        assert "projects: " in r.stdout

    def test_status_of_an_empty_database(self, env):
        db = _fresh_db(env, "status_empty")
        r = env.arcactl("status", database=db)
        assert "no Arca schema" in r.stdout

    def test_duplicate_user_is_refused(self, env):
        r = env.arcactl("user", "add", "admin", check=False)
        assert r.returncode == 1
        assert "already exists" in r.stderr

    def test_invalid_login_is_refused(self, env):
        r = env.arcactl("user", "add", "bad:login", check=False)
        assert r.returncode == 1
        assert "not a valid login" in r.stderr

    def test_new_password_file_is_private_and_works(self, env):
        path = f"{env.tmp}/jane-password"
        env.arcactl("user", "add", "jane", "--new-password-file", path)
        assert os.stat(path).st_mode & 0o777 == 0o600
        password = open(path).read().strip()
        assert len(password) >= 20
        assert env.get("/data/auth", auth=("jane", password)).status_code == 200
        shown = env.arcactl("user", "show", "jane").stdout
        assert "site admin: no" in shown
