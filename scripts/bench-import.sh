#!/usr/bin/env bash
# bench-import.sh [LINES] — import rate and peak memory of every import
# format: writes LINES records of each format with `tipd gen -formats all`
# (default 1000000) and imports each file into a fresh Pebble store, printing
# one Markdown table row per format (records/s from tipd's summary, peak RSS
# from /usr/bin/time). Needs GNU time (Debian package "time").
set -euo pipefail
lines=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/tipd-bench-import-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."
go build -o "$work/tipd" ./cmd/tipd
"$work/tipd" gen -size "$lines" -lines "$lines" -seed 1 -formats all -out "$work/w" >"$work/gen.txt"
echo "| format | file | size | records read | rate (records/s) | elapsed | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run() { # name, import args...
	local name=$1 file=$2
	shift 2
	rm -rf "$work/store"
	/usr/bin/time -f '%M' -o "$work/rss" "$work/tipd" import -q -store "$work/store" "$@" "$file" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
	local sum rss
	sum=$(tail -1 "$work/out")
	rss=$(tail -1 "$work/rss")
	read -r n < <(sed -E 's/.*: ([0-9]+) records read.*/\1/' <<<"$sum")
	rate=$(sed -E 's/.* ([0-9]+) records\/s$/\1/' <<<"$sum")
	el=$(sed -E 's/.*, ([0-9.]+s), [0-9]+ records\/s$/\1/' <<<"$sum")
	printf '| %s | %s | %s | %s | %s | %s | %d MiB |\n' "$name" "$(basename "$file")" "$(du -h "$file" | cut -f1)" "$n" "$rate" "$el" $((rss / 1024))
}
run jsonl "$work/w/world.jsonl" -format jsonl
grep '^wrote /' "$work/gen.txt" | sed 's/^wrote \([^:]*\): tipd import \(.*\) [^ ]*$/\1 \2/' | while read -r file rest; do
	name=$(basename "$file")
	# shellcheck disable=SC2086
	run "$(awk '{print $2}' <<<"$rest")" "$file" $rest
done
