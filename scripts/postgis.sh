#!/usr/bin/env bash
# Provides a throwaway PostgreSQL+PostGIS server for the tests and prints its URL, e.g.
#   postgresql://postgres@127.0.0.1:55432/planmap_test
# as the only line on stdout (progress goes to stderr). Installs the Debian packages when
# missing; the server is a private cluster in /tmp/planmap-pg-<port>, apart from Debian's
# default cluster, listening on 127.0.0.1 only with trust auth. Safe to run again: a server
# that is already running is reused, a stopped one is started.
# Port: $PLANMAP_PG_PORT (default 55432).
# `bash scripts/postgis.sh stop` stops that server (if it runs) and prints nothing.
set -euo pipefail
exec 3>&1 1>&2  # stdout is for the URL only

PORT="${PLANMAP_PG_PORT:-55432}"
DB=planmap_test
BASE="/tmp/planmap-pg-$PORT"
DATA="$BASE/data"
LOG="$BASE/server.log"

die() {
  echo "无法启动 PostgreSQL：$1" >&2
  if [ -s "$LOG" ]; then
    echo "--- 服务器日志 $LOG 末尾 ---" >&2
    tail -n 20 "$LOG" >&2
  fi
  exit 1
}

case "$PORT" in '' | *[!0-9]*) die "PLANMAP_PG_PORT 不是端口号：$PORT" ;; esac

# Highest PostgreSQL major version installed (e.g. 15), or nothing.
pg_version() {
  local v best=
  for v in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$v" ] || continue
    v="${v#/usr/lib/postgresql/}"
    v="${v%%/*}"
    if [ -z "$best" ] || [ "$v" -gt "$best" ]; then best="$v"; fi
  done
  echo "$best"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

apt_install() {
  echo "安装 $* ..." >&2
  bash "$(dirname "${BASH_SOURCE[0]}")/debs.sh" "$@" || die "无法安装 $*"
}

# The server may not run as root: as root, run it as the `postgres` OS user.
if [ "$(id -u)" -eq 0 ]; then
  OWNER=postgres
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

if [ "${1:-}" = stop ]; then
  VER="$(pg_version)"
  [ -n "$VER" ] && [ -d "$DATA" ] || exit 0
  if as_owner "/usr/lib/postgresql/$VER/bin/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
    as_owner "/usr/lib/postgresql/$VER/bin/pg_ctl" stop -D "$DATA" -m fast -w -t 60 \
      >/dev/null 2>&1 3>&- || die "pg_ctl stop 失败"
  fi
  exit 0
fi

# --- 1. packages -------------------------------------------------------------------------
# Only missing packages are installed (apt-get install would also upgrade installed ones).
# `postgis` merely recommends the extension, which --no-install-recommends skips, so the
# extension is asked for explicitly: postgresql-postgis -> postgresql-<ver>-postgis-3(-scripts).
has_ext() {
  [ -n "$VER" ] && [ -f "/usr/share/postgresql/$VER/extension/postgis.control" ] \
    && [ -f "/usr/lib/postgresql/$VER/lib/postgis-3.so" ]
}
VER="$(pg_version)"
missing=()
for p in postgresql postgis; do
  installed "$p" || missing+=("$p")
done
has_ext || missing+=(postgresql-postgis)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
  VER="$(pg_version)"
  [ -n "$VER" ] || die "安装后仍找不到 /usr/lib/postgresql/*/bin/initdb"
fi
# The highest major version may not be Debian's default one (e.g. from apt.postgresql.org).
has_ext || apt_install "postgresql-$VER-postgis-3" "postgresql-$VER-postgis-3-scripts"
has_ext || die "找不到 PostgreSQL $VER 的 PostGIS 扩展"
BIN="/usr/lib/postgresql/$VER/bin"

# --- 2. server -----------------------------------------------------------------------------
if [ -L "$BASE" ] || { [ -e "$BASE" ] && [ "$(stat -c %U "$BASE")" != "$OWNER" ]; }; then
  die "$BASE 不属于 $OWNER，请删除后重试"
fi

# A data directory from another major version or from an interrupted initdb: start over.
if [ -d "$DATA" ] && [ "$(cat "$DATA/PG_VERSION" 2>/dev/null)" != "$VER" ]; then
  echo "重建 $DATA（版本不符或未初始化完成）" >&2
  rm -rf "$DATA"
fi

if [ ! -d "$DATA" ]; then
  echo "初始化 PostgreSQL $VER 集群：$DATA" >&2
  if [ "$(id -u)" -eq 0 ]; then
    install -d -m 700 -o postgres -g postgres "$BASE"
  else
    install -d -m 700 "$BASE"
  fi
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 \
    || { tail -n 20 "$BASE/initdb.log" >&2; rm -rf "$DATA"; die "initdb 失败"; }
  # Throwaway test server: loopback only, own socket directory (no /var/run/postgresql),
  # and no durability.
  as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# scripts/postgis.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_owner tee "$DATA/pg_hba.conf" >/dev/null <<EOF
local all all trust
host  all all 127.0.0.1/32 trust
EOF
fi

# A postmaster.pid left by a server that died with the machine may name a PID now used by
# another process; PostgreSQL then refuses to start, so drop it.
if [ -f "$DATA/postmaster.pid" ]; then
  pid="$(head -n 1 "$DATA/postmaster.pid")"
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ]; then
    rm -f "$DATA/postmaster.pid"
  fi
fi

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; }

if ! as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
  echo "启动 PostgreSQL（127.0.0.1:$PORT）..." >&2
  # 3>&-: the server outlives this script and would otherwise hold fd 3 (the caller's
  # $(...) pipe) open, so the caller would wait for the URL forever.
  out="$(as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 2>&1 3>&-)" \
    || { echo "$out" >&2; die "pg_ctl start 失败（端口 $PORT 被占用？）"; }
fi
for _ in $(seq 60); do
  ready && break
  sleep 0.5
done
ready || die "127.0.0.1:$PORT 无响应"

# --- 3. database + extension ---------------------------------------------------------------
psql_() {
  local db="$1"
  shift
  "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$db" "$@"
}
if [ "$(psql_ postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_ postgres -c "CREATE DATABASE $DB" || die "无法创建数据库 $DB"
fi
psql_ "$DB" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis" \
  || die "无法在 $DB 中启用 PostGIS"

echo "postgresql://postgres@127.0.0.1:$PORT/$DB" >&3
