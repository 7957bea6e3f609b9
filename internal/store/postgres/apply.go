package postgres

import (
	"context"
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
	// prep, when set, runs first in the transaction and returns the
	// number of rows to COPY (n only tells that the stage is not empty).
	prep func(context.Context, pgx.Tx) (int, error)
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
			CREATE TEMP TABLE ch_urls (url text COLLATE "C") ON COMMIT DROP;
			CREATE TEMP TABLE ch_objs (key text COLLATE "C", kind smallint) ON COMMIT DROP`); err != nil {
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
	if st.prep != nil {
		n, err := st.prep(ctx, tx)
		if err != nil {
			return fmt.Errorf("%s: %w", st.table, err)
		}
		st.n = n
	}
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

// stampChanges gives every owner collected in ch_addrs, ch_urls and ch_objs one
// change stamp: the database clock, made later than the latest stamp given
// (change_clock). Nothing is stamped, and the clock does not move, when
// the batch changed nothing.
func stampChanges(ctx context.Context, tx pgx.Tx) error {
	var b pgx.Batch
	const changed = `(EXISTS (SELECT 1 FROM ch_addrs) OR EXISTS (SELECT 1 FROM ch_urls) OR EXISTS (SELECT 1 FROM ch_objs))`
	b.Queue(`SELECT pg_advisory_xact_lock($1) FROM (SELECT 1) AS one WHERE `+changed, changeLockKey)
	b.Queue(`UPDATE change_clock SET last = GREATEST(clock_timestamp(), last + interval '1 microsecond')
		WHERE id = 1 AND ` + changed)
	b.Queue(`INSERT INTO addr_changes AS t (addr, changed_at)
		SELECT DISTINCT c.addr, k.last FROM ch_addrs c, change_clock k WHERE k.id = 1
		ON CONFLICT (addr) DO UPDATE SET changed_at = EXCLUDED.changed_at`)
	b.Queue(`INSERT INTO url_changes AS t (url, changed_at)
		SELECT DISTINCT c.url, k.last FROM ch_urls c, change_clock k WHERE k.id = 1
		ON CONFLICT (url) DO UPDATE SET changed_at = EXCLUDED.changed_at`)
	b.Queue(stampObjects)
	return tx.SendBatch(ctx, &b).Close()
}
