"""A private Arca for tests: a PostgreSQL cluster and an httpd with our modules, in a
temporary directory on free loopback ports. Nothing here touches the checkout's var/."""

import getpass
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IS_ROOT = os.geteuid() == 0
RUN_USER = "www-data" if IS_ROOT else None  # httpd children, when we start it as root


def _apxs(var):
    return subprocess.run(["apxs", "-q", var], check=True, capture_output=True,
                          text=True).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """PostgreSQL on a unix socket only, run as `postgres` when we are root. Tests run it
    with fsync off; `durable` keeps PostgreSQL's default (fsync on), as a real site runs it."""

    def __init__(self, base, group, durable=False):
        self.base = base
        self.durable = durable
        self.data = os.path.join(base, "data")
        self.sockdir = os.path.join(base, "run")
        self.log = os.path.join(base, "log")
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(p.split("/")[-2]))
        assert bins, "PostgreSQL server binaries not installed"
        self.bin = bins[-1]
        os.makedirs(self.sockdir)
        if IS_ROOT:
            shutil.chown(base, "postgres")
            shutil.chown(self.sockdir, "postgres", group)
            os.chmod(self.sockdir, 0o2750)
        self._as_pg(["initdb", "-D", self.data, "-A", "trust", "-U", "arca", "-E", "UTF8"])

    def _as_pg(self, argv, check=True):
        argv = [os.path.join(self.bin, argv[0])] + argv[1:]
        if IS_ROOT:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=check, capture_output=True, text=True)

    def conninfo(self, dbname="arca"):
        return f"host={self.sockdir} dbname={dbname} user=arca"

    def start(self):
        self._as_pg(["pg_ctl", "-D", self.data, "-w", "-l", self.log, "-o",
                     f"-k {self.sockdir} -c listen_addresses=''"
                     + ("" if self.durable else " -c fsync=off"), "start"])

    def stop(self):
        self._as_pg(["pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"], check=False)

    def psql(self, sql, dbname="arca"):
        """Runs SQL; returns rows as lists of strings."""
        out = subprocess.run([os.path.join(self.bin, "psql"), "-h", self.sockdir, "-U", "arca",
                              "-d", dbname, "-v", "ON_ERROR_STOP=1", "-Atq", "-F", "\t",
                              "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def createdb(self, name):
        self.psql(f'CREATE DATABASE "{name}"', dbname="postgres")


def _sanitizer_env():
    """With ./configure --enable-sanitizers the modules need the ASan runtime loaded
    first into httpd, which is not built with it. Leak checks are off: httpd frees its
    pools at exit only partly, by design."""
    module = os.path.join(TOP, "modules", ".libs", "mod_arca.so")
    try:
        out = subprocess.run(["ldd", module], capture_output=True, text=True).stdout
    except OSError:
        return {}
    libs = [line.split("=>")[1].split()[0] for line in out.splitlines()
            if "=>" in line and ("libasan" in line or "libubsan" in line)]
    if not libs:
        return {}
    return {"LD_PRELOAD": " ".join(libs),
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


class Httpd:
    """One httpd, run in the foreground as a child of the test process."""

    BINARY = os.path.join(_apxs("SBINDIR"), _apxs("TARGET"))
    ENV = dict(os.environ, **_sanitizer_env())

    def __init__(self, root, port, database, site_id="XNAT"):
        self.root = root
        self.port = port
        self.database = database
        self.site_id = site_id
        self.proc = None
        for sub in ("conf/extra", "log", "run", "archive", "prearchive"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        if IS_ROOT:
            for sub in ("archive", "prearchive"):
                shutil.chown(os.path.join(root, sub), RUN_USER, RUN_USER)
        # A copy of the pages: the checkout may sit where httpd's User cannot read.
        self.htdocs = os.path.join(root, "htdocs")
        shutil.copytree(os.path.join(TOP, "htdocs"), self.htdocs, dirs_exist_ok=True)
        self.conf = os.path.join(root, "conf", "httpd.conf")
        self.error_log_path = os.path.join(root, "log", "error.log")
        self.write_conf()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_conf(self, **overrides):
        values = {
            "SERVER_ROOT": self.root,
            "LISTEN": f"127.0.0.1:{self.port}",
            "HTTPD_MODULEDIR": _apxs("LIBEXECDIR"),
            "ARCA_MODULEDIR": os.path.join(TOP, "modules", ".libs"),
            "DATABASE": self.database,
            "SITE_ID": self.site_id,
            "HTDOCS": self.htdocs,
            "USER_DIRECTIVES": f"User {RUN_USER}\nGroup {RUN_USER}" if IS_ROOT else "",
            "DICOM_RECEIVER": "",  # never quickstart's fixed port: tests add their own
        }
        values.update(overrides)
        with open(os.path.join(TOP, "conf", "httpd.conf.in")) as f:
            text = f.read()
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        with open(self.conf, "w") as f:
            f.write(text)

    def write_snippet(self, name, text):
        with open(os.path.join(self.root, "conf", "extra", f"{name}.conf"), "w") as f:
            f.write(text)

    def remove_snippet(self, name):
        path = os.path.join(self.root, "conf", "extra", f"{name}.conf")
        if os.path.exists(path):
            os.unlink(path)

    def config_test(self):
        """`httpd -t` on the current configuration: (exit code, output)."""
        r = subprocess.run([self.BINARY, "-t", "-f", self.conf], capture_output=True, text=True,
                           env=self.ENV)
        return r.returncode, r.stdout + r.stderr

    def error_log(self):
        if not os.path.exists(self.error_log_path):
            return ""
        with open(self.error_log_path, errors="replace") as f:
            return f.read()

    def wait_for_log(self, text, timeout=10):
        """The error log once it holds `text` (httpd listens before it has logged all of
        its start-up, so a line may come a moment after the port answers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.error_log()
            if text in log:
                return log
            time.sleep(0.05)
        return self.error_log()

    def start(self, timeout=20):
        """Starts httpd and waits until it answers; raises with the log if it does not."""
        assert self.proc is None
        self.proc = subprocess.Popen([self.BINARY, "-f", self.conf, "-DFOREGROUND"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=self.ENV)
        deadline = time.monotonic() + timeout
        pidfile = os.path.join(self.root, "run", "httpd.pid")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.proc = None
                raise RuntimeError(f"httpd exited at start-up:\n{err}\n{self.error_log()}")
            # this httpd, not one still shutting down on the same port: it writes its pid
            # once its configuration is read and its modules are set up
            try:
                with open(pidfile) as f:
                    ours = f.read().strip() == str(self.proc.pid)
            except OSError:
                ours = False
            try:
                if ours:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("httpd did not start listening in time")

    def start_expecting_failure(self, timeout=20):
        """Runs httpd that should refuse to start: returns (exit code, stderr)."""
        r = subprocess.run([self.BINARY, "-f", self.conf, "-DFOREGROUND"],
                           capture_output=True, text=True, timeout=timeout, env=self.ENV)
        return r.returncode, r.stderr

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        # children may outlive the parent for a moment (slower under sanitizers): wait
        # until nothing answers on the port, so the next start is not fooled by them
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def restart(self):
        self.stop()
        self.start()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None


class ArcaEnv:
    """The session's Arca: cluster, migrated database, site admin, running httpd.
    `durable`: PostgreSQL with fsync on (benchmarks that compare with other servers)."""

    ADMIN = "admin"
    ADMIN_PASSWORD = "admin-test-password"

    def __init__(self, durable=False):
        self.tmp = tempfile.mkdtemp(prefix="arca-test-")
        os.chmod(self.tmp, 0o755)  # httpd's User and postgres must reach inside
        self.arcactl_path = os.path.join(TOP, "arcactl")
        self.pg = PgCluster(os.path.join(self.tmp, "pg"), RUN_USER or getpass.getuser(),
                            durable)
        self.pg.start()
        self.pg.createdb("arca")
        self.database = self.pg.conninfo()
        self.arcactl("migrate")
        pwfile = os.path.join(self.tmp, "admin-password")
        with open(pwfile, "w") as f:
            f.write(self.ADMIN_PASSWORD + "\n")
        self.arcactl("user", "add", self.ADMIN, "--admin", "--password-file", pwfile)
        self.httpd = Httpd(os.path.join(self.tmp, "server"), free_port(), self.database)
        self.httpd.start()
        # The shared session keeps the objects' values as sent (most modules check them);
        # test_deid_default.py runs a fresh install of its own, de-identifying by default.
        r = self.session().put(self.url("/data/config/anon/basicProfile"),
                               params={"status": "disabled"}, timeout=30)
        r.raise_for_status()

    @property
    def httpd_moduledir(self):
        return _apxs("LIBEXECDIR")

    # -- clients -------------------------------------------------------------------------
    def url(self, path):
        return self.httpd.base_url + path

    def session(self, auth=None):
        s = requests.Session()
        s.auth = auth if auth is not None else (self.ADMIN, self.ADMIN_PASSWORD)
        return s

    def get(self, path, auth=None, **kw):
        return requests.get(self.url(path), auth=auth or (self.ADMIN, self.ADMIN_PASSWORD),
                            timeout=30, **kw)

    def arcactl(self, *args, database=None, check=True):
        env = dict(os.environ, ARCA_DATABASE=database or self.database)
        r = subprocess.run([self.arcactl_path, *args], capture_output=True, text=True,
                           env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"arcactl {' '.join(args)} failed ({r.returncode}):\n"
                                 f"{r.stdout}{r.stderr}")
        return r

    def sql(self, query, dbname="arca"):
        return self.pg.psql(query, dbname=dbname)

    def new_server(self, name, database=None):
        """A second httpd (stopped) with its own root and port, e.g. over another DB."""
        return Httpd(os.path.join(self.tmp, name), free_port(), database or self.database)

    def close(self):
        self.httpd.stop()
        self.pg.stop()
        if not os.environ.get("ARCA_KEEP_TEST_DIR"):
            shutil.rmtree(self.tmp, ignore_errors=True)
