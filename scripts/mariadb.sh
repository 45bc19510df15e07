#!/usr/bin/env bash
# A private MariaDB for the test suite: its own data folder, loopback TCP only, nothing shared with a system server.
#   scripts/mariadb.sh start   install (if missing and root), initialise, start; prints the WCS_DB_* settings
#   scripts/mariadb.sh stop    stop it (the data folder stays; `rm -rf` it to start over)
#   scripts/mariadb.sh env     print the settings for `eval`
# Settings (env): WCS_DB_DIR (default .mariadb in the repo), WCS_DB_PORT (3307), WCS_DB_USER/WCS_DB_PASSWORD (wcs).
# Tuned like a test server: durability off (the data is thrown away); what Frappe relies on is kept as a bench has
# it: utf8mb4_unicode_ci, InnoDB, REPEATABLE READ, MariaDB's default (strict) sql_mode.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${WCS_DB_DIR:-$ROOT/.mariadb}"
PORT="${WCS_DB_PORT:-3307}"
USER_NAME="${WCS_DB_USER:-wcs}"
PASSWORD="${WCS_DB_PASSWORD:-wcs}"
SOCK="$DIR/mariadb.sock"
PIDFILE="$DIR/mariadb.pid"

find_bin() {  # mariadbd lives in /usr/sbin on Debian; not always on a non-root PATH
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    for d in /usr/sbin /usr/local/sbin /usr/local/bin /usr/bin; do
      if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
    done
  done
  return 1
}

ensure_installed() {
  if find_bin mariadbd mysqld >/dev/null && find_bin mariadb-install-db mysql_install_db >/dev/null \
     && find_bin mariadb mysql >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "mariadb.sh: installing mariadb-server and mariadb-client (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
    return 0
  fi
  cat >&2 <<'EOF'
mariadb.sh: MariaDB is not installed and this user cannot install it.
Install it as root, then run this again:
    sudo apt-get install mariadb-server mariadb-client      (Debian/Ubuntu; MariaDB 10.6 or newer)
or run the tests on the embedded SQLite stand-in instead:  WCS_DB=sqlite make test
EOF
  exit 2
}

client() { "$(find_bin mariadb mysql)" --no-defaults --socket="$SOCK" -uroot "$@"; }

running() { [ -S "$SOCK" ] && client -e "select 1" >/dev/null 2>&1; }

# another checkout's server (same port, same test user) serves as well: every test site makes its own database
shared_server() {
  "$(find_bin mariadb mysql)" --no-defaults --protocol=tcp --host=127.0.0.1 --port="$PORT" -u"$USER_NAME" \
    -p"$PASSWORD" -e "select 1" >/dev/null 2>&1
}

start() {
  ensure_installed
  if running || shared_server; then print_env; return 0; fi
  mkdir -p "$DIR"
  if [ ! -d "$DIR/data/mysql" ]; then
    "$(find_bin mariadb-install-db mysql_install_db)" --no-defaults --datadir="$DIR/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 \
      || { cat "$DIR/install.log" >&2; exit 1; }
  fi
  "$(find_bin mariadbd mysqld)" --no-defaults --datadir="$DIR/data" --user="$(id -un)" \
    --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCK" --pid-file="$PIDFILE" \
    --log-error="$DIR/error.log" --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --default-storage-engine=InnoDB --transaction-isolation=REPEATABLE-READ \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 --skip-log-bin \
    --innodb-buffer-pool-size=256M --innodb-log-file-size=128M --max-connections=300 \
    --skip-name-resolve --innodb-lock-wait-timeout=20 </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    if running; then break; fi
    sleep 0.5
  done
  if ! running; then
    echo "mariadb.sh: the server did not come up; its log ($DIR/error.log):" >&2
    tail -20 "$DIR/error.log" >&2 || true
    exit 1
  fi
  client -e "create user if not exists '$USER_NAME'@'127.0.0.1' identified by '$PASSWORD';
             grant all privileges on *.* to '$USER_NAME'@'127.0.0.1'; flush privileges;"
  print_env
}

stop() {
  if running; then client -e "shutdown" || true; fi
  for _ in $(seq 1 60); do [ -S "$SOCK" ] || break; sleep 0.5; done
}

print_env() {
  echo "export WCS_DB=mariadb WCS_DB_HOST=127.0.0.1 WCS_DB_PORT=$PORT WCS_DB_USER=$USER_NAME WCS_DB_PASSWORD=$PASSWORD"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
