#!/usr/bin/env bash
# bench-memory.sh [CONNS] [SECONDS] — the memory of `tipd serve` under
# lookups whose clients never read the answer. Imports one busy address
# (12,000 hosted web addresses, files, resolutions and feed masks: count=10000
# is an answer of about 8 MB) into a Pebble store, starts `tipd serve` (with
# its defaults, but -rate 0 so that every request reaches the lookup; extra
# flags in TIPD_SERVE_FLAGS), reads one such answer to warm the block cache,
# then opens CONNS connections (default 200) for one user, each sending
# GET /api/ip/<busy address>?count=10000 and never reading, while a second
# user looks up count=100 every 40 ms for SECONDS (default 10). Prints the
# resident memory before and at its peak (VmRSS sampled every 50 ms, and
# VmHWM) and the second user's statuses and latencies. TIPD is the binary
# to run (default: built from this tree).
set -euo pipefail
conns=${1:-200}
secs=${2:-10}
# shellcheck source=scripts/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
bench_init memory
ip=45.95.147.10

awk -v ip="$ip" 'BEGIN {
	for (i = 0; i < 12000; i++) {
		t = sprintf("2026-11-%02dT%02d:%02d:00Z", 27 - int(i / 1440) % 20, int(i / 60) % 24, i % 60)
		u = sprintf("http://%s/bins/campaign-%06d/payload.bin", ip, i)
		d = sprintf("host-%06d.badcorp.example", i)
		z = (i % 3 == 0) ? "Red" : "Grey"
		printf "{\"kind\":\"url\",\"url\":\"%s\",\"zone\":\"%s\",\"hits\":%d,\"first_seen\":\"%s\",\"last_seen\":\"%s\"}\n", u, z, 12000 - i, t, t
		printf "{\"kind\":\"file\",\"url\":\"%s\",\"md5\":\"%032x\",\"zone\":\"%s\",\"detection\":\"HEUR:Trojan.Linux.Agent.gen\",\"hits\":%d,\"first_seen\":\"%s\",\"last_seen\":\"%s\"}\n", u, i + 1, z, 12000 - i, t, t
		printf "{\"kind\":\"resolution\",\"domain\":\"%s\",\"ip\":\"%s\",\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"hits\":50,\"daily_peak\":9,\"peak_date\":\"%s\"}\n", d, ip, t, t, substr(t, 1, 10)
		printf "{\"kind\":\"domain\",\"domain\":\"%s\",\"zone\":\"%s\",\"categories\":[\"CATEGORY_BOTNET_CNC\"]}\n", d, z
		printf "{\"kind\":\"mask\",\"mask\":\"http://%s/bins/campaign-%06d/\",\"mask_type\":\"UrlPrefix\",\"zone\":\"Red\",\"feeds\":[\"Malicious URL Feed\"],\"last_seen\":\"%s\"}\n", ip, i, substr(t, 1, 10)
	}
}' >"$work/busy.jsonl"
"$tipd" import -q -store "$work/store" -format jsonl "$work/busy.jsonl"
"$tipd" user add -store "$work/store" -day-quota 1000000000 flood >/dev/null
"$tipd" user add -store "$work/store" -day-quota 1000000000 other >/dev/null
tokF=$("$tipd" token issue -store "$work/store" flood)
tokO=$("$tipd" token issue -store "$work/store" other)

bench_serve "$work/store"
hostport=${url#http://}
rss() { awk -v k="$1:" '$1 == k { print int($2 / 1024) }' "/proc/$pid/status"; }

curl -sf -o /dev/null -H "Authorization: Bearer $tokO" "$url/api/ip/$ip?count=10000"
curl -sf -o /dev/null -H "Authorization: Bearer $tokO" "$url/api/ip/$ip?count=100"
sleep 0.5
idle=$(rss VmRSS)

fds=()
for _ in $(seq 1 "$conns"); do
	exec {fd}<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
	printf 'GET /api/ip/%s?count=10000 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n' "$ip" "$hostport" "$tokF" >&"$fd"
	fds+=("$fd")
done
(
	peak=0
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		r=$(rss VmRSS)
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.05
	done
	echo "$peak" >"$work/peak"
) &
sampler=$!
end=$((SECONDS + secs))
while [ $SECONDS -lt $end ]; do
	curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $tokO" "$url/api/ip/$ip?count=100" >>"$work/lat" || echo "000 5" >>"$work/lat"
	sleep 0.04
done
wait "$sampler"
[ -n "${TIPD_KEEP_LAT:-}" ] && cp "$work/lat" "$TIPD_KEEP_LAT"
for fd in "${fds[@]}"; do exec {fd}>&-; done
peak=$(cat "$work/peak")
hwm=$(rss VmHWM)
echo "conns: $conns stalled count=10000 lookups for ${secs}s"
echo "RSS MiB: idle $idle, peak sampled $peak (+$((peak - idle))), VmHWM $hwm"
echo "other user: $(wc -l <"$work/lat") lookups, statuses: $(cut -d' ' -f1 "$work/lat" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
sort -n -k2 "$work/lat" | awk '{ t[NR] = $2 } END {
	p = int(NR * 0.99) + 1; if (p > NR) p = NR
	printf "latency ms: p50 %.1f, p99 %.1f, max %.1f\n", 1000 * t[int(NR * 0.5) + 1], 1000 * t[p], 1000 * t[NR] }'
