#!/usr/bin/env bash
# bench-publications.sh [REPORTS] — get_list over a window of REPORTS
# reports (default 100,000) against `tipd serve` on a Pebble store. Imports
# REPORTS reports (100 published on each day, three addresses each, so
# that every report has linked addresses too), starts `tipd serve -rate 0`,
# then asks GET /api/publications/get_list without limit for a window of
# a tenth of them and twice for all of them, printing for each the time of the
# whole answer, its size, its count, and the server's resident memory:
# before, and its peak during the answer (VmRSS sampled every 20 ms, and
# VmHWM). Extra flags of tipd serve in TIPD_SERVE_FLAGS (-cache-mb 8 makes
# the block cache, which fills as the store is read, small beside the
# rest). STORE, when set (a postgres:// URL of an empty database or schema),
# is used instead of a new Pebble store. TIPD is the binary to run (default: built from this tree).
set -euo pipefail
n=${1:-100000}
# shellcheck source=scripts/benchlib.sh
. "$(dirname "$0")/benchlib.sh"
bench_init publications

# Day 0 is 2020-01-01 (Unix 1577836800); report i is published on day
# int(i/100), the newest last.
awk -v n="$n" 'BEGIN {
	for (i = 0; i < n; i++) {
		d = int(i / 100)
		t = 1577836800 + d * 86400
		printf "{\"kind\":\"report\",\"id\":\"bench-%07d\",\"type\":\"APT\",\"title\":\"Benchmark report %d\",\"description\":[\"A report of the benchmark.\"],\"published\":\"%s\",\"tags\":[\"bench\"],\"geo\":[\"NL\"],\"ips\":[\"10.%d.%d.1\",\"10.%d.%d.2\",\"10.%d.%d.3\"]}\n", \
			i, i, strftime("%Y-%m-%d", t, 1), int(i / 256) % 256, i % 256, int(i / 256) % 256, i % 256, int(i / 256) % 256, i % 256
	}
}' >"$work/reports.jsonl"
store=${STORE:-$work/store}
case $store in postgres://*) "$tipd" migrate -store "$store" >/dev/null ;; esac
"$tipd" import -q -store "$store" -format jsonl "$work/reports.jsonl"
"$tipd" user add -store "$store" -day-quota 1000000000 cti >/dev/null
tok=$("$tipd" token issue -store "$store" cti)

bench_serve "$store"
mib() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

days=$(((n + 99) / 100))
last=$((1577836800 + (days - 1) * 86400))
# A warm-up answer, so that the block cache and the runtime are started.
curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$url/api/publications/get_list?date_start=$last&date_end=$last"
for share in 10 1 1; do
	first=$((last - (days / share - 1) * 86400))
	before=$(mib VmRSS)
	peakfile=$work/peak
	echo 0 >"$peakfile"
	(
		peak=0
		while :; do
			r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
			[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$peakfile"
			sleep 0.02
		done
	) &
	sampler=$!
	stats=$(curl -sf -o "$work/answer" -w '%{time_total} %{size_download}' -H "Authorization: Bearer $tok" \
		"$url/api/publications/get_list?date_start=$first&date_end=$last")
	kill "$sampler"
	wait "$sampler" 2>/dev/null || true
	count=$(tail -c 40 "$work/answer" | sed -n 's/.*"count":\([0-9]*\)}}$/\1/p')
	printf 'window of %d days: count %s, %s s, %s bytes; RSS before %s MiB, peak %.1f MiB (VmHWM %s MiB)\n' \
		"$((days / share))" "$count" "${stats% *}" "${stats#* }" "$before" "$(awk '{ print $1 / 1024 }' "$peakfile")" "$(mib VmHWM)"
done
