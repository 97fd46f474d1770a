"""Where SQL may live: only in libarca (modules/arca/). The httpd modules speak HTTP and
call libarca for the archive, so a string literal holding SQL anywhere else in modules/ is
a statement in the wrong place. Reads the source tree; needs no server."""

import os
import re


TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULES = os.path.join(TOP, "modules")
LIBARCA = os.path.join(MODULES, "arca")

# The statements, as SQL is written here: keywords in capitals. Adjacent literals are
# joined first, as the compiler joins them, since a statement is often split over lines.
SQL = [re.compile(p, re.S) for p in (
    r"\bSELECT\b.*\bFROM\b",
    r"\bINSERT\s+INTO\b",
    r"\bUPDATE\b.*\bSET\b",
    r"\bDELETE\s+FROM\b",
)]


def string_literals(text):
    """(line, text) of each C string literal, adjacent ones (only blanks and comments
    between them) joined into one at the line of the first."""
    out = []
    i, n, line = 0, len(text), 1
    current = None          # [line, text] of the literal being joined
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif c == '"' or c == "'":
            start_line, j, body = line, i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    body.append(text[j:j + 2])
                    j += 2
                    continue
                if text[j] == "\n":
                    line += 1
                body.append(text[j])
                j += 1
            i = j + 1
            if c == "'":
                current = None
                continue
            if current is None:
                current = [start_line, ""]
                out.append(current)
            current[1] += "".join(body)
        else:
            current = None
            i += 1
    return [(ln, s) for ln, s in out]


def sql_outside_libarca():
    found = []
    for root, dirs, files in os.walk(MODULES):
        if os.path.abspath(root).startswith(LIBARCA + os.sep) or \
                os.path.abspath(root) == LIBARCA:
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if not name.endswith((".c", ".h", ".cc")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, TOP)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for line, s in string_literals(text):
                if any(p.search(s) for p in SQL):
                    found.append("%s:%d: %s" % (rel, line, s[:70]))
    return found


def test_literal_scanner_joins_and_skips():
    text = ('a = "SELECT x "\n   /* c */ "FROM t";\n'
            '// "INSERT INTO t"\n'
            'b = f("UPDATE", y, "SET");\n'
            "c = '\"'; d = \"DELETE FROM \\\"t\\\"\";\n")
    lits = string_literals(text)
    assert lits[0] == (1, "SELECT x FROM t")
    assert (4, "UPDATE") in lits and (4, "SET") in lits
    assert not any("INSERT" in s for _, s in lits)
    assert any(ln == 5 and s.startswith("DELETE FROM") for ln, s in lits)


def test_no_sql_outside_libarca():
    found = sql_outside_libarca()
    assert not found, "SQL belongs in modules/arca/ (libarca):\n" + "\n".join(found)
