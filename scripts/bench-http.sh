#!/usr/bin/env bash
# bench-http.sh [SIZE] — HTTP lookups of `tipd serve` against two reference
# servers answering the very same bytes, all driven by wrk (Debian package
# wrk) on this machine, in the same minutes:
#
#   tipd   `tipd serve` on a Pebble store holding the demo world of SIZE
#          addresses (default 200000), with what a production server does on
#          every request: Bearer authentication, quota counting (a quota of
#          10^9), the burst limit on at a rate far above the load (-rate 10^6),
#          and the request log on (JSON lines, to a file).
#   nginx  nginx (Debian package nginx-light), run as this user with a
#          configuration of its own, serving each answer as a static file
#          (open file cache, sendfile, no access log; 2 workers).
#   bare   scripts/barehttp: a bare Go net/http handler writing each answer
#          from memory; no code of tipd's. Its rate is the load generator's
#          ceiling: tipd's rate is measured against it, so that wrk is shown
#          not to be the bottleneck.
#   floor  scripts/barehttp -raw: no net/http, a loop on each connection that
#          reads request heads and writes the answers; no HTTP beyond that.
#          Its CPU per request is the floor of any Go server on the machine
#          (the system calls, the runtime's poller and scheduler).
#
# The answers are fetched once from tipd and written for the references:
#
#   c10    GET /api/ip/<address>?count=10 over TIPD_BENCH_ADDRESSES (default
#          4000) addresses of the world, rotated by a wrk Lua script.
#   red100 GET /api/ip/<the demo's Red example>?count=100, the full Red
#          answer.
#
# Each round (TIPD_BENCH_ROUNDS, default 2) runs every case against every
# server in an order rotated from round to round, each 1 s of warm-up then
#   wrk -t1 -cN -dD --latency -H "Authorization: Bearer $TOKEN" [-s rotate.lua] URL
# (N: TIPD_BENCH_CONNECTIONS, default 64; D: TIPD_BENCH_DURATION, default 5s),
# and prints requests/s, p50 and p99 latency, and the server's CPU time per
# request (utime + stime of the process and its children, from /proc, before
# and after, over the requests), and for tipd the lookups answered from kept
# answers (serve -answer-cache) and built; then the ratios tipd/nginx and
# tipd/bare of requests/s and p99. With TIPD_TEST_POSTGRES (a fresh schema is made) or
# TIPD_BENCH_POSTGRES (an empty database), the demo world is also loaded into
# PostgreSQL and one `tipd serve` on it ("tipd-pg") runs beside the others.
# TIPD_BENCH_SERVE_ARGS are more flags for both `tipd serve`. With
# TIPD_BENCH_BASE=REV (a git revision), the tipd of that revision is built
# too and runs beside the current one, on the same world in a store it
# writes itself ("base") and on the same PostgreSQL schema ("base-pg"), so that a change
# is measured against its baseline in the same minutes. The load average
# is printed at the start and the end.
set -euo pipefail
for c in wrk nginx python3; do
	command -v "$c" >/dev/null || { echo "bench-http.sh needs $c (apt-get install -y wrk nginx-light python3)" >&2; exit 1; }
done
size=${1:-200000}
rounds=${TIPD_BENCH_ROUNDS:-2}
conns=${TIPD_BENCH_CONNECTIONS:-64}
dur=${TIPD_BENCH_DURATION:-5s}
naddr=${TIPD_BENCH_ADDRESSES:-4000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-http-XXXXXX")
declare -A pids=() urls=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${schema:-}" ]; then psql "$TIPD_TEST_POSTGRES" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$(dirname "$0")/.."
rotate=$PWD/scripts/rotate.lua # the wrk script of rotated paths
go build -o "$work/tipd" ./cmd/tipd
go build -o "$work/barehttp" ./scripts/barehttp
tipd=$work/tipd
base=${TIPD_BENCH_BASE:-}
if [ -n "$base" ]; then
	mkdir -p "$work/base-src"
	git archive "$base" | tar -x -C "$work/base-src"
	(cd "$work/base-src" && go build -o "$work/tipd-base" ./cmd/tipd)
	echo "base: $(git rev-parse --short "$base"); current: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with uncommitted changes')"
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); nproc $(nproc)"

# start NAME CMD...: runs CMD in the background and waits for its url: line.
start() {
	local name=$1
	shift
	"$@" >"$work/$name.out" 2>"$work/$name.err" &
	pids[$name]=$!
	for _ in $(seq 1 1200); do
		if grep -q '^url: ' "$work/$name.out" 2>/dev/null; then
			urls[$name]=$(sed -n 's/^url: //p' "$work/$name.out" | head -1)
			return
		fi
		if ! kill -0 "${pids[$name]}" 2>/dev/null; then break; fi
		sleep 0.25
	done
	echo "$name did not start: $(tail -5 "$work/$name.err")" >&2
	exit 1
}
stop() {
	kill "${pids[$1]}" 2>/dev/null || true
	wait "${pids[$1]}" 2>/dev/null || true
	unset "pids[$1]"
}

# The demo world, and addresses of it (the sightings' addresses of the
# generator's world of the same size, seed and time).
now=$(date -u +%Y-%m-%dT%H:%M:00Z)
TIPD_NOW=$now start demo "$tipd" demo -store "$work/st" -size "$size" -addr 127.0.0.1:0
red=$(awk '$1 == "example:" && $3 == "Red" {print $2; exit}' "$work/demo.out")
stop demo
TIPD_NOW=$now "$tipd" gen -size "$size" -seed 1 -now "$now" -out "$work/gen" >/dev/null
grep '"kind":"sighting"' "$work/gen/world.jsonl" | sed 's/.*"ip":"\([^"]*\)".*/\1/' | sort -u >"$work/all-addrs"
total=$(wc -l <"$work/all-addrs")
awk -v n="$naddr" -v t="$total" 'BEGIN { k = int(t / n); if (k < 1) k = 1 } NR % k == 0 && m++ < n' "$work/all-addrs" >"$work/addrs"
rm -rf "$work/gen"
"$tipd" user add -store "$work/st" -day-quota 1000000000 bench >/dev/null
tok=$("$tipd" token issue -store "$work/st" bench)
auth="Authorization: Bearer $tok"
serveargs=(-addr 127.0.0.1:0 -rate 1000000 -burst 1000000 -log json -refresh 1m)
# shellcheck disable=SC2206
serveargs+=(${TIPD_BENCH_SERVE_ARGS:-})
if [ -n "$base" ]; then
	# The baseline's own store, written by the baseline (a newer store
	# format may be one it cannot open), with the same world.
	TIPD_NOW=$now start demobase "$work/tipd-base" demo -store "$work/st-base" -size "$size" -addr 127.0.0.1:0
	stop demobase
	"$work/tipd-base" user add -store "$work/st-base" -day-quota 1000000000 bench >/dev/null
	basetok=$("$work/tipd-base" token issue -store "$work/st-base" bench)
	start base "$work/tipd-base" serve -store "$work/st-base" "${serveargs[@]}"
fi
start tipd "$tipd" serve -store "$work/st" "${serveargs[@]}"
echo "world: demo, $size addresses; $(wc -l <"$work/addrs") addresses rotated; Red example $red"

# The answers, fetched once from tipd over one connection: html/<query>/<path>.
sed "s|.*|/api/ip/&?count=10|" "$work/addrs" >"$work/c10.paths"
{ cat "$work/c10.paths"; echo "/api/ip/$red?count=100"; } >"$work/all.paths"
python3 - "${urls[tipd]}" "$tok" "$work/all.paths" "$work/html" <<'PY'
import http.client, os, sys, urllib.parse
base, tok, paths, root = sys.argv[1:]
u = urllib.parse.urlsplit(base)
c = http.client.HTTPConnection(u.hostname, u.port)
for p in open(paths).read().split():
    c.request("GET", p, headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"{p}: status {r.status}: {body[:200]!r}")
    path, query = p.split("?", 1)
    f = os.path.join(root, query, path.lstrip("/"))
    os.makedirs(os.path.dirname(f), exist_ok=True)
    open(f, "wb").write(body)
PY
c10bytes=$(cat "$work"/html/count=10/api/ip/* | wc -c)
echo "answers: count=10 $((c10bytes / $(wc -l <"$work/addrs"))) bytes on average; Red count=100 $(wc -c <"$work/html/count=100/api/ip/$red") bytes"
export PATHS_FILE=$work/c10.paths

# nginx, a user process with a prefix of its own.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
user $(id -un) $(id -gn);
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	open_file_cache max=10000 inactive=60s;
	client_body_temp_path $work/nginx;
	proxy_temp_path $work/nginx;
	fastcgi_temp_path $work/nginx;
	uwsgi_temp_path $work/nginx;
	scgi_temp_path $work/nginx;
	default_type application/json;
	server {
		listen 127.0.0.1:$nport;
		root $work/html;
		location / { try_files /\$args\$uri =404; }
	}
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.out" 2>"$work/nginx.err" &
pids[nginx]=$!
urls[nginx]=http://127.0.0.1:$nport
start bare "$work/barehttp" -dir "$work/html"
start floor "$work/barehttp" -dir "$work/html" -raw
for _ in $(seq 1 40); do curl -sf -o /dev/null "${urls[nginx]}/api/ip/$red?count=100" && break; sleep 0.25; done
for s in nginx bare floor; do
	if ! cmp -s <(curl -sf "${urls[$s]}/api/ip/$red?count=100") "$work/html/count=100/api/ip/$red"; then
		echo "$s does not answer the fetched bytes: $(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${urls[$s]}/api/ip/$red?count=100"); $(tail -3 "$work/nginx/error.log" 2>/dev/null)" >&2
		exit 1
	fi
done

servers=(tipd nginx bare floor)
[ -n "$base" ] && servers+=(base)
pg=${TIPD_BENCH_POSTGRES:-}
export PGOPTIONS="--client-min-messages=warning"
if [ -z "$pg" ] && [ -n "${TIPD_TEST_POSTGRES:-}" ]; then
	schema=bench_http_$$
	psql "$TIPD_TEST_POSTGRES" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
	sep='?'
	case "$TIPD_TEST_POSTGRES" in *\?*) sep='&' ;; esac
	pg="$TIPD_TEST_POSTGRES${sep}search_path=$schema"
fi
if [ -n "$pg" ]; then
	"$tipd" migrate -store "$pg" >/dev/null
	TIPD_NOW=$now start demopg "$tipd" demo -store "$pg" -size "$size" -addr 127.0.0.1:0
	stop demopg
	"$tipd" user add -store "$pg" -day-quota 1000000000 bench >/dev/null
	pgtok=$("$tipd" token issue -store "$pg" bench)
	start tipd-pg "$tipd" serve -store "$pg" "${serveargs[@]}"
	servers+=(tipd-pg)
	if [ -n "$base" ]; then
		start base-pg "$work/tipd-base" serve -store "$pg" "${serveargs[@]}"
		servers+=(base-pg)
	fi
fi

tck=$(getconf CLK_TCK)
# cputime PID: CPU ticks of the process and its live children (nginx's workers).
cputime() {
	local t=0 p
	for p in "$1" $(ps -o pid= --ppid "$1"); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
# kept NAME: the answer cache's hits and misses so far of a tipd server.
kept() {
	case $1 in
	tipd* | base*) curl -sf "${urls[$1]}/metrics" | awk '/^tipd_answer_cache_(hits|misses)_total / { printf "%.0f ", $2 }' ;;
	*) echo "0 0" ;;
	esac
}
n=${#servers[@]}
declare -A rps=() p99=()
for r in $(seq 1 "$rounds"); do
	for case in c10 red100; do
		for i in $(seq 0 $((n - 1))); do
			s=${servers[$(((i + r - 1) % n))]}
			h=$auth
			case $s in
			*-pg) h="Authorization: Bearer $pgtok" ;;
			base) h="Authorization: Bearer $basetok" ;;
			esac
			if [ $case = c10 ]; then
				args=(-s "$rotate" "${urls[$s]}/")
			else
				args=("${urls[$s]}/api/ip/$red?count=100")
			fi
			wrk -t1 -c"$conns" -d1s -H "$h" "${args[@]}" >/dev/null
			read -r h0 m0 <<<"$(kept "$s")"
			c0=$(cputime "${pids[$s]}")
			wrk -t1 -c"$conns" -d"$dur" --latency -H "$h" "${args[@]}" >"$work/wrk"
			c1=$(cputime "${pids[$s]}")
			read -r h1 m1 <<<"$(kept "$s")"
			line=$(awk -v c0="$c0" -v c1="$c1" -v tck="$tck" '
				function us(v) {
					if (v ~ /us$/) return v + 0
					if (v ~ /ms$/) return v * 1000
					if (v ~ /s$/) return v * 1e6
					return v
				}
				/requests in/ { n = $1 }
				/^Requests\/sec/ { rps = $2 }
				$1 == "50%" { p50 = us($2) }
				$1 == "99%" { p99 = us($2) }
				/Non-2xx/ { bad = $NF }
				END { printf "%.0f %.0f %.0f %.1f %d", rps, p50, p99, (c1 - c0) / tck * 1e6 / n, bad }
			' "$work/wrk")
			read -r v l50 l99 cpu bad <<<"$line"
			rps[$case.$s]=$v
			p99[$case.$s]=$l99
			printf 'round=%d case=%-6s server=%-7s rps=%-7s p50_us=%-6s p99_us=%-6s cpu_us_per_req=%-6s non2xx=%d' \
				"$r" "$case" "$s" "$v" "$l50" "$l99" "$cpu" "$bad"
			case $s in tipd* | base*) printf ' kept_hits=%d kept_misses=%d' $((h1 - h0)) $((m1 - m0)) ;; esac
			echo
		done
		out="round=$r case=$case"
		for s in tipd tipd-pg base base-pg; do
			[ -n "${rps[$case.$s]:-}" ] || continue
			out+=$(awk -v s="$s" -v t="${rps[$case.$s]}" -v ng="${rps[$case.nginx]}" -v b="${rps[$case.bare]}" \
				-v tp="${p99[$case.$s]}" -v np="${p99[$case.nginx]}" \
				'BEGIN { printf " %s/nginx=%.2f %s/bare=%.2f p99_%s/nginx=%.2f", s, t / ng, s, t / b, s, tp / np }')
		done
		echo "$out"
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
