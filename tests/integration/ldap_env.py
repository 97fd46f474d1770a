"""A private OpenLDAP server for tests: slapd with a slapd.conf and a small directory in a
temporary folder, on a free loopback port. The system's slapd (if any) is never used."""

import os
import shutil
import signal
import socket
import subprocess
import time

from arca_env import free_port

SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
SCHEMA_DIR = "/etc/ldap/schema"

# uid -> (givenName, sn, mail, password). 'admin' shadows Arca's local site admin: with
# `AuthBasicProvider arca ldap` its LDAP password must never log in.
USERS = {
    "camilla": ("Camilla", "Rossi", "camilla@example.org", "camillapw"),
    "enrico": ("Enrico", "Bianchi", "enrico@example.org", "enricopw"),
    "giulia": ("Giulia", "Verdi", "giulia@example.org", "giuliapw"),
    "admin": ("Directory", "Admin", "dir-admin@example.org", "ldap-admin-pw"),
}


def _tool(name):
    for d in ("/usr/sbin", "/usr/bin"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    path = shutil.which(name)
    assert path, f"{name} is not installed: run tools/test, which installs slapd and ldap-utils"
    return path


class Slapd:
    def __init__(self, base, users=USERS):
        self.base = base
        self.port = free_port()
        self.db = os.path.join(base, "db")
        self.conf = os.path.join(base, "slapd.conf")
        self.log_path = os.path.join(base, "slapd.log")
        self.proc = None
        self.started_in = None  # seconds from exec to accepting connections
        os.makedirs(self.db)
        os.makedirs(os.path.join(base, "run"))
        self._write_conf()
        self._load(users)

    @property
    def url(self):
        return f"ldap://127.0.0.1:{self.port}"

    def authldap_url(self):
        """AuthLDAPURL for mod_authnz_ldap: uid is the login, the others become
        AUTHENTICATE_GIVENNAME, AUTHENTICATE_SN, AUTHENTICATE_MAIL, AUTHENTICATE_CN."""
        return f"{self.url}/{PEOPLE}?uid,givenName,sn,mail,cn?one?(objectClass=inetOrgPerson)"

    def _write_conf(self):
        schemas = "".join(f"include {SCHEMA_DIR}/{s}.schema\n"
                          for s in ("core", "cosine", "inetorgperson"))
        run = os.path.join(self.base, "run")
        with open(self.conf, "w") as f:
            f.write(f"""{schemas}pidfile {run}/slapd.pid
argsfile {run}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
directory {self.db}
index objectClass,uid eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
""")

    def _load(self, users):
        entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
                   f"dc: example\no: Example\n",
                   f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n"]
        for uid, (given, sn, mail, password) in users.items():
            # slapd takes a cleartext userPassword for simple binds; fine for a test directory.
            entries.append(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                           f"cn: {given} {sn}\nsn: {sn}\ngivenName: {given}\nmail: {mail}\n"
                           f"userPassword: {password}\n")
        ldif = os.path.join(self.base, "directory.ldif")
        with open(ldif, "w") as f:
            f.write("\n".join(entries))
        subprocess.run([_tool("slapadd"), "-q", "-f", self.conf, "-l", ldif], check=True,
                       capture_output=True, text=True)

    def start(self, timeout=10):
        """Runs slapd in the foreground (-d), so that the process is slapd itself."""
        assert self.proc is None
        t0 = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([_tool("slapd"), "-f", self.conf, "-h", self.url + "/",
                                          "-d", "0"], stdout=log, stderr=log)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"slapd exited at start-up:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    self.started_in = time.monotonic() - t0
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"slapd did not listen in time:\n{self.log()}")

    def stop(self, kill=False):
        """SIGTERM and wait (1-2 s: slapd waits for its threads); kill=True for an
        instant outage."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def bind_ok(self, uid, password):
        """Whether a simple bind as the user works (ldapwhoami), to check the directory."""
        r = subprocess.run([_tool("ldapwhoami"), "-x", "-H", self.url, "-D",
                            f"uid={uid},{PEOPLE}", "-w", password], capture_output=True)
        return r.returncode == 0
