#!/usr/bin/env bash
# Compression under load: a token-authenticated JSON answer (GET /api/scopes)
# fetched by wrk (32 connections, its own process) with and without
# Accept-Encoding: gzip, beside nginx serving the same bytes from a file
# (gzip on, level 1 and 6) in the same run. Runs on SQLite, and on
# PostgreSQL too when TEST_DATABASE_URL is set. Prints requests/s and the
# ratios to nginx. Usage: scripts/load/gzip.sh [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "gzip.sh: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
chmod 755 "$work" # nginx workers read the file as another user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/gatehouse" .

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
reqs() { # url [header…] → requests/s
  local url=$1; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  wrk -t2 -c32 -d"${secs}s" "${args[@]}" "$url" | awk '/Requests\/sec/ {print $2}'
}

run() { # backend database-url
  local backend=$1 db=$2 port dir
  port=$(free_port); dir="$work/$backend"; mkdir -p "$dir"
  local env=(GATEHOUSE_DATA_DIR="$dir" GATEHOUSE_ADMIN_EMAIL=bench@example.com GATEHOUSE_ADMIN_PASSWORD=bench-password-1)
  [ -n "$db" ] && env+=(DATABASE_URL="$db")
  env "${env[@]}" "$work/gatehouse" --addr "127.0.0.1:$port" >"$dir/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local token
  token=$(env "${env[@]}" "$work/gatehouse" admin create-token --email bench@example.com --name "gzip-$RANDOM" \
    --expires "$(date -d '+30 days' +%F)" --scope user.token:view)
  local auth="Authorization: Bearer $token" url="http://127.0.0.1:$port/api/scopes"
  curl -fs -H "$auth" "$url" >"$work/scopes.json"
  # nginx serves the same bytes, compressing on the fly like Gatehouse.
  local nport; nport=$(free_port)
  mkdir -p "$work/nginx-$backend"
  cat >"$work/nginx-$backend/nginx.conf" <<EOF
worker_processes 2; pid $work/nginx-$backend/pid; error_log stderr error; daemon off;
events { worker_connections 1024; }
http { access_log off; sendfile on; default_type application/json; gzip_types application/json;
  types_hash_max_size 2048;
  server { listen 127.0.0.1:$nport; root $work;
    location /l1/ { alias $work/; gzip on; gzip_comp_level 1; gzip_min_length 1024; }
    location /l6/ { alias $work/; gzip on; gzip_comp_level 6; gzip_min_length 1024; } } }
EOF
  "$nginx_bin" -c "$work/nginx-$backend/nginx.conf" -p "$work/nginx-$backend" &
  pids+=($!)
  sleep 0.5
  curl -fs "http://127.0.0.1:$nport/l1/scopes.json" | cmp -s - "$work/scopes.json" || { echo "nginx does not serve the same bytes" >&2; exit 1; }
  local size gz
  size=$(stat -c %s "$work/scopes.json")
  gz=$(curl -fs -H "$auth" -H 'Accept-Encoding: gzip' "$url" | wc -c)
  local g_plain g_gzip n_plain n_gz1 n_gz6
  g_plain=$(reqs "$url" "$auth")
  g_gzip=$(reqs "$url" "$auth" "Accept-Encoding: gzip")
  n_plain=$(reqs "http://127.0.0.1:$nport/l1/scopes.json")
  n_gz1=$(reqs "http://127.0.0.1:$nport/l1/scopes.json" "Accept-Encoding: gzip")
  n_gz6=$(reqs "http://127.0.0.1:$nport/l6/scopes.json" "Accept-Encoding: gzip")
  printf '%s: /api/scopes %d bytes, %d gzipped\n' "$backend" "$size" "$gz"
  printf '  %-34s %10s req/s\n' "Gatehouse, plain" "$g_plain" "Gatehouse, gzip" "$g_gzip" \
    "nginx, plain" "$n_plain" "nginx, gzip level 1" "$n_gz1" "nginx, gzip level 6" "$n_gz6"
  awk -v a="$g_plain" -v b="$n_plain" -v c="$g_gzip" -v d="$n_gz1" -v e="$n_gz6" 'BEGIN {
    printf "  ratios: plain %.2fx nginx; gzip %.2fx nginx level 1, %.2fx nginx level 6; gzip/plain %.2f\n", a/b, c/d, c/e, c/a }'
}

run sqlite ""
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  schema="gzip_$RANDOM"
  psql "$TEST_DATABASE_URL" -qc "CREATE SCHEMA $schema" >/dev/null
  sep='?'; [[ $TEST_DATABASE_URL == *\?* ]] && sep='&'
  run postgres "${TEST_DATABASE_URL}${sep}search_path=$schema"
  psql "$TEST_DATABASE_URL" -qc "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" >/dev/null
fi
