# Gatehouse. `go run .` runs it; `make test` passes every test.
SHELL := /bin/bash

.PHONY: run test test-go test-e2e generate check-generated bench fuzz

run:
	go run .

# Everything: installs what is missing (npm packages, Chromium, PostgreSQL),
# then vet, unit, store, handler and browser tests on SQLite and PostgreSQL.
test:
	@eval "$$(scripts/test-env.sh)" && \
	go vet ./... && \
	go test -count=1 -timeout 25m ./...

# Rebuild generated code and assets: templ views, Tailwind CSS, vendored htmx.
generate:
	go tool templ generate
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent css
	npm run --silent htmx

# Fails if the committed generated files are stale.
check-generated:
	@scripts/test-env.sh >/dev/null
	go tool templ generate
	npm run --silent css
	git diff --stat --exit-code -- '*_templ.go' static/css/app.css

# Benchmarks (spec §10) and the load script; figures go to BENCHMARKS.md.
bench:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
	  { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx >/dev/null; } || \
	  echo "bench: nginx unavailable; the load program compares with Go's file server only"
	@command -v wrk >/dev/null || \
	  { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }
	@eval "$$(scripts/test-env.sh)" && \
	go test -run '^$$' -bench . -benchmem -benchtime 2s ./... && \
	go run ./scripts/load && \
	go build -o .cache/bin/gatehouse-bench . && \
	go run ./scripts/load -hot -bin .cache/bin/gatehouse-bench -d 5s -rounds 3 && \
	go run ./scripts/load -hot -bin .cache/bin/gatehouse-bench -d 5s -rounds 3 -db "$$TEST_DATABASE_URL" && \
	go run ./scripts/blobload && \
	go run ./scripts/load -big -artifacts 100000 -d 10s && \
	go run ./scripts/load -big -artifacts 100000 -d 10s -db "$$TEST_DATABASE_URL" && \
	scripts/load/gzip.sh

# A longer fuzzing run of the archive reader.
fuzz:
	go test -run '^$$' -fuzz FuzzReadIndex -fuzztime 60s ./models/conda
