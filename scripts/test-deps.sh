#!/usr/bin/env bash
# test-deps.sh makes sure everything `make test` needs is here and running:
# the Go toolchain, Node.js/npm and the front end's node_modules, PostgreSQL
# with the ecpts_test database, Redis, Debian's Chromium for the browser
# tests, and Debian's clamav-daemon (the virus-scan tests start their own
# clamd with a local test signature; no signature is downloaded). It is idempotent and quick when everything is already in place, and
# it exits non-zero with a clear message when something cannot be had: a
# missing service must fail the test run, never skip tests.
#
# Usage: scripts/test-deps.sh [STEP...]
#   STEP is one of go, node, postgres, redis, chromium, clamav; without any,
#   all run in that order (`make bench` asks for go postgres redis only).
#
# Environment:
#   ECPTS_TEST_POSTGRES_URL  when set to something else than the local
#                            default, only checked for reachability (no start,
#                            no CREATE DATABASE)
#   ECPTS_TEST_REDIS_URL     likewise for Redis
#   DEPS_WAIT_SECONDS        how long to wait for a started service (30)
#   CHROMIUM_PATH            the browser to check for (/usr/bin/chromium);
#                            apt-get installs Debian's chromium when missing
#   CLAMD_PATH               the clamd to check for (/usr/sbin/clamd);
#                            apt-get installs Debian's clamav-daemon when missing
set -euo pipefail

readonly DEFAULT_PG_URL='postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable'
readonly DEFAULT_REDIS_URL='redis://127.0.0.1:6379/0'
readonly GO_MIN_MINOR=26 # go.mod says go 1.26
readonly NODE_MIN_MAJOR=20
readonly CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
readonly CLAMD=${CLAMD_PATH:-/usr/sbin/clamd}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wait_seconds=${DEPS_WAIT_SECONDS:-30}
steps=()

for arg in "$@"; do
	case $arg in
	go | node | postgres | redis | chromium | clamav) steps+=("$arg") ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test-deps: unknown step: $arg (want go, node, postgres, redis, chromium or clamav)" >&2
		exit 2
		;;
	esac
done
if ((${#steps[@]} == 0)); then
	steps=(go node postgres redis chromium clamav)
fi

log() { echo "test-deps: $*"; }
die() {
	echo "test-deps: ERROR: $*" >&2
	exit 1
}

# as_root runs a command as root, through sudo when we are not root: CI runs
# as root, a developer's laptop usually does not.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		return 1
	fi
}

# wait_for polls a check command until it succeeds or wait_seconds elapse.
wait_for() {
	local deadline=$((SECONDS + wait_seconds))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.5
	done
}

check_go() {
	command -v go >/dev/null 2>&1 || die "the Go toolchain is missing (Go 1.${GO_MIN_MINOR} or newer is needed): https://go.dev/dl/"
	local v
	v=$(go env GOVERSION) # e.g. go1.26.8
	if [[ $v =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= GO_MIN_MINOR)); then
		log "go: $v"
	else
		die "Go 1.${GO_MIN_MINOR} or newer is needed, found $v"
	fi
}

check_node() {
	command -v node >/dev/null 2>&1 || die "Node.js is missing (Node ${NODE_MIN_MAJOR} or newer is needed)"
	command -v npm >/dev/null 2>&1 || die "npm is missing"
	local v
	v=$(node --version) # e.g. v20.20.2
	if [[ $v =~ ^v([0-9]+) ]] && ((BASH_REMATCH[1] >= NODE_MIN_MAJOR)); then
		log "node: $v, npm: $(npm --version)"
	else
		die "Node ${NODE_MIN_MAJOR} or newer is needed, found $v"
	fi
}

# check_node_modules runs `npm ci` when node_modules is missing or older than
# package-lock.json or package.json (npm ci rewrites
# node_modules/.package-lock.json, so its date tells when the tree was last
# installed). The Makefile uses the same rule, so the two never disagree.
check_node_modules() {
	local fe=$repo_root/frontend
	[[ -f $fe/package.json ]] || die "frontend/package.json is missing"
	[[ -f $fe/package-lock.json ]] || die "frontend/package-lock.json is missing: npm ci needs it"
	local stamp=$fe/node_modules/.package-lock.json
	if [[ ! -f $stamp || $fe/package-lock.json -nt $stamp || $fe/package.json -nt $stamp ]]; then
		log "npm ci in frontend/"
		(cd "$fe" && npm ci --no-audit --no-fund) || die "npm ci failed in frontend/"
		touch "$stamp"
	else
		log "frontend/node_modules: up to date"
	fi
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }

check_postgres() {
	local url=${ECPTS_TEST_POSTGRES_URL:-$DEFAULT_PG_URL}
	command -v psql >/dev/null 2>&1 || die "psql is missing: install PostgreSQL's client (Debian: postgresql-client)"
	if [[ $url != "$DEFAULT_PG_URL" ]]; then
		psql "$url" -tAc 'SELECT 1' >/dev/null 2>&1 ||
			die "PostgreSQL at ECPTS_TEST_POSTGRES_URL is unreachable (the URL is not printed: it may hold a password)"
		log "postgresql: custom ECPTS_TEST_POSTGRES_URL reachable"
		return
	fi
	if ! pg_up; then
		log "postgresql: not answering on 127.0.0.1:5432, starting the local cluster"
		local version
		version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1 || true)
		[[ -n $version ]] || die "PostgreSQL is not running on 127.0.0.1:5432 and no cluster was found in /etc/postgresql"
		as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
			die "could not start PostgreSQL $version (pg_ctlcluster failed)"
		wait_for pg_up || die "PostgreSQL still not ready on 127.0.0.1:5432 after ${wait_seconds}s"
	fi
	# The local cluster trusts the role root on 127.0.0.1 (a superuser here);
	# the maintenance database is test, postgres as a fallback.
	local maint=test
	psql -h 127.0.0.1 -p 5432 -U root -d "$maint" -tAc 'SELECT 1' >/dev/null 2>&1 || maint=postgres
	local exists
	exists=$(psql -h 127.0.0.1 -p 5432 -U root -d "$maint" -tAc \
		"SELECT 1 FROM pg_database WHERE datname='ecpts_test'") ||
		die "cannot connect to PostgreSQL on 127.0.0.1:5432 as role root (database $maint)"
	if [[ $exists != 1 ]]; then
		log "postgresql: creating database ecpts_test"
		psql -h 127.0.0.1 -p 5432 -U root -d "$maint" -v ON_ERROR_STOP=1 -qc 'CREATE DATABASE ecpts_test' ||
			die "could not create database ecpts_test"
	fi
	psql "$url" -tAc 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to $url"
	log "postgresql: ready, database ecpts_test present"
}

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -qx PONG; }

check_redis() {
	local url=${ECPTS_TEST_REDIS_URL:-$DEFAULT_REDIS_URL}
	command -v redis-cli >/dev/null 2>&1 || die "redis-cli is missing: install Redis (Debian: redis-server)"
	if [[ $url != "$DEFAULT_REDIS_URL" ]]; then
		redis-cli -u "$url" ping 2>/dev/null | grep -qx PONG ||
			die "Redis at ECPTS_TEST_REDIS_URL is unreachable (the URL is not printed: it may hold a password)"
		log "redis: custom ECPTS_TEST_REDIS_URL reachable"
		return
	fi
	if ! redis_up; then
		log "redis: not answering on 127.0.0.1:6379, starting redis-server"
		command -v redis-server >/dev/null 2>&1 || die "Redis is not running on 127.0.0.1:6379 and redis-server is not installed"
		as_root mkdir -p /var/lib/redis /var/log/redis || die "cannot create /var/lib/redis and /var/log/redis"
		# Nothing is kept on disk: the tests own their keys and clean up.
		as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
			--save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
			die "redis-server failed to start (see /var/log/redis/ci.log)"
		wait_for redis_up || die "Redis still not answering on 127.0.0.1:6379 after ${wait_seconds}s (see /var/log/redis/ci.log)"
	fi
	log "redis: ready"
}

check_chromium() {
	if [[ ! -x $CHROMIUM ]]; then
		log "chromium: $CHROMIUM missing, installing Debian's chromium"
		command -v apt-get >/dev/null 2>&1 || die "$CHROMIUM is missing and apt-get is not available: install Chromium so that $CHROMIUM exists"
		as_root apt-get -o DPkg::Lock::Timeout=300 update -qq ||
			die "apt-get update failed: cannot install chromium"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium ||
			die "apt-get install chromium failed"
		[[ -x $CHROMIUM ]] || die "chromium was installed but $CHROMIUM is still missing"
	fi
	log "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
	# Emoji in the screenshots and browser tests need a colour emoji font.
	if ! dpkg-query -W -f='${Status}' fonts-noto-color-emoji 2>/dev/null | grep -q 'install ok installed'; then
		log "chromium: installing Debian's fonts-noto-color-emoji (colour emoji)"
		command -v apt-get >/dev/null 2>&1 || die "fonts-noto-color-emoji is missing and apt-get is not available: install it"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq fonts-noto-color-emoji ||
			{ as_root apt-get -o DPkg::Lock::Timeout=300 update -qq &&
				as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq fonts-noto-color-emoji; } ||
			die "apt-get install fonts-noto-color-emoji failed"
	fi
}

# check_clamav makes sure clamd is installed. The tests of internal/clamav
# start their own clamd (foreground, loopback port and socket in a temporary
# directory, a local EICAR signature as the only database): nothing here
# starts the Debian service or runs freshclam, which cannot download here.
check_clamav() {
	if [[ ! -x $CLAMD ]]; then
		log "clamav: $CLAMD missing, installing Debian's clamav-daemon"
		command -v apt-get >/dev/null 2>&1 || die "$CLAMD is missing and apt-get is not available: install ClamAV's clamd so that $CLAMD exists"
		as_root apt-get -o DPkg::Lock::Timeout=300 update -qq ||
			die "apt-get update failed: cannot install clamav-daemon"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq clamav-daemon ||
			die "apt-get install clamav-daemon failed"
		[[ -x $CLAMD ]] || die "clamav-daemon was installed but $CLAMD is still missing"
	fi
	log "clamav: $("$CLAMD" --version 2>/dev/null || echo "$CLAMD")"
}

for step in "${steps[@]}"; do
	case $step in
	go) check_go ;;
	node)
		check_node
		check_node_modules
		;;
	postgres) check_postgres ;;
	redis) check_redis ;;
	chromium) check_chromium ;;
	clamav) check_clamav ;;
	esac
done
log "ready: ${steps[*]}"
