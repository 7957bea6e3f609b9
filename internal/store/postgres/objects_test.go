package postgres

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/mem"
)

// A long list answers a small limit with its first items, by one range
// scan of links_order under a Limit: the cost is the limit, not the list.
func TestLinksLongList(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	const n = 20000
	owner := "big.example"
	var b intel.Batch
	var urls, subs []intel.Link
	zones := []intel.Zone{"", intel.ZoneGreen, intel.ZoneGrey, intel.ZoneYellow, intel.ZoneOrange, intel.ZoneRed}
	for i := range n {
		u := intel.Link{List: intel.LinkHostURLs, Owner: owner, Item: fmt.Sprintf("big.example/p%05d", i), Hits: int64(i % 11)}
		if i%9 != 0 { // the rest undated
			u.LastSeen = day0.Add(time.Duration(i%5000) * time.Hour)
		}
		urls = append(urls, u)
		sd := intel.Link{List: intel.LinkSubdomains, Owner: owner, Item: fmt.Sprintf("s%05d.big.example", i),
			Zone: zones[i%len(zones)], Hits: int64(i % 7), LastSeen: day0.AddDate(0, 0, i%300)}
		subs = append(subs, sd)
		// Other lists and owners around them.
		b.Links = append(b.Links, u, sd,
			intel.Link{List: intel.LinkHostReferrals, Owner: owner, Item: u.Item, LastSeen: day0.AddDate(1, 0, 0)},
			intel.Link{List: intel.LinkHostURLs, Owner: "big.example.com", Item: u.Item, LastSeen: day0.AddDate(1, 0, 0), Hits: 99})
	}
	mustApply(t, s, &b)
	if _, err := s.pool.Exec(t.Context(), `ANALYZE links`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		list intel.LinkList
		all  []intel.Link
	}{{intel.LinkHostURLs, urls}, {intel.LinkSubdomains, subs}} {
		intel.SortLinks(tc.all)
		for _, limit := range []int{1, 10, 1000} {
			got, err := s.Links(t.Context(), tc.list, owner, limit)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := linkKeys(got), linkKeys(tc.all[:limit]); !slices.Equal(g, w) {
				t.Errorf("list %d, limit %d: got %v…, want %v…", tc.list, limit, g[:min(len(g), 5)], w[:min(len(w), 5)])
			}
		}
		checkOrderedPlan(t, s, linksSQL, "links_order", owner, int16(tc.list), 10)
	}
	o, err := s.Object(t.Context(), intel.ObjectHost, owner)
	if err != nil {
		t.Fatal(err)
	}
	if c := o.Lists[intel.LinkHostURLs]; c.Items != n || c.MaxZone != "" {
		t.Errorf("URL count: got %+v, want %d items, no zone", c, n)
	}
	if c := o.Lists[intel.LinkSubdomains]; c.Items != n || c.MaxZone != intel.ZoneRed {
		t.Errorf("subdomain count: got %+v, want %d items, Red", c, n)
	}
}

// linkKeys describes each link by what orders it.
func linkKeys(ls []intel.Link) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = fmt.Sprintf("%s/%s/%d/%s", l.Zone, l.LastSeen.Format(time.RFC3339), l.Hits, l.Item)
	}
	return out
}

// The migration numbers the lists by severity and the lists whose Attrs
// merge by union: the generated order columns must agree with package
// intel for every list.
func TestLinkOrderColumns(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	owners := map[intel.ObjectKind]string{intel.ObjectHost: "h.example", intel.ObjectURL: "h.example/p", intel.ObjectFile: fmt.Sprintf("%032X", 1)}
	last := day0.AddDate(0, 1, 0)
	var b intel.Batch
	for l := intel.LinkList(1); l < intel.NumLinkLists; l++ {
		b.Links = append(b.Links, intel.Link{List: l, Owner: owners[l.Owner()], Item: "x", Zone: intel.ZoneRed, LastSeen: last, Attrs: []string{"b"}})
	}
	mustApply(t, s, &b)
	for i := range b.Links {
		b.Links[i].Attrs = []string{"a"}
	}
	mustApply(t, s, &b)
	rows, err := s.pool.Query(t.Context(), `SELECT list, sev, recent, attrs FROM links ORDER BY list`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var list, sev int16
	var recent pgtype.Timestamptz
	var attrs []string
	_, err = pgx.ForEachRow(rows, []any{&list, &sev, &recent, &attrs}, func() error {
		n++
		l := intel.LinkList(list)
		wantSev, wantRecent, wantAttrs := int16(0), last, []string{"a"}
		if l.BySeverity() {
			wantSev, wantRecent = int16(intel.ZoneRed.Severity()), time.Time{}
		}
		if l.UnionAttrs() {
			wantAttrs = []string{"a", "b"}
		}
		if sev != wantSev || !tm(recent).Equal(wantRecent) || !slices.Equal(attrs, wantAttrs) {
			t.Errorf("list %d: got sev %d, recent %v, attrs %v; want %d, %v, %v", l, sev, tm(recent), attrs, wantSev, wantRecent, wantAttrs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != int(intel.NumLinkLists)-1 {
		t.Errorf("got %d lists, want %d", n, intel.NumLinkLists-1)
	}
}

// tipd_attrs_merge is the positional rule of intel.Link.Merge.
func TestAttrsMerge(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	tests := []struct{ a, b, want []string }{
		{nil, nil, nil},
		{[]string{"x"}, nil, []string{"x"}},
		{nil, []string{"", "y"}, []string{"", "y"}},
		{[]string{"x", "z"}, []string{"", "y"}, []string{"x", "y"}},
		{[]string{"x"}, []string{"w", "", "v"}, []string{"w", "", "v"}},
		{[]string{"x", "y", "z"}, []string{"", "", ""}, []string{"x", "y", "z"}},
	}
	for _, tc := range tests {
		var got []string
		if err := s.pool.QueryRow(t.Context(), `SELECT tipd_attrs_merge($1, $2)`, strs(tc.a), strs(tc.b)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		r := intel.Link{Attrs: tc.a}
		r.Merge(intel.Link{Attrs: tc.b})
		if !slices.Equal(got, tc.want) || !slices.Equal(r.Attrs, tc.want) {
			t.Errorf("tipd_attrs_merge(%q, %q): got %q (intel: %q), want %q", tc.a, tc.b, got, r.Attrs, tc.want)
		}
	}
}

// Random batches of object records, with many duplicate keys inside and
// across batches, read the same from this store as from the in-memory
// reference (apart from the one documented difference in ListCount.MaxZone).
func TestObjectsMatchReference(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ref := mem.New()
	g := objGen{rng: rand.New(rand.NewPCG(1, 2))}
	ctx := t.Context()
	for i := range 40 {
		b := g.batch(i)
		if err := ref.Apply(ctx, b); err != nil {
			t.Fatalf("batch %d: reference: %v", i, err)
		}
		if err := s.Apply(ctx, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		compareObjects(t, i, s, ref, g)
	}
}

// compareObjects compares every read of the generator's keys.
func compareObjects(t *testing.T, step int, s *Store, ref *mem.Store, g objGen) {
	t.Helper()
	ctx := t.Context()
	check := func(what string, got, want any, gerr, werr error) {
		t.Helper()
		if gerr != nil || werr != nil {
			t.Fatalf("after batch %d: %s: %v, reference: %v", step, what, gerr, werr)
		}
		if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
			t.Errorf("after batch %d: %s:\ngot  %s\nwant %s", step, what, g, w)
		}
	}
	for _, kind := range []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile} {
		for _, key := range g.keys(kind) {
			want, werr := ref.Object(ctx, kind, key)
			got, gerr := s.Object(ctx, kind, key)
			for l := range got.Lists {
				// The reference never raises a count's zone from "" to
				// Green or Grey (intel.MaxZone ranks "" as Grey).
				if z := got.Lists[l].MaxZone; want.Lists[l].MaxZone == "" && (z == intel.ZoneGreen || z == intel.ZoneGrey) {
					want.Lists[l].MaxZone = z
				}
			}
			check(fmt.Sprintf("Object(%s, %s)", kind, key), got, want, gerr, werr)
		}
	}
	for l := intel.LinkList(1); l < intel.NumLinkLists; l++ {
		for _, owner := range g.keys(l.Owner()) {
			want, werr := ref.Links(ctx, l, owner, 100)
			got, gerr := s.Links(ctx, l, owner, 100)
			check(fmt.Sprintf("Links(%d, %s)", l, owner), got, want, gerr, werr)
		}
	}
	for _, h := range g.hashes() {
		want, wok, werr := ref.FileHashes(ctx, h)
		got, ok, gerr := s.FileHashes(ctx, h)
		check("FileHashes("+h+")", fmt.Sprint(ok, got), fmt.Sprint(wok, want), gerr, werr)
	}
}

// objGen makes random object records over a few keys.
type objGen struct{ rng *rand.Rand }

func (g objGen) pick(ss ...string) string { return ss[g.rng.IntN(len(ss))] }

func (g objGen) keys(k intel.ObjectKind) []string {
	switch k {
	case intel.ObjectHost:
		return []string{"a.example", "b.example"}
	case intel.ObjectURL:
		return []string{"a.example/x", "b.example/y"}
	}
	return []string{fmt.Sprintf("%032X", 1), fmt.Sprintf("%064X", 2)}
}

func (g objGen) hashes() []string {
	return []string{fmt.Sprintf("%032X", 1), fmt.Sprintf("%032X", 2), fmt.Sprintf("%040X", 1), fmt.Sprintf("%040X", 2),
		fmt.Sprintf("%064X", 1), fmt.Sprintf("%064X", 2)}
}

func (g objGen) time() time.Time {
	if g.rng.IntN(3) == 0 {
		return time.Time{}
	}
	return day0.Add(time.Duration(g.rng.IntN(100)) * time.Hour)
}

func (g objGen) strs(max int, vals ...string) []string {
	var out []string
	for range g.rng.IntN(max + 1) {
		out = append(out, g.pick(vals...))
	}
	return out
}

func (g objGen) src(i int) intel.Source {
	return intel.Source{Feed: g.pick("A", "B"), File: fmt.Sprintf("f%d-%d", i, g.rng.IntN(1000)), Imported: day0.Add(time.Duration(i) * time.Minute)}
}

func (g objGen) batch(i int) *intel.Batch {
	var b intel.Batch
	kinds := []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile}
	for range g.rng.IntN(6) {
		k := kinds[g.rng.IntN(3)]
		b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: k, Key: g.pick(g.keys(k)...), Hits: int64(g.rng.IntN(10)),
			FirstSeen: g.time(), LastSeen: g.time(), Size: int64(g.rng.IntN(3) * 100), Type: g.pick("", "ELF.32 ", "exe"),
			Packer: g.pick("", "UPX"), Signer: g.pick("", "S1", "S2"), SignerStatus: g.pick("", "Trusted"),
			Allows: g.strs(2, "l1", "l2", "l3"), Source: g.src(i)})
	}
	for range g.rng.IntN(6) {
		k := kinds[g.rng.IntN(3)]
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: k, Key: g.pick(g.keys(k)...),
			Category: intel.Category(g.pick(string(intel.CatMalware), string(intel.CatPhishing))), Feed: g.pick("F1", "F2"),
			FirstSeen: g.time(), LastSeen: g.time(), Source: g.src(i)})
	}
	zones := []string{"", "Green", "Grey", "Yellow", "Orange", "Red"}
	for range g.rng.IntN(30) {
		l := intel.LinkList(1 + g.rng.IntN(int(intel.NumLinkLists)-1))
		b.Links = append(b.Links, intel.Link{List: l, Owner: g.pick(g.keys(l.Owner())...), Item: g.pick("i1", "i2", "i3"),
			Zone: intel.Zone(g.pick(zones...)), Hits: int64(g.rng.IntN(10)), FirstSeen: g.time(), LastSeen: g.time(),
			DailyPeak: int64(g.rng.IntN(3)), PeakDate: g.time(), Attrs: g.strs(3, "", "a", "b", "c"), Source: g.src(i)})
	}
	for range g.rng.IntN(4) {
		h := intel.FileHashes{Source: g.src(i)}
		hs := g.hashes()
		for h.MD5+h.SHA1+h.SHA256 == "" {
			h.MD5, h.SHA1, h.SHA256 = g.pick("", hs[0], hs[1]), g.pick("", hs[2], hs[3]), g.pick("", hs[4], hs[5])
		}
		b.FileHashes = append(b.FileHashes, h)
	}
	for range g.rng.IntN(3) {
		w := intel.DomainWhois{Domain: g.pick(g.keys(intel.ObjectHost)...), Created: g.time(), Registrar: g.pick("", "R1", "R2"),
			NameServers: g.strs(2, "NS1.example.", "ns2.example"), Status: g.strs(2, "ok"), Source: g.src(i)}
		for range g.rng.IntN(3) {
			w.Contacts = append(w.Contacts, intel.DomainContact{Type: g.pick(intel.ContactTypes...), Email: g.pick("", "x@example")})
		}
		b.Whois = append(b.Whois, w)
	}
	return &b
}

// A store at the schema before the object tables keeps its data when
// migrated, and then stores objects.
func TestObjectsMigration(t *testing.T) {
	u, conn := schemaBefore(t, "0005_objects")
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO addr_summary (addr, hits) VALUES ('192.0.2.1', 5);
		INSERT INTO hosted_urls (addr, url, hits) VALUES ('192.0.2.1', 'a.example/x', 3);
		INSERT INTO url_summary (url, hits) VALUES ('a.example/x', 3)`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip := ip4(192, 0, 2, 1)
	if a, err := s.Address(t.Context(), ip); err != nil || a.Hits != 5 {
		t.Errorf("address after the migration: got %+v, %v; want 5 hits", a, err)
	}
	if h, err := s.HostedURLs(t.Context(), ip, 10); err != nil || len(h) != 1 || h[0].URL != "a.example/x" {
		t.Errorf("hosted URLs after the migration: got %+v, %v", h, err)
	}
	if u, err := s.URL(t.Context(), "a.example/x"); err != nil || u.Hits != 3 {
		t.Errorf("web address after the migration: got %+v, %v; want 3 hits", u, err)
	}
	mustApply(t, s, &intel.Batch{Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "a.example", Item: "a.example/x", Hits: 3}}})
	if l, err := s.Links(t.Context(), intel.LinkHostURLs, "a.example", 10); err != nil || len(l) != 1 || l[0].Hits != 3 {
		t.Errorf("links after the migration: got %+v, %v", l, err)
	}
}

// Text PostgreSQL cannot hold is refused in object records and unknown in
// object reads, never an internal error.
func TestObjectsUnstorableText(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		writes := []struct {
			name string
			b    intel.Batch
		}{
			{"link item", intel.Batch{Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "h.example", Item: bad}}}},
			{"link attrs", intel.Batch{Links: []intel.Link{{List: intel.LinkHostFiles, Owner: "h.example", Item: "x", Attrs: []string{bad}}}}},
			{"allow list", intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectHost, Key: "h.example", Allows: []string{bad}}}}},
			{"WHOIS contact", intel.Batch{Whois: []intel.DomainWhois{{Domain: "h.example", Contacts: []intel.DomainContact{{Name: bad}}}}}},
		}
		for _, w := range writes {
			if err := s.Apply(ctx, &w.b); intel.KindOf(err) != intel.KindInvalid {
				t.Errorf("%s with %q: got %v, want a KindInvalid error", w.name, bad, err)
			}
		}
		if o, err := s.Object(ctx, intel.ObjectHost, bad); err != nil || o.Known() || o.Key != bad {
			t.Errorf("Object(%q): got %+v, %v; want an unknown object", bad, o, err)
		}
		if l, err := s.Links(ctx, intel.LinkHostURLs, bad, 10); err != nil || len(l) != 0 {
			t.Errorf("Links(%q): got %v, %v; want none", bad, l, err)
		}
		if _, ok, err := s.FileHashes(ctx, bad); err != nil || ok {
			t.Errorf("FileHashes(%q): got %v, %v; want false, nil", bad, ok, err)
		}
	}
}
