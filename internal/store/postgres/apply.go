package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
)

// applyLockKey is the pg_advisory_xact_lock key that serialises Apply
// across processes ("tipd" in ASCII, then 2). Summary counters are updated
// by the difference between a record's merged and stored state, which is
// only exact while no other Apply changes the same rows; readers never wait
// for it.
const applyLockKey int64 = 0x7469706400000002

// stage is one record kind of a batch: a temporary staging table filled by
// COPY, then the statements that merge it into the real tables.
type stage struct {
	table string   // staging table, dropped at commit
	ddl   string   // its columns
	cols  []string // the columns COPY fills
	n     int
	row   func(i int) ([]any, error)
	stmts []string // run after the COPY, in order
	seen  bool     // the statements write address contributions to st_seen
}

// Pieces of the merge SQL shared by several kinds.
const (
	srcDDL = `, src_feed text, src_file text, src_imported timestamptz`
	// latestSrc is the Source of the latest applied record of a group.
	latestSrc = `(array_agg(s.src_feed ORDER BY s.ord DESC))[1] AS src_feed,
		(array_agg(s.src_file ORDER BY s.ord DESC))[1] AS src_file,
		(array_agg(s.src_imported ORDER BY s.ord DESC))[1] AS src_imported`
	// zoneAgg is the zone a group of records folds to: the first of the
	// most severe non-empty zones, '' when all are empty.
	zoneAgg = `(array_agg(s.zone ORDER BY s.zone = '', tipd_zone_sev(s.zone) DESC, s.ord))[1]`
	// setAgg is the sorted union of the sets c.x of a group (see setJoin).
	setAgg = `COALESCE(array_agg(DISTINCT c.x COLLATE "C" ORDER BY c.x COLLATE "C") FILTER (WHERE c.x IS NOT NULL), '{}')`
	// seenAgg is an address's seen range from first_seen and last_seen.
	seenAgg = `min(LEAST(d.first_seen, d.last_seen)), max(GREATEST(d.first_seen, d.last_seen))`
	// setSrc is the source columns set from the latest applied record.
	setSrc = `src_feed = EXCLUDED.src_feed, src_file = EXCLUDED.src_file, src_imported = EXCLUDED.src_imported`
)

func setJoin(col string) string {
	return `LEFT JOIN LATERAL unnest(s.` + col + `) AS c(x) ON true`
}

func srcVals(src intel.Source) []any {
	return []any{src.Feed, src.File, ts(src.Imported)}
}

// srcSets are the assignments of setSrc, for changedSet.
var srcSets = []string{"src_feed = EXCLUDED.src_feed", "src_file = EXCLUDED.src_file", "src_imported = EXCLUDED.src_imported"}

// changedSet is the DO UPDATE part of a merge, "SET a = x, b = y WHERE
// (t.a, t.b) IS DISTINCT FROM (x, y)": a conflicting row is updated only
// when the merge changes it, so that RETURNING lists the rows that the
// statement inserted or really changed (and a re-applied batch writes
// nothing). Each set is "column = expression"; the table's alias is t.
func changedSet(sets ...string) string {
	cols, exprs := make([]string, len(sets)), make([]string, len(sets))
	for i, a := range sets {
		c, e, ok := strings.Cut(a, " = ")
		if !ok {
			panic("changedSet: " + a)
		}
		cols[i], exprs[i] = "t."+strings.TrimSpace(c), e
	}
	return "SET " + strings.Join(sets, ",\n\t") + "\nWHERE (" + strings.Join(cols, ", ") + ") IS DISTINCT FROM (" + strings.Join(exprs, ", ") + ")"
}

// track makes an INSERT statement record the owner key of every row it
// inserts or updates: into ch_addrs (key "addr") or ch_urls (key "url"),
// the owners that stampChanges stamps.
func track(stmt, key string) string {
	into := "ch_addrs"
	if key == "url" {
		into = "ch_urls"
	}
	return "WITH m AS (" + stmt + "\nRETURNING t." + key + ")\nINSERT INTO " + into + " (" + key + ") SELECT " + key + " FROM m"
}

// names is cols and the source columns.
func names(cols ...string) []string { return append(cols, "src_feed", "src_file", "src_imported") }

// Apply implements store.Intel: one transaction that stages every record
// kind of the batch with COPY and merges each with one INSERT … ON CONFLICT
// per table (see the package documentation).
func (s *Store) Apply(ctx context.Context, b *intel.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.ValidateText(badText); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	stages, err := batchStages(b)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, applyLockKey); err != nil {
			return err
		}
		seen := false
		for _, st := range stages {
			seen = seen || st.seen
		}
		// The owners whose stored values the batch changes (see track).
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE ch_addrs (addr inet) ON COMMIT DROP;
			CREATE TEMP TABLE ch_urls (url text COLLATE "C") ON COMMIT DROP`); err != nil {
			return err
		}
		if seen {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE st_seen (addr inet, hits bigint NOT NULL DEFAULT 0,
				first_seen timestamptz, last_seen timestamptz,
				red_urls bigint NOT NULL DEFAULT 0, red_files bigint NOT NULL DEFAULT 0) ON COMMIT DROP`); err != nil {
				return err
			}
		}
		for _, st := range stages {
			if err := runStage(ctx, tx, st); err != nil {
				return err
			}
		}
		if seen {
			if _, err := tx.Exec(ctx, mergeSeen); err != nil {
				return fmt.Errorf("address summaries: %w", err)
			}
		}
		if err := stampChanges(ctx, tx); err != nil {
			return fmt.Errorf("change stamps: %w", err)
		}
		if b.HasNetworkData() {
			if _, err := tx.Exec(ctx, `UPDATE net_version SET version = version + 1 WHERE id = 1`); err != nil {
				return fmt.Errorf("network version: %w", err)
			}
		}
		return nil
	})
	return wrapErr(ctx, "apply", err)
}

func runStage(ctx context.Context, tx pgx.Tx, st stage) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+st.table+` (ord integer`+st.ddl+`) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("%s: %w", st.table, err)
	}
	cols := append([]string{"ord"}, st.cols...)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{st.table}, cols, pgx.CopyFromFunc(func() func() ([]any, error) {
		i := 0
		return func() ([]any, error) {
			if i >= st.n {
				return nil, nil
			}
			vals, err := st.row(i)
			if err != nil {
				return nil, err
			}
			i++
			return append([]any{i}, vals...), nil
		}
	}()))
	if err != nil {
		return fmt.Errorf("%s: copy: %w", st.table, err)
	}
	for _, q := range st.stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", st.table, err)
		}
	}
	return nil
}

// mergeSeen folds the batch's address contributions into addr_summary.
var mergeSeen = track(`INSERT INTO addr_summary AS t (addr, hits, first_seen, last_seen, red_urls, red_files)
SELECT addr, sum(hits), min(first_seen), max(last_seen), sum(red_urls), sum(red_files)
FROM st_seen GROUP BY addr
ON CONFLICT (addr) DO UPDATE `+changedSet(
	"hits = t.hits + EXCLUDED.hits",
	"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
	"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)",
	"red_urls = t.red_urls + EXCLUDED.red_urls",
	"red_files = t.red_files + EXCLUDED.red_files"), "addr")

// changeLockKey is the pg_advisory_xact_lock key taken just before
// stamping ("tipd" in ASCII, then 3). Apply already holds applyLockKey for
// its whole transaction; this lock makes the order of stamps independent
// of that: whoever stamps holds it, and the change_clock row, until it
// commits, so the next stamp is taken after the previous one is visible.
const changeLockKey int64 = 0x7469706400000003

// stampChanges gives every owner collected in ch_addrs and ch_urls one
// change stamp: the database clock, made later than the latest stamp given
// (change_clock). Nothing is stamped, and the clock does not move, when
// the batch changed nothing.
func stampChanges(ctx context.Context, tx pgx.Tx) error {
	var b pgx.Batch
	b.Queue(`SELECT pg_advisory_xact_lock($1) FROM (SELECT 1) AS one
		WHERE EXISTS (SELECT 1 FROM ch_addrs) OR EXISTS (SELECT 1 FROM ch_urls)`, changeLockKey)
	b.Queue(`UPDATE change_clock SET last = GREATEST(clock_timestamp(), last + interval '1 microsecond')
		WHERE id = 1 AND (EXISTS (SELECT 1 FROM ch_addrs) OR EXISTS (SELECT 1 FROM ch_urls))`)
	b.Queue(`INSERT INTO addr_changes AS t (addr, changed_at)
		SELECT DISTINCT c.addr, k.last FROM ch_addrs c, change_clock k WHERE k.id = 1
		ON CONFLICT (addr) DO UPDATE SET changed_at = EXCLUDED.changed_at`)
	b.Queue(`INSERT INTO url_changes AS t (url, changed_at)
		SELECT DISTINCT c.url, k.last FROM ch_urls c, change_clock k WHERE k.id = 1
		ON CONFLICT (url) DO UPDATE SET changed_at = EXCLUDED.changed_at`)
	return tx.SendBatch(ctx, &b).Close()
}

func batchStages(b *intel.Batch) ([]stage, error) {
	var out []stage
	add := func(st stage) {
		if st.n > 0 {
			out = append(out, st)
		}
	}

	add(stage{
		table: "st_sightings", ddl: `, addr inet, day date, hits bigint`,
		cols: []string{"addr", "day", "hits"}, n: len(b.Sightings), seen: true,
		row: func(i int) ([]any, error) {
			r := b.Sightings[i]
			return []any{intel.NormIP(r.IP), intel.Day(r.Day), r.Hits}, nil
		},
		stmts: []string{
			// The newest record of a day replaces the stored hits.
			`CREATE TEMP TABLE dd_sightings ON COMMIT DROP AS
			SELECT DISTINCT ON (addr, day) addr, day, hits FROM st_sightings ORDER BY addr, day, ord DESC`,
			`INSERT INTO st_seen (addr, hits, first_seen, last_seen)
			SELECT d.addr, sum(d.hits - COALESCE(o.hits, 0)),
				min(d.day)::timestamp AT TIME ZONE 'UTC', max(d.day)::timestamp AT TIME ZONE 'UTC'
			FROM dd_sightings d LEFT JOIN sightings o ON o.addr = d.addr AND o.day = d.day
			GROUP BY d.addr`,
			`INSERT INTO sightings AS t (addr, day, hits) SELECT addr, day, hits FROM dd_sightings
			ON CONFLICT (addr, day) DO UPDATE SET hits = EXCLUDED.hits`,
		},
	})

	add(stage{
		table: "st_listings", ddl: `, addr inet, feed text, category text, first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "feed", "category", "first_seen", "last_seen"), n: len(b.Listings), seen: true,
		row: func(i int) ([]any, error) {
			r := b.Listings[i]
			return append([]any{intel.NormIP(r.IP), r.Feed, string(r.Category), ts(r.FirstSeen), ts(r.LastSeen)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_listings ON COMMIT DROP AS
			SELECT s.addr, s.feed, s.category, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_listings s GROUP BY s.addr, s.feed, s.category`,
			`INSERT INTO st_seen (addr, first_seen, last_seen)
			SELECT d.addr, ` + seenAgg + ` FROM dd_listings d GROUP BY d.addr`,
			track(`INSERT INTO listings AS t (addr, feed, category, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, feed, category, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_listings
			ON CONFLICT (addr, feed, category) DO UPDATE `+changedSet(append([]string{
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
		},
	})

	add(stage{
		table: "st_hosted", ddl: `, addr inet, url text, zone text, categories text[], hits bigint, truncated boolean,
			first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "url", "zone", "categories", "hits", "truncated", "first_seen", "last_seen"), n: len(b.HostedURLs), seen: true,
		row: func(i int) ([]any, error) {
			r := b.HostedURLs[i]
			return append([]any{intel.NormIP(r.IP), r.URL, string(r.Zone), strs(r.Categories), r.Hits, r.Truncated, ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_hosted ON COMMIT DROP AS
			SELECT s.addr, s.url, ` + zoneAgg + ` AS zone, ` + setAgg + ` AS categories,
				max(s.hits) AS hits, bool_or(s.truncated) AS truncated,
				min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_hosted s ` + setJoin("categories") + ` GROUP BY s.addr, s.url`,
			// An item turns red when the batch brings Red to an item that was
			// not (Red is the most severe zone, so the merge keeps it).
			`INSERT INTO st_seen (addr, first_seen, last_seen, red_urls)
			SELECT d.addr, ` + seenAgg + `,
				count(*) FILTER (WHERE d.zone = 'Red' AND (o.addr IS NULL OR o.zone <> 'Red'))
			FROM dd_hosted d LEFT JOIN hosted_urls o ON o.addr = d.addr AND o.url = d.url
			GROUP BY d.addr`,
			track(`INSERT INTO hosted_urls AS t (addr, url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_hosted
			ON CONFLICT (addr, url) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"categories = tipd_union(t.categories, EXCLUDED.categories)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"truncated = t.truncated OR EXCLUDED.truncated",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
			track(`INSERT INTO url_summary AS t (url, hosted, zone, categories, hits, truncated, first_seen, last_seen)
			SELECT s.url, true, `+zoneAgg+`, `+setAgg+`, max(s.hits), bool_or(s.truncated), min(s.first_seen), max(s.last_seen)
			FROM st_hosted s `+setJoin("categories")+` GROUP BY s.url
			ON CONFLICT (url) DO UPDATE `+changedSet(
				"hosted = true",
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"categories = tipd_union(t.categories, EXCLUDED.categories)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"truncated = t.truncated OR EXCLUDED.truncated",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"), "url"),
			track(`INSERT INTO url_ips AS t (url, addr) SELECT DISTINCT url, addr FROM dd_hosted ON CONFLICT DO NOTHING`, "url"),
		},
	})

	add(stage{
		table: "st_files", ddl: `, addr inet, md5 text, url text, ukey text, zone text, detection text, hits bigint,
			first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "md5", "url", "ukey", "zone", "detection", "hits", "first_seen", "last_seen"), n: len(b.Files), seen: true,
		row: func(i int) ([]any, error) {
			r := b.Files[i]
			return append([]any{intel.NormIP(r.IP), r.MD5, r.URL, intel.URLKey(r.URL), string(r.Zone), r.DetectionName, r.Hits, ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_files ON COMMIT DROP AS
			SELECT s.addr, s.md5, s.url, ` + zoneAgg + ` AS zone,
				COALESCE((array_agg(s.detection ORDER BY s.ord DESC) FILTER (WHERE s.detection <> ''))[1], '') AS detection,
				max(s.hits) AS hits, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_files s GROUP BY s.addr, s.md5, s.url`,
			`INSERT INTO st_seen (addr, first_seen, last_seen, red_files)
			SELECT d.addr, ` + seenAgg + `,
				count(*) FILTER (WHERE d.zone = 'Red' AND (o.addr IS NULL OR o.zone <> 'Red'))
			FROM dd_files d LEFT JOIN files o ON o.addr = d.addr AND o.md5 = d.md5 AND o.url = d.url
			GROUP BY d.addr`,
			track(`INSERT INTO files AS t (addr, md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_files
			ON CONFLICT (addr, md5, url) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"detection = CASE WHEN EXCLUDED.detection <> '' THEN EXCLUDED.detection ELSE t.detection END",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
			// One item per (web address, MD5) across addresses and schemes,
			// with the smallest address and URL seen.
			`CREATE TEMP TABLE dd_url_files ON COMMIT DROP AS
			SELECT s.ukey AS url, s.md5, min(s.addr) AS addr, min(s.url COLLATE "C") AS full_url, ` + zoneAgg + ` AS zone,
				COALESCE((array_agg(s.detection ORDER BY s.ord DESC) FILTER (WHERE s.detection <> ''))[1], '') AS detection,
				max(s.hits) AS hits, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_files s GROUP BY s.ukey, s.md5`,
			track(`INSERT INTO url_summary AS t (url, files)
			SELECT d.url, count(*) FILTER (WHERE o.url IS NULL)
			FROM dd_url_files d LEFT JOIN url_files o ON o.url = d.url AND o.md5 = d.md5
			GROUP BY d.url
			ON CONFLICT (url) DO UPDATE `+changedSet("files = t.files + EXCLUDED.files"), "url"),
			track(`INSERT INTO url_files AS t (url, md5, addr, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT url, md5, addr, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_url_files
			ON CONFLICT (url, md5) DO UPDATE `+changedSet(append([]string{
				"addr = LEAST(t.addr, EXCLUDED.addr)",
				"full_url = LEAST(t.full_url, EXCLUDED.full_url)",
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"detection = CASE WHEN EXCLUDED.detection <> '' THEN EXCLUDED.detection ELSE t.detection END",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "url"),
		},
	})

	add(stage{
		table: "st_res", ddl: `, addr inet, domain text, first_seen timestamptz, last_seen timestamptz, hits bigint,
			daily_peak bigint, peak_date timestamptz` + srcDDL,
		cols: names("addr", "domain", "first_seen", "last_seen", "hits", "daily_peak", "peak_date"), n: len(b.Resolutions), seen: true,
		row: func(i int) ([]any, error) {
			r := b.Resolutions[i]
			return append([]any{intel.NormIP(r.IP), r.Domain, ts(r.FirstSeen), ts(r.LastSeen), r.Hits, r.DailyPeak, ts(r.PeakDate)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// The peak pair: the larger peak, the earlier known date on ties.
			`CREATE TEMP TABLE dd_res ON COMMIT DROP AS
			SELECT s.addr, s.domain, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, max(s.hits) AS hits,
				(array_agg(s.daily_peak ORDER BY s.daily_peak DESC, s.peak_date ASC NULLS LAST))[1] AS daily_peak,
				(array_agg(s.peak_date ORDER BY s.daily_peak DESC, s.peak_date ASC NULLS LAST))[1] AS peak_date, ` + latestSrc + `
			FROM st_res s GROUP BY s.addr, s.domain`,
			`INSERT INTO st_seen (addr, first_seen, last_seen)
			SELECT d.addr, ` + seenAgg + ` FROM dd_res d GROUP BY d.addr`,
			track(`INSERT INTO resolutions AS t (addr, domain, first_seen, last_seen, hits, daily_peak, peak_date, src_feed, src_file, src_imported)
			SELECT addr, domain, first_seen, last_seen, hits, daily_peak, peak_date, src_feed, src_file, src_imported FROM dd_res
			ON CONFLICT (addr, domain) DO UPDATE `+changedSet(append([]string{
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"daily_peak = CASE WHEN " + peakWins + " THEN EXCLUDED.daily_peak ELSE t.daily_peak END",
				"peak_date = CASE WHEN " + peakWins + " THEN EXCLUDED.peak_date ELSE t.peak_date END"}, srcSets...)...), "addr"),
			`INSERT INTO domain_ips AS t (domain, addr, last_seen, hits)
			SELECT r.domain, r.addr, r.last_seen, r.hits
			FROM dd_res d JOIN resolutions r ON r.addr = d.addr AND r.domain = d.domain
			ON CONFLICT (domain, addr) DO UPDATE SET last_seen = EXCLUDED.last_seen, hits = EXCLUDED.hits`,
		},
	})

	add(stage{
		table: "st_domains", ddl: `, domain text, zone text, categories text[]` + srcDDL,
		cols: names("domain", "zone", "categories"), n: len(b.Domains),
		row: func(i int) ([]any, error) {
			r := b.Domains[i]
			return append([]any{r.Domain, string(r.Zone), strs(r.Categories)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Zone and source: the latest applied; categories: the union.
			`INSERT INTO domains AS t (domain, zone, categories, src_feed, src_file, src_imported)
			SELECT s.domain, (array_agg(s.zone ORDER BY s.ord DESC))[1], ` + setAgg + `, ` + latestSrc + `
			FROM st_domains s ` + setJoin("categories") + ` GROUP BY s.domain
			ON CONFLICT (domain) DO UPDATE SET
				zone = EXCLUDED.zone,
				categories = tipd_union(t.categories, EXCLUDED.categories), ` + setSrc,
		},
	})

	add(stage{
		table: "st_masks", ddl: `, addr inet, mask text, mask_type text, zone text, feeds text[], last_seen timestamptz` + srcDDL,
		cols: names("addr", "mask", "mask_type", "zone", "feeds", "last_seen"), n: len(b.Masks),
		row: func(i int) ([]any, error) {
			r := b.Masks[i]
			return append([]any{intel.NormIP(r.IP), r.Mask, r.MaskType, string(r.Zone), r.Feeds, ts(r.LastSeen)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			track(`INSERT INTO masks AS t (addr, mask, mask_type, zone, feeds, last_seen, src_feed, src_file, src_imported)
			SELECT s.addr, s.mask, s.mask_type, `+zoneAgg+`, `+setAgg+`, max(s.last_seen), `+latestSrc+`
			FROM st_masks s `+setJoin("feeds")+` GROUP BY s.addr, s.mask, s.mask_type
			ON CONFLICT (addr, mask, mask_type) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"feeds = tipd_union(t.feeds, EXCLUDED.feeds)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
		},
	})

	add(stage{
		table: "st_spam", ddl: `, addr inet, id text, time timestamptz, type text` + srcDDL,
		cols: names("addr", "id", "time", "type"), n: len(b.SpamEvents),
		row: func(i int) ([]any, error) {
			r := b.SpamEvents[i]
			return append([]any{intel.NormIP(r.IP), r.ID, ts(r.Time), r.Type}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Events whose ID is new to the address (the first of a batch's
			// duplicates); a known ID changes nothing.
			`CREATE TEMP TABLE new_spam ON COMMIT DROP AS
			SELECT d.* FROM (SELECT DISTINCT ON (addr, id) addr, id, time, type, src_feed, src_file, src_imported
				FROM st_spam ORDER BY addr, id, ord) d
			LEFT JOIN spam_events e ON e.addr = d.addr AND e.id = d.id WHERE e.addr IS NULL`,
			`INSERT INTO spam_events (addr, id, time, type, src_feed, src_file, src_imported)
			SELECT addr, id, time, type, src_feed, src_file, src_imported FROM new_spam ON CONFLICT DO NOTHING`,
			// New events always change the counter, so every row is tracked.
			track(`INSERT INTO addr_summary AS t (addr, spam_attacks, spam_last, spam_types, first_seen, last_seen)
			SELECT addr, count(*), max(time), tipd_union_cap('{}', array_agg(type), 32), min(time), max(time)
			FROM new_spam GROUP BY addr
			ON CONFLICT (addr) DO UPDATE SET
				spam_attacks = t.spam_attacks + EXCLUDED.spam_attacks,
				spam_last = GREATEST(t.spam_last, EXCLUDED.spam_last),
				spam_types = tipd_union_cap(t.spam_types, EXCLUDED.spam_types, 32),
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)`, "addr"),
		},
	})

	add(stage{
		table: "st_phish", ddl: `, addr inet, id text, time timestamptz, region text, kit text, stolen text[],
			industry text, organization text` + srcDDL,
		cols: names("addr", "id", "time", "region", "kit", "stolen", "industry", "organization"), n: len(b.PhishingEvents),
		row: func(i int) ([]any, error) {
			r := b.PhishingEvents[i]
			return append([]any{intel.NormIP(r.IP), r.ID, ts(r.Time), r.Region, r.Kit, r.StolenData, r.Industry, r.Organization},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE new_phish ON COMMIT DROP AS
			SELECT d.* FROM (SELECT DISTINCT ON (addr, id) addr, id, time, region, kit, stolen, industry, organization,
					src_feed, src_file, src_imported
				FROM st_phish ORDER BY addr, id, ord) d
			LEFT JOIN phish_events e ON e.addr = d.addr AND e.id = d.id WHERE e.addr IS NULL`,
			`INSERT INTO phish_events (addr, id, time, region, kit, stolen, industry, organization, src_feed, src_file, src_imported)
			SELECT addr, id, time, region, kit, COALESCE(stolen, '{}'), industry, organization, src_feed, src_file, src_imported
			FROM new_phish ON CONFLICT DO NOTHING`,
			track(`INSERT INTO phish_regions AS t (addr, region, attacks)
			SELECT addr, region, count(*) FROM new_phish WHERE region <> '' GROUP BY addr, region
			ON CONFLICT (addr, region) DO UPDATE SET attacks = t.attacks + EXCLUDED.attacks`, "addr"),
			// The kit: of the event with the latest time (ties: the larger
			// ID) that names one.
			track(`WITH k AS (
				SELECT addr, count(*) AS n, max(time) AS last, min(time) AS first,
					(array_agg(kit ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit,
					(array_agg(COALESCE(time, '-infinity') ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit_time,
					(array_agg(id ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit_id,
					tipd_union_cap('{}', array_agg(industry), 32) AS industries,
					tipd_union_cap('{}', array_agg(organization), 32) AS orgs
				FROM new_phish GROUP BY addr),
			sd AS (SELECT p.addr, tipd_union_cap('{}', array_agg(x), 32) AS stolen
				FROM new_phish p, unnest(p.stolen) AS u(x) GROUP BY p.addr)
			INSERT INTO addr_summary AS t (addr, phish_attacks, phish_last, phish_kit, phish_kit_time, phish_kit_id,
				phish_stolen, phish_industries, phish_orgs, first_seen, last_seen)
			SELECT k.addr, k.n, k.last, COALESCE(k.kit, ''), k.kit_time, COALESCE(k.kit_id, ''),
				COALESCE(sd.stolen, '{}'), k.industries, k.orgs, k.first, k.last
			FROM k LEFT JOIN sd ON sd.addr = k.addr
			ON CONFLICT (addr) DO UPDATE SET
				phish_attacks = t.phish_attacks + EXCLUDED.phish_attacks,
				phish_last = GREATEST(t.phish_last, EXCLUDED.phish_last),
				phish_kit = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit ELSE t.phish_kit END,
				phish_kit_time = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit_time ELSE t.phish_kit_time END,
				phish_kit_id = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit_id ELSE t.phish_kit_id END,
				phish_stolen = tipd_union_cap(t.phish_stolen, EXCLUDED.phish_stolen, 32),
				phish_industries = tipd_union_cap(t.phish_industries, EXCLUDED.phish_industries, 32),
				phish_orgs = tipd_union_cap(t.phish_orgs, EXCLUDED.phish_orgs, 32),
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)`, "addr"),
		},
	})

	add(stage{
		table: "st_reports", ddl: `, id text, type text, title text, description text, published timestamptz, updated timestamptz,
			tags text[], industries text[], geo text[], actors text[], indicators text[]` + srcDDL,
		cols: names("id", "type", "title", "description", "published", "updated", "tags", "industries", "geo", "actors", "indicators"), n: len(b.Reports),
		row: func(i int) ([]any, error) {
			r := b.Reports[i]
			return append([]any{r.ID, r.Type, r.Title, r.Description, ts(r.Published), ts(r.Updated), r.Tags, r.Industries, r.Geo, r.Actors, r.Indicators},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// The latest applied replaces the whole report.
			`INSERT INTO reports AS t (id, type, title, description, published, updated, tags, industries, geo, actors, indicators, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (id) id, type, title, description, published, updated,
				COALESCE(tags, '{}'), COALESCE(industries, '{}'), COALESCE(geo, '{}'), COALESCE(actors, '{}'), COALESCE(indicators, '{}'), src_feed, src_file, src_imported
			FROM st_reports ORDER BY id, ord DESC
			ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, title = EXCLUDED.title, description = EXCLUDED.description,
				published = EXCLUDED.published, updated = EXCLUDED.updated, tags = EXCLUDED.tags, industries = EXCLUDED.industries,
				geo = EXCLUDED.geo, actors = EXCLUDED.actors, indicators = EXCLUDED.indicators, ` + setSrc,
		},
	})

	add(stage{
		table: "st_links", ddl: `, addr inet, report_id text` + srcDDL,
		cols: names("addr", "report_id"), n: len(b.ReportLinks),
		row: func(i int) ([]any, error) {
			r := b.ReportLinks[i]
			return append([]any{intel.NormIP(r.IP), r.ReportID}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Only a new link changes what is read (the summary lists
			// report IDs, not their sources).
			`INSERT INTO ch_addrs (addr) SELECT DISTINCT s.addr FROM st_links s
			WHERE NOT EXISTS (SELECT 1 FROM report_links o WHERE o.addr = s.addr AND o.report_id = s.report_id)`,
			`INSERT INTO report_links AS t (addr, report_id, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (addr, report_id) addr, report_id, src_feed, src_file, src_imported
			FROM st_links ORDER BY addr, report_id, ord DESC
			ON CONFLICT (addr, report_id) DO UPDATE ` + changedSet(srcSets...),
		},
	})

	add(stage{
		table: "st_countries", ddl: `, prefix cidr, country text` + srcDDL,
		cols: names("prefix", "country"), n: len(b.Countries),
		row: func(i int) ([]any, error) {
			r := b.Countries[i]
			return append([]any{r.Prefix.Masked(), r.Country}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO country_ranges AS t (prefix, country, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix) prefix, country, src_feed, src_file, src_imported
			FROM st_countries ORDER BY prefix, ord DESC
			ON CONFLICT (prefix) DO UPDATE SET country = EXCLUDED.country, ` + setSrc,
		},
	})

	add(stage{
		table: "st_as", ddl: `, prefix cidr, asn bigint, description text[]` + srcDDL,
		cols: names("prefix", "asn", "description"), n: len(b.ASRanges),
		row: func(i int) ([]any, error) {
			r := b.ASRanges[i]
			return append([]any{r.Prefix.Masked(), int64(r.ASN), r.Description}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO as_ranges AS t (prefix, asn, description, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix, asn) prefix, asn, COALESCE(description, '{}'), src_feed, src_file, src_imported
			FROM st_as ORDER BY prefix, asn, ord DESC
			ON CONFLICT (prefix, asn) DO UPDATE SET description = EXCLUDED.description, ` + setSrc,
		},
	})

	whoisRows := make([][]any, len(b.WhoisNets))
	for i, r := range b.WhoisNets {
		var contacts any
		if r.Contacts != nil {
			js, err := json.Marshal(r.Contacts)
			if err != nil {
				return nil, intel.Invalid("WHOIS network %d: contacts: %v", i, err)
			}
			contacts = string(js)
		}
		whoisRows[i] = append([]any{r.Prefix.Masked(), r.Type, addrArg(r.Start), addrArg(r.End), r.Name, r.Description,
			ts(r.Created), ts(r.Changed), r.Country, contacts}, srcVals(r.Source)...)
	}
	add(stage{
		table: "st_whois", ddl: `, prefix cidr, type text, start_addr inet, end_addr inet, name text, description text,
			created timestamptz, changed timestamptz, country text, contacts jsonb` + srcDDL,
		cols: names("prefix", "type", "start_addr", "end_addr", "name", "description", "created", "changed", "country", "contacts"),
		n:    len(b.WhoisNets),
		row:  func(i int) ([]any, error) { return whoisRows[i], nil },
		stmts: []string{
			`INSERT INTO whois_nets AS t (prefix, type, start_addr, end_addr, name, description, created, changed, country, contacts,
				src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix) prefix, type, start_addr, end_addr, name, description, created, changed, country, contacts,
				src_feed, src_file, src_imported
			FROM st_whois ORDER BY prefix, ord DESC
			ON CONFLICT (prefix) DO UPDATE SET type = EXCLUDED.type, start_addr = EXCLUDED.start_addr, end_addr = EXCLUDED.end_addr,
				name = EXCLUDED.name, description = EXCLUDED.description, created = EXCLUDED.created, changed = EXCLUDED.changed,
				country = EXCLUDED.country, contacts = EXCLUDED.contacts, ` + setSrc,
		},
	})

	add(stage{
		table: "st_netlist", ddl: `, prefix cidr, feed text, category text, zone text, first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("prefix", "feed", "category", "zone", "first_seen", "last_seen"), n: len(b.NetListings),
		row: func(i int) ([]any, error) {
			r := b.NetListings[i]
			return append([]any{r.Prefix.Masked(), r.Feed, string(r.Category), string(r.Zone), ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Zone and source: the latest applied.
			`INSERT INTO net_listings AS t (prefix, feed, category, zone, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT s.prefix, s.feed, s.category, (array_agg(s.zone ORDER BY s.ord DESC))[1], min(s.first_seen), max(s.last_seen), ` + latestSrc + `
			FROM st_netlist s GROUP BY s.prefix, s.feed, s.category
			ON CONFLICT (prefix, feed, category) DO UPDATE SET
				zone = EXCLUDED.zone,
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen), ` + setSrc,
		},
	})

	add(stage{
		table: "st_allows", ddl: `, prefix cidr, list text` + srcDDL,
		cols: names("prefix", "list"), n: len(b.Allows),
		row: func(i int) ([]any, error) {
			r := b.Allows[i]
			return append([]any{r.Prefix.Masked(), r.List}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO allows AS t (prefix, list, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix, list) prefix, list, src_feed, src_file, src_imported
			FROM st_allows ORDER BY prefix, list, ord DESC
			ON CONFLICT (prefix, list) DO UPDATE SET ` + setSrc,
		},
	})
	return out, nil
}

// peakWins: the incoming (daily_peak, peak_date) pair replaces the stored one.
const peakWins = `(EXCLUDED.daily_peak > t.daily_peak OR (EXCLUDED.daily_peak = t.daily_peak
	AND EXCLUDED.peak_date IS NOT NULL AND (t.peak_date IS NULL OR EXCLUDED.peak_date < t.peak_date)))`

// kitWins: the batch's kit replaces the stored one.
const kitWins = `(EXCLUDED.phish_kit <> '' AND (t.phish_kit = '' OR EXCLUDED.phish_kit_time > t.phish_kit_time
	OR (EXCLUDED.phish_kit_time = t.phish_kit_time AND EXCLUDED.phish_kit_id > t.phish_kit_id)))`
