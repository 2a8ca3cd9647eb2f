#!/usr/bin/env bash
# Makes a fresh machine ready for `make test`: npm packages (Tailwind, the
# browser-test driver, rattler's JS bindings), Debian's Chromium, conda's own
# package tool (cph, to check our package handling against it), a running
# PostgreSQL and a running S3-compatible server (versitygw, built from the Go
# module proxy).
# Prints the environment the tests need as `export` lines on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test-env: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq >&2; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

# npm packages, pinned by package-lock.json.
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@conda-org/rattler ] || [ ! -d node_modules/axe-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
mkdir -p .cache/playwright-driver
ln -sfn "$PWD/node_modules/playwright-core" .cache/playwright-driver/package

# Chromium from Debian (playwright's own browser download cannot work here).
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  log "installing chromium"
  apt_install chromium
  chromium=$(command -v chromium)
fi

# conda-package-handling: the reference implementation of conda's formats.
if ! command -v cph >/dev/null; then
  log "installing conda-package-handling"
  apt_install conda-package-handling
fi

# nginx: a static conda channel for the mirror tests (and the load program).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  log "installing nginx"
  apt_install nginx
fi

# PostgreSQL: use TEST_DATABASE_URL if given, else the local server (started
# or installed if need be).
db_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      log "installing postgresql"
      apt_install postgresql
    fi
    log "starting postgresql"
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { log "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }
  # Trust auth for local TCP is how this machine's PostgreSQL is set up; make
  # sure the test database exists.
  if ! psql "postgres://postgres@127.0.0.1:5432/test?sslmode=disable" -qtAc 'select 1' >/dev/null 2>&1; then
    psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -qc 'CREATE DATABASE test' >&2 || \
      as_root su postgres -c "psql -qc 'CREATE DATABASE test'" >&2
  fi
fi

# S3: versitygw with its posix backend, built once into .cache/bin and
# started on a fixed loopback port (reused when it already answers). Tests
# make their own buckets; the outage test starts a private instance.
s3_version=v1.8.0
s3_bin="$PWD/.cache/bin/versitygw"
s3_addr=127.0.0.1:9310
if [ ! -x "$s3_bin" ] || [ "$(cat .cache/bin/versitygw.version 2>/dev/null)" != "$s3_version" ]; then
  log "building versitygw $s3_version"
  mkdir -p .cache/bin
  GOBIN="$PWD/.cache/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$s3_version" >&2
  echo "$s3_version" > .cache/bin/versitygw.version
fi
s3_up() { (exec 3<>"/dev/tcp/${s3_addr%:*}/${s3_addr#*:}") 2>/dev/null; }
if ! s3_up; then
  log "starting versitygw on $s3_addr"
  mkdir -p .cache/s3/root
  setsid "$s3_bin" --access gatehouse-test --secret gatehouse-test-secret --port "$s3_addr" --quiet \
    posix "$PWD/.cache/s3/root" >.cache/s3/server.log 2>&1 < /dev/null &
  for _ in $(seq 1 50); do s3_up && break; sleep 0.2; done
  s3_up || { log "versitygw did not start; see .cache/s3/server.log"; exit 1; }
fi

echo "export TEST_DATABASE_URL='$db_url'"
echo "export TEST_S3_ENDPOINT='http://$s3_addr'"
echo "export TEST_S3_ACCESS_KEY_ID='gatehouse-test'"
echo "export TEST_S3_SECRET_ACCESS_KEY='gatehouse-test-secret'"
echo "export TEST_S3_SERVER='$s3_bin'"
echo "export GATEHOUSE_CHROMIUM='$chromium'"
echo "export PLAYWRIGHT_DRIVER_PATH='$PWD/.cache/playwright-driver'"
echo "export PLAYWRIGHT_NODEJS_PATH='$(command -v node)'"
