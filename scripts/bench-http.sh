#!/usr/bin/env bash
# bench-http.sh [SIZE] — HTTP lookups over loopback against a generated world
# of SIZE addresses (default 1000000): one `tipd serve` on Pebble, and, when a
# PostgreSQL server is at hand (TIPD_BENCH_POSTGRES, a postgres:// URL of an
# empty database; or TIPD_TEST_POSTGRES, in which a fresh schema is made),
# one and two `tipd serve` processes on PostgreSQL. Each measurement runs
# `tipd bench -static`, which also measures a static file server answering
# the same bytes in the same run. Prints import summaries and bench lines.
set -euo pipefail
size=${1:-1000000}
dur=${TIPD_BENCH_DURATION:-10s}
conc=${TIPD_BENCH_CONNECTIONS:-8}
work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-http-XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
cd "$(dirname "$0")/.."
go build -o "$work/tipd" ./cmd/tipd
tipd=$work/tipd
now=2026-11-28T12:00:00Z
export PGOPTIONS="--client-min-messages=warning"
export TIPD_NOW=$now

echo "== world: $size addresses"
"$tipd" gen -size "$size" -seed 1 -now "$now" -out "$work/w" >/dev/null
awk '/"kind":"sighting"/ && ++n % 97 == 0 && m++ < 4000' "$work/w/world.jsonl" |
	sed 's/.*"ip":"\([^"]*\)".*/\1/' | sort -u >"$work/addrs"
echo "addresses looked up: $(wc -l <"$work/addrs")"

serve() { # store, then prints the URL
	"$tipd" serve -store "$1" -addr 127.0.0.1:0 -log text -refresh 1m -rate 0 >"$work/serve.$2.out" 2>"$work/serve.$2.err" &
	pids+=($!)
	for _ in $(seq 1 100); do
		if grep -q '^url: ' "$work/serve.$2.out" 2>/dev/null; then
			sed -n 's/^url: //p' "$work/serve.$2.out"
			return
		fi
		sleep 0.1
	done
	echo "serve did not start: $(cat "$work/serve.$2.err")" >&2
	exit 1
}
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}
bench() { # label, token, urls
	echo "== $1"
	"$tipd" bench -url "$3" -token "$2" -c "$conc" -d "$dur" -count 10 -static -addresses "$work/addrs"
}

echo "== import into Pebble"
"$tipd" import -q -store "$work/pebble" -format jsonl "$work/w/world.jsonl"
"$tipd" user add -store "$work/pebble" -day-quota 1000000000 bench >/dev/null
tok=$("$tipd" token issue -store "$work/pebble" bench)
u=$(serve "$work/pebble" p1)
bench "Pebble, one process" "$tok" "$u"
stop_all

pg=${TIPD_BENCH_POSTGRES:-}
if [ -z "$pg" ] && [ -n "${TIPD_TEST_POSTGRES:-}" ]; then
	schema=bench_$$
	psql "$TIPD_TEST_POSTGRES" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema"
	sep='?'; case "$TIPD_TEST_POSTGRES" in *\?*) sep='&' ;; esac
	pg="$TIPD_TEST_POSTGRES${sep}search_path=$schema"
fi
if [ -z "$pg" ]; then
	echo "== PostgreSQL: skipped (set TIPD_BENCH_POSTGRES or TIPD_TEST_POSTGRES)"
	exit 0
fi
"$tipd" migrate -store "$pg" >/dev/null
echo "== import into PostgreSQL (COPY)"
"$tipd" import -q -store "$pg" -format jsonl "$work/w/world.jsonl"
"$tipd" user add -store "$pg" -day-quota 1000000000 bench >/dev/null
tok=$("$tipd" token issue -store "$pg" bench)
u1=$(serve "$pg" g1)
bench "PostgreSQL, one process" "$tok" "$u1"
u2=$(serve "$pg" g2)
bench "PostgreSQL, two processes" "$tok" "$u1,$u2"
stop_all
if [ -n "${schema:-}" ]; then psql "$TIPD_TEST_POSTGRES" -qc "DROP SCHEMA $schema CASCADE"; fi
