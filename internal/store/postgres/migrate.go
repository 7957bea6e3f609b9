package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrateLockKey is the pg_advisory_lock key that serialises Migrate across
// processes ("tipd" in ASCII, then 1).
const migrateLockKey int64 = 0x7469706400000001

type migration struct {
	version string // file name without ".sql", e.g. "0001_schema"
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]migration, 0, len(names))
	for _, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: strings.TrimSuffix(path.Base(n), ".sql"), sql: string(b)})
	}
	return out, nil
}

// SchemaVersion is the newest schema migration this build applies (`tipd
// version`), such as "0009_report_objects".
func SchemaVersion() string {
	vs, err := migrationVersions()
	if err != nil || len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

func migrationVersions() ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.version
	}
	return out, nil
}

// Migrate applies the embedded schema migrations that the database at url
// lacks, each in its own transaction, recording them in schema_migrations.
// It holds a session advisory lock meanwhile, so processes starting together
// apply each migration once. With citus set it then distributes the tables
// (see docs/scaling.md); that needs the citus extension in the database and
// is refused, before anything is changed, without it. It returns what it
// applied: migration versions, then "citus:TABLE" for each table it
// distributed. A second run applies nothing.
func Migrate(ctx context.Context, url string, citus bool) (applied []string, err error) {
	ms, err := migrations()
	if err != nil {
		return nil, wrapErr(ctx, "migrate", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, wrapErr(ctx, "migrate: connect", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if citus {
		if err := checkCitus(ctx, conn); err != nil {
			return nil, err
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return nil, wrapErr(ctx, "migrate: lock", err)
	}
	defer func() {
		// The lock also ends with the session; unlocking is a courtesy.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY,
		applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, wrapErr(ctx, "migrate: schema_migrations", err)
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, wrapErr(ctx, "migrate: read versions", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrapErr(ctx, "migrate: read versions", err)
	}
	for _, m := range ms {
		if slices.Contains(done, m.version) {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version)
			return err
		})
		if err != nil {
			return applied, wrapErr(ctx, "migrate "+m.version, err)
		}
		applied = append(applied, m.version)
	}
	if citus {
		dist, err := distribute(ctx, conn)
		applied = append(applied, dist...)
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// checkCitus refuses a Citus layout in a database without the extension.
func checkCitus(ctx context.Context, conn *pgx.Conn) error {
	var installed, available bool
	err := conn.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus'),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citus')`).Scan(&installed, &available)
	if err != nil {
		return wrapErr(ctx, "migrate: check citus", err)
	}
	switch {
	case installed:
		return nil
	case available:
		return &intel.Error{Kind: intel.KindInvalid, Code: "citus_missing",
			Message: "the Citus layout was requested but the citus extension is not created in this database: run CREATE EXTENSION citus as a superuser first (docs/scaling.md)"}
	default:
		return &intel.Error{Kind: intel.KindInvalid, Code: "citus_missing",
			Message: "the Citus layout was requested but this PostgreSQL server has no citus extension: install Citus, add citus to shared_preload_libraries and run CREATE EXTENSION citus (docs/scaling.md)"}
	}
}

// citusTable is one table of the Citus layout.
type citusTable struct {
	name     string
	column   string // distribution column; "" for a reference table
	colocate string // colocate_with argument of create_distributed_table
}

// citusLayout is the Citus layout, in the order it is created. Address
// tables are co-located with addr_summary, URL tables with url_summary,
// object tables (keyed by an object's key) with object_summary.
func citusLayout() []citusTable {
	return []citusTable{
		{"addr_summary", "addr", "none"},
		{"sightings", "addr", "addr_summary"},
		{"listings", "addr", "addr_summary"},
		{"hosted_urls", "addr", "addr_summary"},
		{"files", "addr", "addr_summary"},
		{"resolutions", "addr", "addr_summary"},
		{"masks", "addr", "addr_summary"},
		{"spam_events", "addr", "addr_summary"},
		{"phish_events", "addr", "addr_summary"},
		{"phish_regions", "addr", "addr_summary"},
		{"report_links", "addr", "addr_summary"},
		{"addr_changes", "addr", "addr_summary"},
		{"addr_list_counts", "addr", "addr_summary"},
		{"url_summary", "url", "none"},
		{"url_ips", "url", "url_summary"},
		{"url_files", "url", "url_summary"},
		{"url_changes", "url", "url_summary"},
		{"object_summary", "key", "none"},
		{"object_listings", "key", "object_summary"},
		{"object_counts", "key", "object_summary"},
		{"links", "owner", "object_summary"},
		{"file_hashes", "hash", "object_summary"},
		{"domain_whois", "domain", "object_summary"},
		{"object_changes", "key", "object_summary"},
		{"domain_ips", "domain", "none"},
		{"request_counts", "user_name", "none"},
		{"domains", "", ""},
		{"reports", "", ""},
		{"report_files", "", ""},
		{"feed_versions", "", ""},
		{"country_ranges", "", ""},
		{"as_ranges", "", ""},
		{"whois_nets", "", ""},
		{"net_listings", "", ""},
		{"allows", "", ""},
		{"net_version", "", ""},
		{"change_clock", "", ""},
		{"users", "", ""},
		{"tokens", "", ""},
		{"holds", "", ""},
	}
}

// citusFunctions are the SQL functions the merge statements and the masks
// table use; they must exist on every worker.
func citusFunctions() []string {
	return []string{
		"tipd_zone_sev(text)",
		"tipd_zone_merge(text,text)",
		"tipd_union(text[],text[])",
		"tipd_union_cap(text[],text[],integer)",
		"tipd_attrs_merge(text[],text[])",
	}
}

// citusCall is the statement that puts t into the layout.
func citusCall(t citusTable) string {
	if t.column == "" {
		return fmt.Sprintf("SELECT create_reference_table('%s')", t.name)
	}
	return fmt.Sprintf("SELECT create_distributed_table('%s', '%s', colocate_with => '%s')", t.name, t.column, t.colocate)
}

// distribute creates the Citus layout for the tables not yet in it.
func distribute(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	var done []string
	for _, f := range citusFunctions() {
		var known bool
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object
			WHERE classid = 'pg_proc'::regclass AND objid = $1::regprocedure)`, f).Scan(&known)
		if err != nil {
			return done, wrapErr(ctx, "migrate: citus function "+f, err)
		}
		if known {
			continue
		}
		if _, err := conn.Exec(ctx, `SELECT create_distributed_function($1)`, f); err != nil {
			return done, wrapErr(ctx, "migrate: citus function "+f, err)
		}
		done = append(done, "citus:"+f)
	}
	for _, t := range citusLayout() {
		var known bool
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1::regclass)`, t.name).Scan(&known)
		if err != nil {
			return done, wrapErr(ctx, "migrate: citus "+t.name, err)
		}
		if known {
			continue
		}
		if _, err := conn.Exec(ctx, citusCall(t)); err != nil {
			return done, wrapErr(ctx, "migrate: citus "+t.name, err)
		}
		done = append(done, "citus:"+t.name)
	}
	return done, nil
}
