"""Rules of the source tree's structure, checked by reading it (no server needed)."""

import os
import re

from arca_env import TOP

# An account's role and state fields, read or written as members of the struct
# (who->site_admin, a.data_access, account->enabled, found->verified, {.site_admin = 1}).
# Whether a person may do something is decided in libarca's access code only
# (modules/arca/access/: authz.h for the decisions, account_view.h for showing an
# account), so that every module, handler and tool asks the same question the same way.
ACCOUNT_FIELD = re.compile(r"(->|\.)\s*(site_admin|data_access|enabled|verified)\b")
ACCESS_DIR = "modules/arca/access/"

# "path: the line, stripped" -> why it may stay. Keep it empty: add an entry only with a
# reason a reviewer would accept.
EXCEPTIONS = {}


def sources():
    for top, dirs, files in os.walk(os.path.join(TOP, "modules")):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".c", ".cc", ".h")):
                path = os.path.join(top, name)
                yield os.path.relpath(path, TOP).replace(os.sep, "/"), path


def test_account_roles_are_read_only_in_the_access_code():
    found = []
    for rel, path in sources():
        if rel.startswith(ACCESS_DIR):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if ACCOUNT_FIELD.search(line) and f"{rel}: {line.strip()}" not in EXCEPTIONS:
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, ("an account's site_admin, data_access, enabled or verified is used "
                       "outside modules/arca/access/; ask access/authz.h (or show it with "
                       "access/account_view.h) instead:\n" + "\n".join(found))


def test_the_check_sees_the_tree():
    """The walk finds the sources and the pattern matches what it is meant to."""
    rels = [rel for rel, _ in sources()]
    assert "modules/arca/access/authz.c" in rels and "modules/rest/routes.c" in rels
    for hit in ("who->site_admin", "a.data_access", "!account->enabled",
                "{.verified = 1}", "who -> enabled"):
        assert ACCOUNT_FIELD.search(hit), hit
    for miss in ('"site_admin"', "in.enable_new", "policy->auto_enable", "sees_enabled"):
        assert not ACCOUNT_FIELD.search(miss), miss
