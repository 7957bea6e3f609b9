package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
	"github.com/tipd/tipd/internal/store/storetest"
)

func openFresh(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.FreshSchema(t), Options{MaxConns: 8, Migrate: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, storetest.Factory{
		New: func(t *testing.T) store.Store { return openFresh(t) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			u := s.(*Store).url
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := Open(t.Context(), u, Options{MaxConns: 8})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			return s2
		},
		Second: func(t *testing.T, s store.Store) store.Store {
			s2, err := Open(t.Context(), s.(*Store).url, Options{MaxConns: 2})
			if err != nil {
				t.Fatalf("open a second store: %v", err)
			}
			t.Cleanup(func() { s2.Close() })
			return s2
		},
	})
}

func TestMigrateIdempotent(t *testing.T) {
	u := pgtest.FreshSchema(t)
	want, err := migrationVersions()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Migrate(t.Context(), u, false)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("first Migrate applied %v, want %v", got, want)
	}
	got, err = Migrate(t.Context(), u, false)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", got)
	}
}

// Processes starting together: every migration is applied exactly once.
func TestMigrateConcurrent(t *testing.T) {
	u := pgtest.FreshSchema(t)
	want, err := migrationVersions()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var all []string
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			got, err := Migrate(context.Background(), u, false)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("migrations applied by 6 concurrent runs: got %v, want each of %v once", all, want)
	}
}

func TestOpenUnmigrated(t *testing.T) {
	u := pgtest.FreshSchema(t)
	_, err := Open(t.Context(), u, Options{})
	var e *intel.Error
	if !errors.As(err, &e) || e.Code != "store_schema" {
		t.Fatalf("Open of an empty schema: got %v, want a store_schema error", err)
	}
	if !strings.Contains(e.Message, "tipd migrate") {
		t.Errorf("message %q does not say how to fix it", e.Message)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	_, err := Open(t.Context(), "postgres://tipd@127.0.0.1:1/tipd?sslmode=disable&connect_timeout=5", Options{})
	if got := intel.KindOf(err); got != intel.KindUnavailable {
		t.Fatalf("Open of an unreachable database: got %v (kind %d), want kind KindUnavailable", err, got)
	}
	var e *intel.Error
	if errors.As(err, &e) && strings.Contains(e.Message, "127.0.0.1") {
		t.Errorf("client message %q leaks connection details", e.Message)
	}
}

func TestCitusMissing(t *testing.T) {
	u := pgtest.FreshSchema(t)
	applied, err := Migrate(t.Context(), u, true)
	var e *intel.Error
	if !errors.As(err, &e) || e.Code != "citus_missing" || e.Kind != intel.KindInvalid {
		t.Fatalf("Migrate(citus) without the extension: got %v, want a KindInvalid citus_missing error", err)
	}
	if !strings.Contains(e.Message, "citus") {
		t.Errorf("message %q does not name the citus extension", e.Message)
	}
	if len(applied) != 0 {
		t.Errorf("applied %v before refusing, want nothing", applied)
	}
	// Nothing was changed: the schema is still empty.
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("tables after a refused Citus migration: got %d, want 0", n)
	}
}

// Every table of the schema is in the Citus layout, and every primary key
// and unique index of a distributed table starts with its distribution
// column (Citus requires them to include it).
func TestCitusLayout(t *testing.T) {
	u := pgtest.FreshSchema(t)
	if _, err := Migrate(t.Context(), u, false); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	layout := map[string]citusTable{}
	for _, ct := range citusLayout() {
		layout[ct.name] = ct
	}
	for _, tb := range tables {
		ct, ok := layout[tb]
		if !ok {
			t.Errorf("table %s is not in the Citus layout", tb)
			continue
		}
		delete(layout, tb)
		if ct.column == "" {
			continue
		}
		rows, err := conn.Query(t.Context(), `SELECT i.indexrelid::regclass::text, a.attname
			FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = $1::regclass AND i.indisunique`, tb)
		if err != nil {
			t.Fatal(err)
		}
		type idx struct{ Name, First string }
		idxs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[idx])
		if err != nil {
			t.Fatal(err)
		}
		if len(idxs) == 0 {
			t.Errorf("distributed table %s has no primary key", tb)
		}
		for _, x := range idxs {
			if x.First != ct.column {
				t.Errorf("unique index %s of %s starts with %s, want the distribution column %s", x.Name, tb, x.First, ct.column)
			}
		}
	}
	for name := range layout {
		t.Errorf("Citus layout names %s, which the schema does not have", name)
	}
}

func TestCitusCalls(t *testing.T) {
	tests := []struct {
		table citusTable
		want  string
	}{
		{citusTable{"addr_summary", "addr", "none"}, `SELECT create_distributed_table('addr_summary', 'addr', colocate_with => 'none')`},
		{citusTable{"hosted_urls", "addr", "addr_summary"}, `SELECT create_distributed_table('hosted_urls', 'addr', colocate_with => 'addr_summary')`},
		{citusTable{"users", "", ""}, `SELECT create_reference_table('users')`},
	}
	for _, tc := range tests {
		if got := citusCall(tc.table); got != tc.want {
			t.Errorf("citusCall(%s):\ngot  %s\nwant %s", tc.table.name, got, tc.want)
		}
	}
	// docs/scaling.md lists every call.
	doc, err := os.ReadFile("../../../docs/scaling.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range citusLayout() {
		if !strings.Contains(string(doc), citusCall(ct)) {
			t.Errorf("docs/scaling.md lacks %s", citusCall(ct))
		}
	}
	for _, f := range citusFunctions() {
		call := fmt.Sprintf("SELECT create_distributed_function('%s')", f)
		if !strings.Contains(string(doc), call) {
			t.Errorf("docs/scaling.md lacks %s", call)
		}
	}
}

// countAcross counts requests of bob on one day under quota from workers
// goroutines spread over stores, each making each requests; it returns how
// many were counted and how often each count was handed out. With
// checkRefused, a refused request must see the count at the quota.
func countAcross(t *testing.T, stores []*Store, workers, each int, quota int64, checkRefused bool) (int, map[int64]int) {
	t.Helper()
	var mu sync.Mutex
	ok, counts := 0, map[int64]int{}
	var wg sync.WaitGroup
	for i := range workers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			for range each {
				n, counted, err := s.CountRequest(context.Background(), "bob", "2024-03-01", quota)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if counted {
					ok++
					counts[n]++
				} else if checkRefused && n != quota {
					t.Errorf("refused request: count %d, want %d", n, quota)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ok, counts
}

// Two pools (as two processes would have) share one quota exactly.
func TestQuotaAcrossPools(t *testing.T) {
	u := pgtest.FreshSchema(t)
	s1, err := Open(t.Context(), u, Options{MaxConns: 10, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := Open(t.Context(), u, Options{MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const workers, quota = 40, 25
	ok, counts := countAcross(t, []*Store{s1, s2}, workers, 1, quota, true)
	if ok != quota {
		t.Errorf("counted requests: got %d, want %d", ok, quota)
	}
	for n := int64(1); n <= quota; n++ {
		if counts[n] != 1 {
			t.Errorf("count %d returned %d times, want once", n, counts[n])
		}
	}
	for _, s := range []*Store{s1, s2} {
		n, err := s.RequestCount(t.Context(), "bob", "2024-03-01")
		if err != nil || n != quota {
			t.Errorf("RequestCount: got %d, %v; want %d", n, err, quota)
		}
	}
}

// Two stores (as two processes would have) counting a large quota count
// from blocks: together never past the quota, each count handed out once,
// the stored count the counted requests and the unused rest of the
// blocks, and exactly the counted ones once both have closed.
func TestQuotaBlocksAcrossPools(t *testing.T) {
	u := pgtest.FreshSchema(t)
	s1, err := Open(t.Context(), u, Options{MaxConns: 10, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), u, Options{MaxConns: 10})
	if err != nil {
		s1.Close()
		t.Fatal(err)
	}
	const workers, each, max = 16, 300, 4000
	ok, counts := countAcross(t, []*Store{s1, s2}, workers, each, max, false)
	if ok > max {
		t.Errorf("counted requests: got %d, more than the quota of %d", ok, max)
	}
	for n, k := range counts {
		if k != 1 {
			t.Errorf("count %d returned %d times, want once", n, k)
		}
	}
	stored := func() int64 {
		var n int64
		if err := s1.pool.QueryRow(t.Context(), `SELECT count FROM request_counts WHERE user_name = 'bob'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	unused := s1.counts.Unused("bob", "2024-03-01") + s2.counts.Unused("bob", "2024-03-01")
	if got := stored(); got != int64(ok)+unused {
		t.Errorf("stored count %d, want the %d counted and %d reserved unused", got, ok, unused)
	}
	t.Logf("%d counted, %d reserved unused, %d requests refused", ok, unused, workers*each-ok)
	s1.Close()
	s2.Close()
	s3, err := Open(t.Context(), u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if n, err := s3.RequestCount(t.Context(), "bob", "2024-03-01"); err != nil || n != int64(ok) {
		t.Errorf("after both closed: RequestCount %d, %v; want the %d counted", n, err, ok)
	}
}

// planStore is a fresh store with 3,000 items in each list the query
// plan tests read (hosted URLs, files, resolutions and masks of seven
// addresses, links of seven hosts), analysed; closed at the test's end.
func planStore(t *testing.T) *Store {
	t.Helper()
	s := openFresh(t)
	t.Cleanup(func() { s.Close() })
	var b intel.Batch
	for i := range 3000 {
		ip := ip4(10, 1, byte(i%7), 1)
		last := day0.AddDate(0, 0, i%400)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("h.example/%d", i), Hits: int64(i % 13), LastSeen: last})
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", i), URL: "h.example/f", Hits: 1, LastSeen: last})
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("d%d.example", i), Hits: 1, LastSeen: last})
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("m%d.example", i), MaskType: intel.MaskHost, Zone: intel.ZoneRed})
		b.Links = append(b.Links, intel.Link{List: intel.LinkHostURLs, Owner: fmt.Sprintf("o%d.example", i%7), Item: fmt.Sprintf("u%d", i),
			Hits: int64(i % 13), LastSeen: last})
	}
	if err := s.Apply(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	return s
}

// The list reads are bounded index range scans: the plan reads the recency
// index of the address and stops at the limit.
func TestListPlans(t *testing.T) {
	s := planStore(t)
	ip := ip4(10, 1, 3, 1)
	tests := []struct {
		sql   string
		index string
	}{
		{`SELECT url FROM hosted_urls WHERE addr = $1 ORDER BY last_seen DESC NULLS LAST, hits DESC, url LIMIT 10`, "hosted_urls_recent"},
		{`SELECT md5 FROM files WHERE addr = $1 ORDER BY last_seen DESC NULLS LAST, hits DESC, md5, url LIMIT 10`, "files_recent"},
		{`SELECT domain FROM resolutions WHERE addr = $1 ORDER BY last_seen DESC NULLS LAST, hits DESC, domain LIMIT 10`, "resolutions_recent"},
	}
	for _, tc := range tests {
		checkOrderedPlan(t, s, tc.sql, tc.index, ip)
	}
}

// checkOrderedPlan checks that PostgreSQL answers sql (with args) by
// reading index in order under a Limit, without sorting.
func checkOrderedPlan(t *testing.T, s *Store, sql, index string, args ...any) {
	t.Helper()
	plan := explainPlan(t, s, sql, args...)
	if !regexp.MustCompile(`Index (Only )?Scan using `+index).MatchString(plan) || strings.Contains(plan, "Sort") || !strings.HasPrefix(plan, "Limit") {
		t.Errorf("plan of %q does not read %s in order under a Limit:\n%s", sql, index, plan)
	}
}

// Text PostgreSQL cannot hold is refused in writes and unknown in reads,
// never an internal error.
func TestUnstorableText(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		writes := []struct {
			name string
			err  error
		}{
			{"hosted URL", s.Apply(ctx, &intel.Batch{HostedURLs: []intel.HostedURL{{IP: ip4(1, 2, 3, 4), URL: bad}}})},
			{"source", s.Apply(ctx, &intel.Batch{Listings: []intel.Listing{{IP: ip4(1, 2, 3, 4), Feed: "F", Source: intel.Source{File: bad}}}})},
			{"user", s.PutUser(ctx, intel.User{Name: bad})},
			{"token", s.SetToken(ctx, intel.Token{User: "bob", Hash: bad})},
		}
		for _, w := range writes {
			if intel.KindOf(w.err) != intel.KindInvalid {
				t.Errorf("%s with %q: got %v, want a KindInvalid error", w.name, bad, w.err)
			}
		}
		if _, err := s.URL(ctx, bad); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("URL(%q): got %v, want ErrNotFound", bad, err)
		}
		if _, err := s.User(ctx, bad); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("User(%q): got %v, want ErrNotFound", bad, err)
		}
		if _, err := s.TokenByHash(ctx, bad); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("TokenByHash(%q): got %v, want ErrNotFound", bad, err)
		}
		if l, err := s.DomainIPs(ctx, bad, 10); err != nil || len(l) != 0 {
			t.Errorf("DomainIPs(%q): got %v, %v; want none", bad, l, err)
		}
		if n, err := s.RequestCount(ctx, bad, "2024-03-01"); err != nil || n != 0 {
			t.Errorf("RequestCount(%q): got %d, %v; want 0", bad, n, err)
		}
	}
	if _, _, err := s.CountRequest(ctx, "bob", "03/01/2024", 10); intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("CountRequest with a malformed day: got %v, want a KindInvalid error", err)
	}
}

// explainPlan is PostgreSQL's plan of sql with args, as EXPLAIN prints it.
func explainPlan(t *testing.T, s *Store, sql string, args ...any) string {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `EXPLAIN `+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
