package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

func allChanges(t *testing.T, s *Store, kind store.ChangeKind) []store.Change {
	t.Helper()
	l, err := s.Changes(t.Context(), kind, store.Change{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustApply(t *testing.T, s *Store, b *intel.Batch) {
	t.Helper()
	if err := s.Apply(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

// stampOf returns the stamp of ip or url in l (zero when absent).
func stampOf(l []store.Change, ip netip.Addr, url string) time.Time {
	for _, c := range l {
		if (ip.IsValid() && c.IP == ip) || (url != "" && c.URL == url) {
			return c.At
		}
	}
	return time.Time{}
}

// Which records stamp, beyond the conformance suite: every kind that the
// reads show stamps its owner when it changes something, and nothing else.
func TestChangesDetection(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	src := intel.Source{Feed: "F", File: "f.csv", Imported: day0}
	a, b := ip4(192, 0, 2, 1), ip4(192, 0, 2, 2)
	batches := []*intel.Batch{
		{Masks: []intel.FeedMask{{IP: a, Mask: "*.example", MaskType: "host", Zone: intel.ZoneRed, Feeds: []string{"x"}, LastSeen: day0, Source: src}}},
		{ReportLinks: []intel.ReportLink{{IP: a, ReportID: "r1", Source: src}}},
		{SpamEvents: []intel.SpamEvent{{IP: a, ID: "s1", Time: day0, Type: "bot", Source: src}}},
		{PhishingEvents: []intel.PhishingEvent{{IP: a, ID: "p1", Time: day0, Region: "EU", Kit: "k", Source: src}}},
		{Listings: []intel.Listing{{IP: a, Feed: "L", Category: intel.CatMalware, FirstSeen: day0, LastSeen: day0, Source: src}}},
		{Files: []intel.FileDownload{{IP: a, MD5: fmt.Sprintf("%032X", 1), URL: "http://f.example/x", Hits: 1, LastSeen: day0, Source: src}}},
	}
	for i, batch := range batches {
		before := allChanges(t, s, store.ChangedAddresses)
		mustApply(t, s, batch)
		after := allChanges(t, s, store.ChangedAddresses)
		if len(after) != 1 || after[0].IP != a || (len(before) == 1 && !after[0].At.After(before[0].At)) {
			t.Fatalf("batch %d: changes %v after %v, want %s restamped", i, after, before, a)
		}
		// The same batch again changes nothing.
		mustApply(t, s, batch)
		if again := allChanges(t, s, store.ChangedAddresses); !slices.Equal(again, after) {
			t.Fatalf("batch %d re-applied: changes %v, want %v", i, again, after)
		}
	}
	if u := allChanges(t, s, store.ChangedURLs); len(u) != 1 || u[0].URL != "f.example/x" {
		t.Fatalf("web address changes: %v, want f.example/x", u)
	}

	// A report link re-applied from another source changes nothing that is
	// read; a listing from another source does (the source is shown).
	last := allChanges(t, s, store.ChangedAddresses)
	mustApply(t, s, &intel.Batch{ReportLinks: []intel.ReportLink{{IP: a, ReportID: "r1", Source: intel.Source{Feed: "G"}}}})
	if got := allChanges(t, s, store.ChangedAddresses); !slices.Equal(got, last) {
		t.Errorf("report link from another source: changes %v, want %v", got, last)
	}
	mustApply(t, s, &intel.Batch{Listings: []intel.Listing{{IP: a, Feed: "L", Category: intel.CatMalware, FirstSeen: day0, LastSeen: day0,
		Source: intel.Source{Feed: "G"}}}})
	if got := allChanges(t, s, store.ChangedAddresses); !got[0].At.After(last[0].At) {
		t.Errorf("listing from another source: changes %v, want a later stamp than %v", got, last)
	}

	// A batch with only domain, report and network records stamps nothing
	// and does not move the clock.
	var clock time.Time
	if err := s.pool.QueryRow(t.Context(), `SELECT last FROM change_clock`).Scan(&clock); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, &intel.Batch{
		Domains:   []intel.DomainInfo{{Domain: "f.example", Zone: intel.ZoneRed, Source: src}},
		Reports:   []intel.Report{{ID: "r1", Title: "t", Published: day0, Source: src}},
		Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "NL", Source: src}},
	})
	var clock2 time.Time
	if err := s.pool.QueryRow(t.Context(), `SELECT last FROM change_clock`).Scan(&clock2); err != nil {
		t.Fatal(err)
	}
	if !clock2.Equal(clock) {
		t.Errorf("change clock moved from %v to %v for a batch without address data", clock, clock2)
	}

	// One stamp per Apply for every owner it changed; others keep theirs.
	before := allChanges(t, s, store.ChangedAddresses)
	mustApply(t, s, &intel.Batch{
		Sightings:  []intel.Sighting{{IP: b, Day: day0, Hits: 1}},
		HostedURLs: []intel.HostedURL{{IP: b, URL: "h.example/1", Hits: 1, LastSeen: day0, Source: src}},
	})
	after := allChanges(t, s, store.ChangedAddresses)
	if len(after) != 2 || !after[0].At.Equal(before[0].At) || after[1].IP != b || !after[1].At.After(before[0].At) {
		t.Errorf("after a batch for %s only: %v", b, after)
	}
	urls := allChanges(t, s, store.ChangedURLs)
	if at := stampOf(urls, netip.Addr{}, "h.example/1"); !at.Equal(after[1].At) {
		t.Errorf("web address h.example/1 stamped %v, want the batch's stamp %v", at, after[1].At)
	}
}

// Changes is a bounded index range scan of the (changed_at, key) index, for
// each cursor shape.
func TestChangesPlans(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	for n := range 5 {
		var b intel.Batch
		for i := range 600 {
			k := n*600 + i
			ip := ip4(10, 2, byte(k>>8), byte(k))
			b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("h.example/%d", k), Hits: 1, LastSeen: day0})
			b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectHost, Key: fmt.Sprintf("h%d.example", k), Hits: 1})
		}
		mustApply(t, s, &b)
	}
	if _, err := s.pool.Exec(t.Context(), `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	tests := []struct {
		sql   string
		args  []any
		index string
	}{
		{`SELECT addr, changed_at FROM addr_changes ORDER BY changed_at, addr LIMIT 10`, nil, "addr_changes_order"},
		{`SELECT addr, changed_at FROM addr_changes WHERE changed_at > $1 ORDER BY changed_at, addr LIMIT 10`, []any{at}, "addr_changes_order"},
		{`SELECT addr, changed_at FROM addr_changes WHERE (changed_at, addr) > ($1, $2) ORDER BY changed_at, addr LIMIT 10`,
			[]any{at, ip4(10, 2, 0, 1)}, "addr_changes_order"},
		{`SELECT url, changed_at FROM url_changes WHERE (changed_at, url) > ($1, $2) ORDER BY changed_at, url LIMIT 10`,
			[]any{at, "h.example/1"}, "url_changes_order"},
		{`SELECT kind, key, changed_at FROM object_changes ORDER BY changed_at, kind, key LIMIT 10`, nil, "object_changes_order"},
		{`SELECT kind, key, changed_at FROM object_changes WHERE (changed_at, kind, key) > ($1, $2, $3) ORDER BY changed_at, kind, key LIMIT 10`,
			[]any{at, int16(intel.ObjectHost), "h1.example"}, "object_changes_order"},
	}
	for _, tc := range tests {
		checkOrderedPlan(t, s, tc.sql, tc.index, tc.args...)
	}
}

// A store upgraded by the changes migration lists what it held before,
// with the migration's stamp, and stamps later changes after it.
func TestChangesMigration(t *testing.T) {
	u := pgtest.FreshSchema(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration) bool { return m.version == "0004_changes" })
	if i < 0 {
		t.Fatal("no migration 0004_changes")
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The schema before the migration, recorded as Migrate would, with data.
	if _, err := conn.Exec(t.Context(), `CREATE TABLE schema_migrations (version text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:i] {
		if _, err := conn.Exec(t.Context(), m.sql); err != nil {
			t.Fatalf("%s: %v", m.version, err)
		}
		if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO addr_summary (addr, hits) VALUES ('192.0.2.1', 1), ('2001:db8::1', 2);
		INSERT INTO masks (addr, mask, mask_type) VALUES ('192.0.2.2', '*.example', 'host');
		INSERT INTO report_links (addr, report_id) VALUES ('192.0.2.1', 'r1'), ('192.0.2.3', 'r1');
		INSERT INTO url_summary (url, hits) VALUES ('a.example/x', 1), ('b.example/y', 1)`); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute)
	s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := allChanges(t, s, store.ChangedAddresses)
	var ips []netip.Addr
	for _, c := range got {
		ips = append(ips, c.IP)
		if !c.At.Equal(got[0].At) || c.At.Before(before) || c.At.Location() != time.UTC {
			t.Errorf("migrated entry %v: want one stamp, the migration's time in UTC", c)
		}
	}
	want := []netip.Addr{ip4(192, 0, 2, 1), ip4(192, 0, 2, 2), ip4(192, 0, 2, 3), netip.MustParseAddr("2001:db8::1")}
	if !slices.Equal(ips, want) {
		t.Errorf("addresses stamped by the migration: %v, want %v", ips, want)
	}
	if u := allChanges(t, s, store.ChangedURLs); len(u) != 2 || u[0].URL != "a.example/x" || u[1].URL != "b.example/y" {
		t.Errorf("web addresses stamped by the migration: %v", u)
	}
	mustApply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4(192, 0, 2, 2), Day: day0, Hits: 1}}})
	got2, err := s.Changes(t.Context(), store.ChangedAddresses, store.Change{At: got[0].At}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got2) != 1 || got2[0].IP != ip4(192, 0, 2, 2) || !got2[0].At.After(got[0].At) {
		t.Errorf("after a change following the migration: %v", got2)
	}
}

// A store upgraded by the object changes migration lists the objects it
// held before, with one stamp later than every earlier one, and stamps
// later changes after it.
func TestObjectChangesMigration(t *testing.T) {
	u := pgtest.FreshSchema(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration) bool { return m.version == "0006_object_changes" })
	if i < 0 {
		t.Fatal("no migration 0006_object_changes")
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `CREATE TABLE schema_migrations (version text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:i] {
		if _, err := conn.Exec(t.Context(), m.sql); err != nil {
			t.Fatalf("%s: %v", m.version, err)
		}
		if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
			t.Fatal(err)
		}
	}
	// A clock ahead of the database's: the migration's stamp is later.
	ahead := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := conn.Exec(t.Context(), `UPDATE change_clock SET last = $1`, ahead); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO object_summary (key, kind, hits) VALUES ('a.example', 1, 1);
		INSERT INTO object_listings (key, kind, feed, category) VALUES ('b.example/x', 2, 'f', 'CATEGORY_MALWARE');
		INSERT INTO links (owner, list, item) VALUES ('c.example', 3, 'c.example/y'), ('0F343B0931126A20F133D67C2B018A3B', 16, 'c.example/y');
		INSERT INTO file_hashes (hash, md5) VALUES ('0F343B0931126A20F133D67C2B018A3B', '0F343B0931126A20F133D67C2B018A3B');
		INSERT INTO domain_whois (domain, registrar) VALUES ('d.example', 'R')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := allChanges(t, s, store.ChangedObjects)
	var keys []string
	for _, c := range got {
		keys = append(keys, fmt.Sprintf("%s %s", c.Kind, c.Key))
		if !c.At.Equal(got[0].At) || !c.At.After(ahead) || c.At.Location() != time.UTC {
			t.Errorf("migrated entry %v: want one stamp after %v, in UTC", c, ahead)
		}
	}
	want := []string{"host a.example", "host c.example", "host d.example", "url b.example/x", "file 0F343B0931126A20F133D67C2B018A3B"}
	if !slices.Equal(keys, want) {
		t.Errorf("objects stamped by the migration:\ngot  %q\nwant %q", keys, want)
	}
	mustApply(t, s, &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectHost, Key: "d.example", Hits: 3}}})
	got2, err := s.Changes(t.Context(), store.ChangedObjects, store.Change{At: got[0].At}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got2) != 1 || got2[0].Key != "d.example" || !got2[0].At.After(got[0].At) {
		t.Errorf("after a change following the migration: %v", got2)
	}
}

// Several writers (two pools, as two processes) and a reader following
// the changes with a cursor: every Apply gets its own stamp, and the reader
// never misses an entry, that is no entry ever commits behind a cursor the
// reader has passed.
func TestChangesWriters(t *testing.T) {
	u := pgtest.FreshSchema(t)
	var stores []*Store
	for range 2 {
		s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	const writers, applies, per = 4, 15, 20
	ipOf := func(w, n, i int) netip.Addr { return ip4(10, byte(w), byte(n), byte(i)) }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			s := stores[w%len(stores)]
			for n := range applies {
				var b intel.Batch
				for i := range per {
					b.Sightings = append(b.Sightings, intel.Sighting{IP: ipOf(w, n, i), Day: day0, Hits: 1})
				}
				if err := s.Apply(context.Background(), &b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[store.Change]bool{}
	var cur store.Change
	follow := func() {
		for {
			page, err := stores[1].Changes(context.Background(), store.ChangedAddresses, cur, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				seen[c] = true
			}
			if len(page) < 7 {
				return
			}
			cur = page[len(page)-1]
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		follow()
	}
	follow()

	all := allChanges(t, stores[0], store.ChangedAddresses)
	if len(all) != writers*applies*per {
		t.Fatalf("%d changes, want %d", len(all), writers*applies*per)
	}
	byStamp := map[time.Time][]netip.Addr{}
	for _, c := range all {
		if !seen[c] {
			t.Errorf("the reader following the changes missed %v", c)
		}
		byStamp[c.At] = append(byStamp[c.At], c.IP)
	}
	if len(byStamp) != writers*applies {
		t.Errorf("%d distinct stamps, want one per Apply (%d)", len(byStamp), writers*applies)
	}
	for at, ips := range byStamp {
		w, n := int(ips[0].As4()[1]), int(ips[0].As4()[2])
		for _, ip := range ips {
			if a := ip.As4(); int(a[1]) != w || int(a[2]) != n {
				t.Errorf("stamp %v covers addresses of several Applies: %v", at, ips)
				break
			}
		}
	}
}

// A cursor between two microseconds is after every entry of the earlier one.
func TestChangesSubMicrosecondCursor(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	mustApply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4(192, 0, 2, 1), Day: day0, Hits: 1}, {IP: ip4(192, 0, 2, 2), Day: day0, Hits: 1}}})
	all := allChanges(t, s, store.ChangedAddresses)
	if len(all) != 2 {
		t.Fatalf("changes: %v", all)
	}
	got, err := s.Changes(t.Context(), store.ChangedAddresses, store.Change{At: all[0].At.Add(500 * time.Nanosecond), IP: all[0].IP}, 10)
	if err != nil || len(got) != 0 {
		t.Errorf("changes after %v + 500 ns: %v, %v; want none", all[0].At, got, err)
	}
}
