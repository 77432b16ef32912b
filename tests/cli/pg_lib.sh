# pg_lib.sh: a throwaway PostgreSQL 15 + PostGIS 3 server for the PostGIS tests (test_pg_*.sh,
# tests/acceptance/test_pg_*.sh) and bench/pg.sh. Sourced after lib.sh (which sets $TMP):
#
#     pg_start [SETTINGS...]   initdb into a fresh directory under /tmp, start the server on
#                              127.0.0.1 and a free port that is not 5432, create database
#                              "incmap"; sets $PG_URL (postgresql://postgres@127.0.0.1:PORT/incmap),
#                              $PG_PORT and $PG_DIR. SETTINGS are extra postgresql.conf lines.
#                              Exits 77 (skipped, with the reason) when PostgreSQL 15 or PostGIS
#                              3 is not installed: test.sh installs them where it can.
#     pg_psql SQL              runs SQL in the database, unaligned output without headers
#     pg_stop                  stops the server and removes its directory (also done at exit)
#
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user that
# Debian's postgresql package creates; as another user it is that user's. The server listens on
# 127.0.0.1 only and trusts local connections: it holds test data for a few seconds, nothing else.
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=
PG_PORT=
PG_URL=

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_available() {
    [ -x "$PG_BIN/initdb" ] && [ -e /usr/share/postgresql/15/extension/postgis.control ]
}

pg_stop() {
    if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
        pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
        rm -rf "$PG_DIR"
    fi
    PG_DIR=
}

pg_start() {
    if ! pg_available; then
        echo "skipped: PostgreSQL 15 + PostGIS 3 are not installed ($PG_BIN/initdb and PostGIS's extension files);"
        echo "         apt-get install postgresql postgresql-15-postgis-3, or run ./test.sh, which does"
        exit 77
    fi
    PG_DIR=$(mktemp -d /tmp/incmap-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    mkdir "$PG_DIR/data"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR" "$PG_DIR/data"; fi
    trap 'pg_stop; rm -rf "$TMP"' EXIT
    if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1; then
        echo "FAIL initdb into $PG_DIR/data:"
        sed 's/^/       /' "$PG_DIR/initdb.log"
        exit 1
    fi
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$PG_DIR'"
        echo "max_connections = 40"
        echo "shared_buffers = 64MB"
        for line in "$@"; do echo "$line"; done
    } >>"$PG_DIR/data/postgresql.conf"
    # A free port other than 5432: a few random tries, each checked by the server starting on it.
    local try
    for try in 1 2 3 4 5 6 7 8; do
        PG_PORT=$((20000 + (RANDOM * 7 + $$ + try * 131) % 30000))
        if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -o "-p $PG_PORT" -l "$PG_DIR/server.log" -w -t 30 start \
            >/dev/null 2>&1; then
            PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/incmap"
            "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE incmap" \
                >/dev/null || { echo "FAIL creating database incmap"; exit 1; }
            return 0
        fi
    done
    echo "FAIL cannot start PostgreSQL in $PG_DIR (see its log):"
    sed 's/^/       /' "$PG_DIR/server.log" | tail -20
    exit 1
}

pg_psql() {
    "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d incmap -c "$1"
}
