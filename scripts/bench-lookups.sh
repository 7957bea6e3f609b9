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
# With TIPD_BENCH_SPREAD=N (default 1000, 0: off) each round also runs the
# four lookups over N distinct objects of each kind, one after the other
# (ip*, domain*, url*, hash*: addresses and names of the world's
# resolutions, web addresses hosted on its addresses, files downloaded
# from them, taken from `tipd gen` of the same size and seed), with a wrk
# script that cycles through them; their ratios are to ip*. Answers are
# then mostly built from what is not kept from earlier lookups.
#
# TIPD_BENCH_SERVE_ARGS are more flags for `tipd serve` (for example
# "-verdicts 0": every verdict computed, nothing kept between lookups).
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
spread=${TIPD_BENCH_SPREAD:-1000}
rotate=$(dirname "$(realpath "$0")")/rotate.lua # the wrk script of rotated paths
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
# shellcheck disable=SC2086
start serve -store "$work/st" -addr 127.0.0.1:0 -rate 0 -log text -refresh 1m ${TIPD_BENCH_SERVE_ARGS:-}
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
	case ${names[$k]} in
	*\*) printf '%-7s %s\n' "${names[$k]}" "${paths[$k]}" ;;
	*) printf '%-7s /api/%s?count=100 (%s bytes)\n' "${names[$k]}" "${paths[$k]}" \
		"$(curl -sf -H "$auth" "$url/api/${paths[$k]}?count=100" | wc -c)" ;;
	esac
done

if [ "$spread" -gt 0 ]; then
	"$bin" gen -size "$size" -seed 1 -out "$work/gen" >/dev/null
	python3 - "$work/gen/world.jsonl" "$work" "$spread" <<'PY'
import json, random, sys
world, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = {"ip": {}, "domain": {}, "url": {}, "hash": {}}
for line in open(world):
    if line.startswith("#"):
        continue
    d = json.loads(line)
    k = d.get("kind")
    if k == "resolution":
        seen["ip"][d["ip"]] = 1
        seen["domain"][d["domain"]] = 1
    elif k == "url" and "://" in d["url"]:
        seen["url"][d["url"].split("://", 1)[1]] = 1
    elif k == "file":
        seen["hash"][d["md5"]] = 1
rng = random.Random(1)
for kind, objs in seen.items():
    objs = sorted(objs)
    pick = rng.sample(objs, min(n, len(objs)))
    with open(f"{out}/spread-{kind}.txt", "w") as f:
        for o in pick:
            f.write(f"/api/{kind}/{o}?count=100\n")
PY
	for kind in ip domain url hash; do
		names+=("$kind*")
		paths+=("$(wc -l <"$work/spread-$kind.txt") distinct objects")
	done
fi

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
		script=()
		case $name in
		ceiling)
			target="http://127.0.0.1:$nport/ip.json"
			p=$npid
			;;
		*\*)
			target="$url/"
			script=(-s "$rotate")
			export PATHS_FILE="$work/spread-${name%\*}.txt"
			;;
		esac
		wrk -t1 -c"$conns" -d2s -H "$auth" "${script[@]}" "$target" >/dev/null
		c0=$(cputime "$p")
		wrk -t1 -c"$conns" -d"$dur" -H "$auth" "${script[@]}" "$target" >"$work/wrk"
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
		ref=ip
		[ "${name%\*}" != "$name" ] && ref='ip*'
		[ "$name" = "$ref" ] && continue
		out+=" $name=$(awk -v a="${rps[$name]}" -v b="${rps[$ref]}" 'BEGIN { printf "%.2f", a / b }')"
		[ "$name" = ceiling ] && continue
		cout+=" $name=$(awk -v a="${cpus[$ref]}" -v b="${cpus[$name]}" 'BEGIN { printf "%.2f", a / b }')"
	done
	echo "$out"
	echo "$cout"
	unset rps cpus
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
