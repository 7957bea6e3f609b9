#!/usr/bin/env bash
# bench-wrk.sh BINARY... — lookups with wrk against `tipd serve` run by each
# given tipd binary in turn on one Pebble store (a demo world of
# TIPD_BENCH_SIZE addresses, default 200000, made by the first binary), for
# comparing builds: the binaries alternate within each round, in an order
# rotated from round to round. For each round (TIPD_BENCH_ROUNDS, default 3),
# each number of connections (TIPD_BENCH_CONNECTIONS, default "64 8 1") and
# each binary it runs 2 s of warm-up then
#   wrk -t1 -cN -d10s --latency -H "Authorization: Bearer $TOKEN" URL/api/ip/<Red example>?count=10
# and prints requests/s, the median and 99th percentile latency, and the
# server's CPU time per request. The user has a quota of 10^9 and serve runs
# with -rate 0 (no burst limit). Needs wrk (Debian package wrk).
set -euo pipefail
if [ $# -eq 0 ]; then
	echo "usage: bench-wrk.sh BINARY..." >&2
	exit 2
fi
command -v wrk >/dev/null || { echo "bench-wrk.sh needs wrk (apt-get install -y wrk)" >&2; exit 1; }
size=${TIPD_BENCH_SIZE:-200000}
rounds=${TIPD_BENCH_ROUNDS:-3}
conns=${TIPD_BENCH_CONNECTIONS:-64 8 1}
dur=${TIPD_BENCH_DURATION:-10s}
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
url=
work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-wrk-XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# start BINARY ARGS...: runs it in the background (pid) and sets url to the
# url: line it prints.
start() {
	"$@" >"$work/out" 2>"$work/err" &
	pid=$!
	for _ in $(seq 1 600); do
		if grep -q '^url: ' "$work/out" 2>/dev/null; then
			url=$(sed -n 's/^url: //p' "$work/out")
			return
		fi
		sleep 0.5
	done
	echo "tipd did not start: $(cat "$work/err")" >&2
	exit 1
}
stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

start "${bins[0]}" demo -store "$work/st" -size "$size" -addr 127.0.0.1:0
red=$(awk '$1 == "example:" && $3 == "Red" {print $2; exit}' "$work/out")
stop
"${bins[0]}" user add -store "$work/st" -day-quota 1000000000 bench >/dev/null
tok=$("${bins[0]}" token issue -store "$work/st" bench)
echo "store: demo world of $size addresses; looking up $red"

tck=$(getconf CLK_TCK)
cputime() { awk '{print $14 + $15}' "/proc/$1/stat"; }
n=${#bins[@]}
for r in $(seq 1 "$rounds"); do
	for c in $conns; do
		for i in $(seq 0 $((n - 1))); do
			b=${bins[$(((i + r - 1) % n))]}
			start "$b" serve -store "$work/st" -addr 127.0.0.1:0 -rate 0 -log text -refresh 1m
			target="$url/api/ip/$red?count=10"
			wrk -t1 -c"$c" -d2s -H "Authorization: Bearer $tok" "$target" >/dev/null
			c0=$(cputime "$pid")
			wrk -t1 -c"$c" -d"$dur" --latency -H "Authorization: Bearer $tok" "$target" >"$work/wrk"
			c1=$(cputime "$pid")
			stop
			awk -v r="$r" -v c="$c" -v b="$b" -v c0="$c0" -v c1="$c1" -v tck="$tck" '
				/requests in/ { n = $1 }
				/^Requests\/sec/ { rps = $2 }
				$1 == "50%" { p50 = $2 }
				$1 == "99%" { p99 = $2 }
				/Non-2xx/ { bad = $NF }
				END { printf "round=%d c=%d bin=%s rps=%s p50=%s p99=%s cpu_us_per_req=%.0f non2xx=%d\n", r, c, b, rps, p50, p99, (c1 - c0) / tck * 1e6 / n, bad }
			' "$work/wrk"
		done
	done
done
