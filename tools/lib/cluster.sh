# A private PostgreSQL cluster in a directory: unix socket only, no TCP port. Run as the
# `postgres` system user when we are root (PostgreSQL refuses to run as root).
# Sourced, not run. Functions take the cluster directory ($1).

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The conninfo of the cluster's `arca` database.
pg_conninfo() { echo "host=$1/run dbname=arca user=arca"; }

pg_running() { [ -f "$1/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1; }

# Creates the cluster and its database if they do not exist yet. $2: the OS group that
# may connect through the socket besides the cluster's owner (httpd's), when root.
pg_init() {
    dir=$1 group=$2
    [ -n "$PG_BIN" ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)"
    mkdir -p "$dir/run"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        chown "postgres:$group" "$dir/run"
        chmod 2750 "$dir/run"
        runuser -u postgres -- test -w "$dir" || die "the postgres user cannot reach $dir:
  a parent directory is not open to other users (a home directory of mode 0700, say).
  Move the checkout (to /srv or /opt, say), or set ARCA_VAR to a directory outside it."
    fi
    [ -f "$dir/data/PG_VERSION" ] && return 0
    say "creating a PostgreSQL cluster in $dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U arca -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; die "initdb failed"; }
}

pg_start() {
    dir=$(cd "$1" && pwd)
    pg_running "$dir" && return 0
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/log" \
        -o "-k $dir/run -c listen_addresses=''" start >/dev/null \
        || { tail -n 20 "$dir/log"; die "PostgreSQL did not start (log: $dir/log)"; }
    if ! "$PG_BIN/psql" -h "$dir/run" -U arca -d postgres -Atqc \
            "SELECT 1 FROM pg_database WHERE datname = 'arca'" | grep -q 1; then
        "$PG_BIN/createdb" -h "$dir/run" -U arca arca || die "createdb failed"
    fi
}

pg_stop() {
    dir=$1
    pg_running "$dir" || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}
