# e-CPTS build, test and run targets. CI runs `make test` through .ci/run;
# the README's two commands are `make run` and `make test`. GNU make.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:

GO ?= go
NPM ?= npm
BIN := bin/ecpts
FRONTEND := frontend
UI_INDEX := $(FRONTEND)/dist/app/index.html
NODE_STAMP := $(FRONTEND)/node_modules/.package-lock.json

# staticcheck 2026.2.2 builds and runs with Go 1.26 (checked with go run).
STATICCHECK_VERSION ?= v0.8.2
# The Caddy of docker-compose.yml's caddy:2.10-alpine image.
CADDY_VERSION ?= v2.10.2
GO_TEST_TIMEOUT ?= 20m
BENCHTIME ?= 1s

# The Go tests read these; they use their own database and key prefix, and
# fail (never skip) when the service is unreachable. An outer value wins.
export ECPTS_TEST_POSTGRES_URL ?= postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable
export ECPTS_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

# Every tracked input of the UI build, directories included: a deleted file
# changes its directory's date and so still triggers a rebuild.
UI_SOURCES := $(shell find $(FRONTEND) \( -path $(FRONTEND)/node_modules -o -path $(FRONTEND)/dist \
	-o -path $(FRONTEND)/e2e -o -path $(FRONTEND)/test-results \) -prune -o -print 2>/dev/null)

# Go files gofmt checks: not the front end's node_modules, not testdata.
GO_FILES = $(shell find . \( -path ./.git -o -path ./$(FRONTEND)/node_modules -o -name testdata \) -prune \
	-o -name '*.go' -print)

.PHONY: build build-noui ui run test test-deps fmt-check vet go-test ui-check e2e screenshot bench lint deploy-check clean help

help:
	@echo 'make build       UI (npm) then bin/ecpts'
	@echo 'make build-noui  bin/ecpts without the UI (-tags no_ui)'
	@echo 'make run         build, then bin/ecpts with ECPTS_DEMO=1 (data in ./data)'
	@echo 'make test        services, build, gofmt, vet, go test -race, svelte-check, browser tests'
	@echo 'make bench       Go benchmarks of the packages that have them'
	@echo 'make lint        gofmt, go vet, staticcheck $(STATICCHECK_VERSION)'
	@echo 'make screenshot  browser tests writing docs/screenshot.png'
	@echo 'make deploy-check  deploy/Caddyfile in Caddy $(CADDY_VERSION) over two local nodes (no Docker)'
	@echo 'make clean       remove bin/ and the UI build (keeps ./data)'

# npm ci only when node_modules is missing or older than package-lock.json
# or package.json (scripts/test-deps.sh applies the same rule).
$(NODE_STAMP): $(FRONTEND)/package-lock.json $(FRONTEND)/package.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	touch $@

$(UI_INDEX): $(NODE_STAMP) $(UI_SOURCES)
	cd $(FRONTEND) && $(NPM) run build
	test -f $@ || { echo "make: npm run build did not write $@" >&2; exit 1; }
	touch $@

ui: $(UI_INDEX)

# The Go build always runs: the Go build cache makes it cheap and knows the
# dependencies better than make would.
build: $(UI_INDEX)
	$(GO) build -trimpath -o $(BIN) ./cmd/ecpts

build-noui:
	$(GO) build -trimpath -tags no_ui -o $(BIN) ./cmd/ecpts

run: build
	ECPTS_DEMO=1 exec ./$(BIN)

test-deps:
	bash scripts/test-deps.sh

fmt-check:
	@out=$$(gofmt -l $(GO_FILES)); \
	if [[ -n $$out ]]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

go-test:
	$(GO) test -race -count=1 -timeout $(GO_TEST_TIMEOUT) ./...

# npm run check fails when frontend/src/lib/api-types.ts is not what server/openapi.json
# generates (npm run check:api-types), then type-checks the app against it (svelte-check).
ui-check: $(NODE_STAMP)
	cd $(FRONTEND) && $(NPM) run check && $(NPM) run test:unit

e2e: build
	cd $(FRONTEND) && ECPTS_BIN=$(CURDIR)/$(BIN) $(NPM) run test:e2e

screenshot: build
	cd $(FRONTEND) && ECPTS_SCREENSHOT=1 ECPTS_BIN=$(CURDIR)/$(BIN) $(NPM) run test:e2e

# One step after the other, in this order even under make -j: services first
# (a missing one fails here, with a clear message), the cheap checks before
# the long ones.
test:
	bash scripts/test-deps.sh
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory fmt-check
	$(MAKE) --no-print-directory vet
	$(MAKE) --no-print-directory go-test
	$(MAKE) --no-print-directory ui-check
	$(MAKE) --no-print-directory e2e

# Benchmarks need PostgreSQL and Redis (SendMessage on FerretDB-PostgreSQL,
# the Redis broker) but no browser.
bench:
	bash scripts/test-deps.sh go postgres redis
	pkgs=$$(grep -rl --include='*_test.go' -E '^func Benchmark' . --exclude-dir=node_modules --exclude-dir=.git \
		| xargs -r -n1 dirname | sort -u || true); \
	if [[ -z $$pkgs ]]; then echo "make: no benchmarks found" >&2; exit 1; fi; \
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $$pkgs

lint: fmt-check vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# No Docker engine runs on the development machines or CI, so neither the
# image nor the compose stack is exercised there. deploy-check does what can
# be done without one, with the Caddy version of the compose image (built
# from source through the Go module proxy: a few minutes the first time):
# validate deploy/Caddyfile for a real domain (automatic HTTPS), then run
# scripts/deploycheck: two ecpts nodes sharing PostgreSQL (FerretDB) and
# Redis behind Caddy with that Caddyfile, WebSockets and fail-over included.
CADDYFILE ?= deploy/Caddyfile
CADDY := bin/tools/caddy-$(CADDY_VERSION)

$(CADDY):
	mkdir -p $(@D)
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	GOBIN=$$tmp $(GO) install github.com/caddyserver/caddy/v2/cmd/caddy@$(CADDY_VERSION); \
	mv "$$tmp/caddy" $@

deploy-check: $(CADDY) build
	bash scripts/test-deps.sh go postgres redis
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	if ECPTS_DOMAIN=ecpts.example.org $(CADDY) adapt --config $(CADDYFILE) --validate >/dev/null 2>"$$log"; then \
		echo '$(CADDYFILE): valid for Caddy $(CADDY_VERSION)'; \
	else cat "$$log" >&2; exit 1; fi
	$(GO) run ./scripts/deploycheck -ecpts $(BIN) -caddy $(CADDY) -caddyfile $(CADDYFILE)

# clean keeps ./data (the demo database a developer may still want) and
# node_modules (slow to reinstall; npm ci refreshes it when the lock changes).
clean:
	rm -rf bin $(FRONTEND)/dist/app
