#!/usr/bin/env bash
# bench-lookups.sh [BINARY] — the domain, web-address and file lookups
# against the IP lookup, with wrk against one `tipd serve` (the given tipd
# binary, or one built from this checkout) on a Pebble store holding a demo
# world of TIPD_BENCH_SIZE addresses (default 100000).
#
# The objects are those of the demo's first Red address: the address
# itself (ip), the C&C domain that resolved to it (domain), the panel on
# that domain (url), the file downloaded from its first binary (hash), and
# the C&C domain's parent, which lists a hundred Red subdomains (parent).
# Each round (TIPD_BENCH_ROUNDS, default 3) runs every target in an order
# rotated from round to round, each with 2 s of warm-up then
#   wrk -t1 -cN -dD -H "Authorization: Bearer $TOKEN" URL/api/<kind>/<object>?count=100
# (N: TIPD_BENCH_CONNECTIONS, default 64; D: TIPD_BENCH_DURATION, default
# 8s), and prints requests/s, the server's CPU time per request, and each
# lookup's requests/s divided by the IP lookup's of the same round (and,
# steadier on a shared machine, the IP lookup's CPU time per request
# divided by the lookup's).
#
# With TIPD_BENCH_CEILING=1 (default) and nginx installed, each round also
# runs wrk against nginx serving the IP answer's bytes as a static file:
# the load generator's ceiling on this machine. The user has a quota of
# 10^9 and serve runs with -rate 0. Needs wrk (Debian package wrk).
set -euo pipefail
command -v wrk >/dev/null || { echo "bench-lookups.sh needs wrk (apt-get install -y wrk)" >&2; exit 1; }
size=${TIPD_BENCH_SIZE:-100000}
rounds=${TIPD_BENCH_ROUNDS:-3}
conns=${TIPD_BENCH_CONNECTIONS:-64}
dur=${TIPD_BENCH_DURATION:-8s}
ceiling=${TIPD_BENCH_CEILING:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-lookups-XXXXXX")
if [ $# -ge 1 ]; then
	bin=$(realpath "$1")
else
	bin=$work/tipd
	go build -o "$bin" ./cmd/tipd
fi
pid=
npid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	if [ -n "$npid" ]; then kill "$npid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# start ARGS...: runs the binary in the background (pid) and sets url to
# the url: line it prints.
start() {
	"$bin" "$@" >"$work/out" 2>"$work/err" &
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

start demo -store "$work/st" -size "$size" -addr 127.0.0.1:0
red=$(awk '$1 == "example:" && $3 == "Red" {print $2; exit}' "$work/out")
stop
"$bin" user add -store "$work/st" -day-quota 1000000000 bench >/dev/null
tok=$("$bin" token issue -store "$work/st" bench)
start serve -store "$work/st" -addr 127.0.0.1:0 -rate 0 -log text -refresh 1m
auth="Authorization: Bearer $tok"

# The objects of the Red address, read from its own answer.
curl -sf -H "$auth" "$url/api/ip/$red?count=100" >"$work/ip.json"
domain=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["IpDnsResolutions"][0]["Domain"])' <"$work/ip.json")
panel=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([u["Url"] for u in d["HostedUrls"] if "/panel/" in u["Url"]][0])' <"$work/ip.json")
md5=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["FilesDownloadedFromIp"][0]["Md5"])' <"$work/ip.json")
parent=${domain#*.}
names=(ip domain url hash parent)
paths=("ip/$red" "domain/$domain" "url/$panel" "hash/$md5" "domain/$parent")
echo "store: demo world of $size addresses; wrk -t1 -c$conns -d$dur; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in "${!names[@]}"; do
	printf '%-7s /api/%s?count=100 (%s bytes)\n' "${names[$k]}" "${paths[$k]}" \
		"$(curl -sf -H "$auth" "$url/api/${paths[$k]}?count=100" | wc -c)"
done

if [ "$ceiling" = 1 ] && command -v nginx >/dev/null; then
	mkdir -p "$work/nginx/html"
	cp "$work/ip.json" "$work/nginx/html/ip.json"
	nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx;
	proxy_temp_path $work/nginx;
	fastcgi_temp_path $work/nginx;
	uwsgi_temp_path $work/nginx;
	scgi_temp_path $work/nginx;
	server { listen 127.0.0.1:$nport; root $work/nginx/html; default_type application/json; }
}
CONF
	nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
	npid=$!
	sleep 1
	names+=(ceiling)
	paths+=("")
fi

tck=$(getconf CLK_TCK)
cputime() { awk '{print $14 + $15}' "/proc/$1/stat"; }
n=${#names[@]}
for r in $(seq 1 "$rounds"); do
	declare -A rps=() cpus=()
	for i in $(seq 0 $((n - 1))); do
		k=$(((i + r - 1) % n))
		name=${names[$k]}
		target="$url/api/${paths[$k]}?count=100"
		p=$pid
		if [ "$name" = ceiling ]; then
			target="http://127.0.0.1:$nport/ip.json"
			p=$npid
		fi
		wrk -t1 -c"$conns" -d2s -H "$auth" "$target" >/dev/null
		c0=$(cputime "$p")
		wrk -t1 -c"$conns" -d"$dur" -H "$auth" "$target" >"$work/wrk"
		c1=$(cputime "$p")
		line=$(awk -v c0="$c0" -v c1="$c1" -v tck="$tck" '
			/requests in/ { n = $1 }
			/^Requests\/sec/ { rps = $2 }
			/Non-2xx/ { bad = $NF }
			END { printf "%s %.0f %d", rps, (c1 - c0) / tck * 1e6 / n, bad }
		' "$work/wrk")
		read -r v cpu bad <<<"$line"
		rps[$name]=$v
		cpus[$name]=$cpu
		printf 'round=%d lookup=%s rps=%s cpu_us_per_req=%s non2xx=%d\n' "$r" "$name" "$v" "$cpu" "$bad"
	done
	out="round=$r ratios to ip:"
	cout="round=$r cpu ratios (ip cpu/request over the lookup's):"
	for name in "${names[@]}"; do
		[ "$name" = ip ] && continue
		out+=" $name=$(awk -v a="${rps[$name]}" -v b="${rps[ip]}" 'BEGIN { printf "%.2f", a / b }')"
		[ "$name" = ceiling ] && continue
		cout+=" $name=$(awk -v a="${cpus[ip]}" -v b="${cpus[$name]}" 'BEGIN { printf "%.2f", a / b }')"
	done
	echo "$out"
	echo "$cout"
	unset rps cpus
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
