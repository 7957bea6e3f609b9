package postgres

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// A page query reads each branch as a range scan of the list's index
// under a Limit, never the whole table nor the whole list.
func TestListPagePlans(t *testing.T) {
	s := planStore(t)
	ip := ip4(10, 1, 3, 1)
	after := store.ListCursor{LastSeen: day0.AddDate(0, 0, 200), Hits: 5, Key: "h.example/1000"}
	tests := []struct {
		q     pageQuery
		index string
		args  []any
	}{
		{hostedPage.sql(ts(after.LastSeen), after.Hits, after.Key), "hosted_urls_recent", []any{ip}},
		{masksPage.sql(4, "m100.example", intel.MaskHost), "masks_severe", []any{ip}},
		{linksPage.sql(0, ts(after.LastSeen), after.Hits, "u1000"), "links_order", []any{"o3.example", int16(intel.LinkHostURLs)}},
	}
	for _, tc := range tests {
		args := append(append(tc.args, tc.q.args...), 10)
		plan := explainPlan(t, s, tc.q.text, args...)
		scans := regexp.MustCompile(`Index (Only )?Scan using `+tc.index).FindAllString(plan, -1)
		limits := strings.Count(plan, "Limit")
		if strings.Contains(plan, "Seq Scan") || len(scans) == 0 || limits < len(scans)+1 {
			t.Errorf("plan of %q does not read %s under a Limit in each branch:\n%s", tc.q.text, tc.index, plan)
		}
	}
}

// The migration that adds addr_list_counts counts the lists of a store
// written before it; Apply then keeps the counts, and re-applying a batch
// changes none.
func TestAddrListCountsMigration(t *testing.T) {
	u, conn := schemaBefore(t, "0015_addr_list_counts")
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO hosted_urls (addr, url) VALUES ('192.0.2.1', 'a.example/1'), ('192.0.2.1', 'a.example/2'), ('192.0.2.2', 'b.example/1');
		INSERT INTO masks (addr, mask, mask_type) VALUES ('192.0.2.1', 'a.example', 'host')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u, Options{MaxConns: 2, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip := netip.MustParseAddr("192.0.2.1")
	total := func(name store.ListName) int64 {
		t.Helper()
		p, err := s.ListPage(t.Context(), store.ListRef{Name: name, IP: ip}, store.ListCursor{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	if h, m, f := total(store.ListHostedURLs), total(store.ListMasks), total(store.ListFiles); h != 2 || m != 1 || f != 0 {
		t.Errorf("after the migration: got totals %d hosted URLs, %d masks, %d files; want 2, 1, 0", h, m, f)
	}
	b := &intel.Batch{HostedURLs: []intel.HostedURL{{IP: ip, URL: "a.example/2", Hits: 5}, {IP: ip, URL: "a.example/3"}}}
	for range 2 {
		if err := s.Apply(t.Context(), b); err != nil {
			t.Fatal(err)
		}
		if h := total(store.ListHostedURLs); h != 3 {
			t.Errorf("after applying one new and one known URL: got %d hosted URLs, want 3", h)
		}
	}
}
