#!/usr/bin/env bash
# Runs a command with throwaway PostgreSQL and MariaDB servers on 127.0.0.1, each in its own
# data folder and on its own port, and stops them afterwards (also when the command fails).
# Exports IDEMLOAD_TEST_PG_URL and IDEMLOAD_TEST_MYSQL_URL for the tests.
#
#   scripts/with-test-servers.sh ctest --test-dir build
#
# To use your own servers instead, set both variables yourself and run the command directly.
set -euo pipefail

if [ -n "${IDEMLOAD_TEST_PG_URL:-}" ] && [ -n "${IDEMLOAD_TEST_MYSQL_URL:-}" ]; then
  exec "$@"
fi

WORK=$(mktemp -d /tmp/idemload-servers.XXXXXX)
chmod 755 "$WORK"
PG_PID_DIR="$WORK/pg"
MY_DIR="$WORK/my"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_all() {
  set +e
  if [ -f "$PG_PID_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_PID_DIR/data" stop -m immediate >/dev/null 2>&1
  fi
  if [ -f "$MY_DIR/pid" ]; then
    kill "$(cat "$MY_DIR/pid")" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$(cat "$MY_DIR/pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$MY_DIR/pid" 2>/dev/null)" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap stop_all EXIT

# PostgreSQL
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_PORT=$(free_port)
mkdir -p "$PG_PID_DIR"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_PID_DIR"; fi
as_pg "$PG_BIN/initdb" -D "$PG_PID_DIR/data" -A trust -U postgres >"$WORK/pg-initdb.log" 2>&1 ||
  { cat "$WORK/pg-initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PG_PID_DIR/data" -l "$PG_PID_DIR/log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_PID_DIR -c fsync=off -c max_connections=200" \
  start >/dev/null || { cat "$PG_PID_DIR/log"; exit 1; }
export IDEMLOAD_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"

# MariaDB
MY_PORT=$(free_port)
mkdir -p "$MY_DIR"
mariadb-install-db --user="$(id -un)" --datadir="$MY_DIR/data" --auth-root-authentication-method=normal \
  >"$WORK/my-install.log" 2>&1 || { cat "$WORK/my-install.log"; exit 1; }
setsid mariadbd --no-defaults --user="$(id -un)" --datadir="$MY_DIR/data" --port="$MY_PORT" --bind-address=127.0.0.1 \
  --socket="$MY_DIR/sock" --pid-file="$MY_DIR/pid" --local-infile=1 --log-error="$MY_DIR/err.log" \
  --innodb-flush-log-at-trx-commit=0 --skip-log-bin --max-connections=300 </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 120); do
  mariadb -h127.0.0.1 -P"$MY_PORT" -uroot -e 'select 1' >/dev/null 2>&1 && break
  sleep 0.5
done
mariadb -h127.0.0.1 -P"$MY_PORT" -uroot -e 'create database if not exists idemload_test' ||
  { cat "$MY_DIR/err.log"; exit 1; }
export IDEMLOAD_TEST_MYSQL_URL="mysql://root@127.0.0.1:$MY_PORT/idemload_test"

echo "test servers: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT"
set +e
"$@"
rc=$?
exit $rc
