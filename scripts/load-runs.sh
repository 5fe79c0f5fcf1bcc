#!/usr/bin/env bash
# Runs load-tool scenarios (cmd/ecpts-load) one after the other, each on a
# fresh server, loopback only, waiting for a quiet machine before each:
#
#   scripts/load-runs.sh fanout-sqlite fanout-pg send-pg twonode reconnect saturate idle
#
# BIN=path runs another server binary (an A/B against an older commit:
# `git worktree add /tmp/old <commit>` and build it there); SRVENV="K=V …"
# adds environment to the servers (e.g. SRVENV="GOGC=400"). The reports go
# to standard output; server logs to $OUT (default: a temporary directory).
# Needs PostgreSQL and Redis as `make test` does (scripts/test-deps.sh).
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$(mktemp -d)}
ulimit -n 20000
if [ -z "${BIN:-}" ]; then
  BIN=$OUT/ecpts
  (cd "$top" && go build -o "$BIN" ./cmd/ecpts) || exit 2
fi
LOAD=$OUT/ecpts-load
(cd "$top" && go build -o "$LOAD" ./cmd/ecpts-load) || exit 2
PG_ADMIN='postgres://root@127.0.0.1:5432/test?sslmode=disable'
PG='postgres://root@127.0.0.1:5432/ecpts_load?sslmode=disable'
KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= # a fixed test key: both nodes must share it

fresh_pg() { psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS ecpts_load' -c 'CREATE DATABASE ecpts_load'; }
ready() { for _ in $(seq 1 150); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.2; done; echo "no /readyz at $1" >&2; return 1; }
quiet() { while awk '{exit !($1 > 1.0)}' /proc/loadavg; do sleep 5; done; }
server() { # name addr env... : starts a server, prints its pid
  local name=$1 addr=$2; shift 2
  env ${SRVENV:-} ECPTS_SEND_RATE=100000 ECPTS_WRITE_RATE=100000 ECPTS_WS_PER_USER=20000 ECPTS_LOG_LEVEL=warn ECPTS_DATA_DIR="$(mktemp -d -p "$OUT")" ECPTS_ADDR="$addr" "$@" \
    "$BIN" >"$OUT/server-$name.log" 2>&1 &
  echo $!
}
stop() { kill "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
report() { echo "=== $1 $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"; shift; "$@" 2>&1 | grep -v '^time='; echo; }

A=http://127.0.0.1:18080
B=http://127.0.0.1:18082
for scenario in "$@"; do
  quiet
  case $scenario in
  fanout-sqlite | saturate | idle)
    p=$(server a 127.0.0.1:18080 ECPTS_DEMO=1); ready $A || exit 2
    case $scenario in
    fanout-sqlite) report "fanout sqlite 1000x100" "$LOAD" fanout -base $A -conns 1000 -rate 100 -duration 10s ;;
    saturate) report "saturate sqlite" "$LOAD" fanout -base $A -conns 1000 -saturate -drain 30s ;;
    idle) report "idle 10000" "$LOAD" idle -base $A -conns 10000 ;;
    esac
    stop "$p" ;;
  fanout-pg | send-pg)
    fresh_pg
    p=$(server a 127.0.0.1:18080 ECPTS_DEMO=1 ECPTS_POSTGRES_URL=$PG); ready $A || exit 2
    if [ "$scenario" = fanout-pg ]; then
      report "fanout pg 1000x100" "$LOAD" fanout -base $A -conns 1000 -rate 100 -duration 10s
    else
      report "send pg 2000/s" "$LOAD" send -base $A -rate 2000
    fi
    stop "$p" ;;
  twonode | reconnect)
    fresh_pg
    prefix="load$RANDOM:"
    redis=(ECPTS_POSTGRES_URL=$PG ECPTS_REDIS_URL=redis://127.0.0.1:6379/0 ECPTS_REDIS_PREFIX=$prefix ECPTS_MASTER_KEY=$KEY)
    p1=$(server a 127.0.0.1:18080 ECPTS_DEMO=1 "${redis[@]}"); ready $A || exit 2
    p2=$(server b 127.0.0.1:18082 "${redis[@]}"); ready $B || exit 2
    if [ "$scenario" = twonode ]; then
      report "twonode 100" "$LOAD" twonode -base $A,$B -rate 100
    else
      report "reconnect pg+redis" "$LOAD" reconnect -base $A -conns 1000 -drops 1000 -rate 50
    fi
    stop "$p1" "$p2"
    redis-cli --scan --pattern "$prefix*" | xargs -r redis-cli del >/dev/null ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
done
