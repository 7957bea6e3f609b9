package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/mem"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// world is a mem store with red, orange and grey addresses and red web
// addresses, applied in several batches so that entries have several
// stamps.
type world struct {
	st     *mem.Store
	srv    *Server
	red    []netip.Addr
	orange []netip.Addr
	urls   []string
	held   map[netip.Addr]bool
}

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{45, 95, byte(i / 250), byte(1 + i%250)}) }

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{st: mem.New(), held: map[netip.Addr]bool{}}
	seen := now.Add(-48 * time.Hour)
	src := intel.Source{Feed: "test"}
	for batch := range 4 {
		b := &intel.Batch{}
		for j := range 6 {
			i := batch*6 + j
			ip := addr(i)
			switch i % 3 {
			case 0:
				w.red = append(w.red, ip)
				b.Listings = append(b.Listings,
					intel.Listing{IP: ip, Category: intel.CatBotnetCNC, Feed: "C2", FirstSeen: seen, LastSeen: seen, Source: src},
					intel.Listing{IP: ip, Category: intel.CatMalware, Feed: "Malware", FirstSeen: seen, LastSeen: seen, Source: src})
			case 1:
				w.orange = append(w.orange, ip)
				b.Listings = append(b.Listings, intel.Listing{IP: ip, Category: intel.CatScanner, Feed: "Scan", FirstSeen: seen, LastSeen: seen, Source: src})
			default: // grey: seen, never listed
				b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: seen.Truncate(24 * time.Hour), Hits: 3})
			}
		}
		u := fmt.Sprintf("bad%d.example/payload", batch)
		w.urls = append(w.urls, "http://"+u)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: addr(100 + batch), URL: u, Zone: intel.ZoneRed, Hits: 1,
			FirstSeen: seen, LastSeen: seen, Source: src})
		if err := w.st.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	w.srv = &Server{
		Reports: &report.Builder{Store: w.st, Net: netdata.NewHolder(), Now: func() time.Time { return now }},
		Changes: w.st,
		Held: func(_ context.Context, q intel.HoldQuery) (bool, error) {
			return w.held[q.IP], nil
		},
	}
	return w
}

type object struct {
	Type, ID, Pattern string
}

type envelope struct {
	More    bool     `json:"more"`
	Next    string   `json:"next"`
	Objects []object `json:"objects"`
}

func (w *world) get(t *testing.T, path, query string) (*Response, error) {
	t.Helper()
	r := httptest.NewRequest("GET", Prefix+path+"?"+query, nil)
	return w.srv.Serve(r, path, query)
}

func (w *world) page(t *testing.T, col, query string) envelope {
	t.Helper()
	resp, err := w.get(t, "api/collections/"+col+"/objects/", query)
	if err != nil {
		t.Fatalf("objects %s?%s: %v", col, query, err)
	}
	var env envelope
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	return env
}

// all pages through a collection; it also returns the number of pages.
func (w *world) all(t *testing.T, col string, limit int, extra url.Values) ([]object, int) {
	t.Helper()
	var out []object
	next := ""
	for pages := 1; pages < 1000; pages++ {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		for k, v := range extra {
			q[k] = v
		}
		if next != "" {
			q.Set("next", next)
		}
		env := w.page(t, col, q.Encode())
		if len(env.Objects) > limit {
			t.Fatalf("%d objects on a page, limit %d", len(env.Objects), limit)
		}
		out = append(out, env.Objects...)
		if !env.More {
			return out, pages
		}
		next = env.Next
	}
	t.Fatal("paging never ended")
	return nil, 0
}

func patternsOf(objs []object) []string {
	var out []string
	for _, o := range objs {
		if o.Type == "indicator" {
			out = append(out, o.Pattern)
		}
	}
	slices.Sort(out)
	return out
}

func ipPatterns(ips ...[]netip.Addr) []string {
	var out []string
	for _, l := range ips {
		for _, ip := range l {
			out = append(out, "[ipv4-addr:value = '"+ip.String()+"']")
		}
	}
	slices.Sort(out)
	return out
}

func urlPatterns(urls []string) []string {
	var out []string
	for _, u := range urls {
		out = append(out, "[url:value = '"+u+"']")
	}
	slices.Sort(out)
	return out
}

func TestCollectionsHoldTheirZones(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		col  string
		want []string
	}{
		{"ip-red", ipPatterns(w.red)},
		{"ip-orange", ipPatterns(w.orange)},
		{"malicious-urls", urlPatterns(w.urls)},
		{"indicators", append(ipPatterns(w.red, w.orange), urlPatterns(w.urls)...)},
	} {
		slices.Sort(tc.want)
		objs, _ := w.all(t, tc.col, 1000, nil)
		if got := patternsOf(objs); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.col, got, tc.want)
		}
		if objs[0].Type != "identity" || len(objs) != 1+3*len(tc.want) {
			t.Errorf("%s: %d objects starting with %s, want the identity and 3 per indicator", tc.col, len(objs), objs[0].Type)
		}
	}
}

func TestPagingEveryLimit(t *testing.T) {
	w := newWorld(t)
	whole, _ := w.all(t, "indicators", 1000, nil)
	for limit := 1; limit <= 8; limit++ {
		got, pages := w.all(t, "indicators", limit, nil)
		if !slices.Equal(got, whole) {
			t.Errorf("limit %d: objects differ from one page", limit)
		}
		if want := (len(whole) + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
	}
}

// A small scan budget makes pages come back short or empty, yet paging
// ends with the same objects.
func TestPagingWithinScanBudget(t *testing.T) {
	w := newWorld(t)
	whole, _ := w.all(t, "ip-red", 1000, nil)
	w.srv.MaxScan = 2
	got, pages := w.all(t, "ip-red", 5, nil)
	if !slices.Equal(got, whole) {
		t.Errorf("budget 2: objects differ:\n%v\n%v", got, whole)
	}
	if pages < 10 {
		t.Errorf("budget 2: %d pages; the budget was not applied", pages)
	}
	onlyInd, _ := w.all(t, "indicators", 3, url.Values{"match[type]": {"indicator"}})
	if got, want := patternsOf(onlyInd), append(ipPatterns(w.red, w.orange), urlPatterns(w.urls)...); len(onlyInd) != len(want) || !slices.Equal(got, sorted(want)) {
		t.Errorf("match[type]=indicator with budget 2: %v", got)
	}
}

func sorted(l []string) []string { slices.Sort(l); return l }

func TestAddedAfterAndChanges(t *testing.T) {
	w := newWorld(t)
	resp, err := w.get(t, "api/collections/indicators/manifest/", "limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	last := resp.Header.Get("X-TAXII-Date-Added-Last")
	first := resp.Header.Get("X-TAXII-Date-Added-First")
	if first != "2026-01-01T00:00:00.000000Z" || last == "" || last <= first {
		t.Fatalf("date headers %q %q", first, last)
	}
	if env := w.page(t, "indicators", "added_after="+last); len(env.Objects) != 0 || env.More {
		t.Errorf("added_after the last date: %+v", env)
	}

	// Page half way, change an address already delivered and one not yet.
	env := w.page(t, "ip-red", "limit=4")
	if !env.More {
		t.Fatal("want more")
	}
	seen := now.Add(-time.Hour)
	if err := w.st.Apply(context.Background(), &intel.Batch{Listings: []intel.Listing{
		{IP: w.red[0], Category: intel.CatMalware, Feed: "M", FirstSeen: seen, LastSeen: seen},
		{IP: w.red[len(w.red)-1], Category: intel.CatMalware, Feed: "M", FirstSeen: seen, LastSeen: seen},
		{IP: w.orange[0], Category: intel.CatBotnetCNC, Feed: "C2", FirstSeen: seen, LastSeen: seen}, // now Red
		{IP: w.orange[0], Category: intel.CatMalware, Feed: "Malware", FirstSeen: seen, LastSeen: seen},
	}}); err != nil {
		t.Fatal(err)
	}
	newer := w.page(t, "ip-red", "added_after="+url.QueryEscape(last))
	if got, want := patternsOf(newer.Objects), ipPatterns([]netip.Addr{w.red[0], w.red[len(w.red)-1], w.orange[0]}); !slices.Equal(got, want) {
		t.Errorf("added_after after a change: %v, want %v", got, want)
	}
	// The rest of the interrupted paging still ends, and the changed
	// addresses come at the end.
	rest, _ := w.all(t, "ip-red", 4, url.Values{"next": {env.Next}})
	pats := patternsOf(rest)
	if !slices.Contains(pats, ipPatterns([]netip.Addr{w.orange[0]})[0]) {
		t.Errorf("the address that turned Red is missing from the rest: %v", pats)
	}
}

func TestHeldAddressesAreLeftOut(t *testing.T) {
	w := newWorld(t)
	w.held[w.red[1]] = true
	objs, _ := w.all(t, "ip-red", 1000, nil)
	want := ipPatterns(slices.Delete(slices.Clone(w.red), 1, 2))
	if got := patternsOf(objs); !slices.Equal(got, want) {
		t.Errorf("with a hold: %v, want %v", got, want)
	}
}

func TestFiltersAndOneObject(t *testing.T) {
	w := newWorld(t)
	whole, _ := w.all(t, "indicators", 1000, nil)
	ind := whole[2]
	if ind.Type != "indicator" {
		t.Fatalf("third object is a %s", ind.Type)
	}
	env := w.page(t, "indicators", "match[id]="+ind.ID)
	if len(env.Objects) != 1 || env.Objects[0] != ind {
		t.Errorf("match[id]: %+v", env)
	}
	resp, err := w.get(t, "api/collections/indicators/objects/"+ind.ID+"/", "")
	if err != nil || !strings.Contains(string(resp.Body), ind.Pattern) {
		t.Errorf("one object: %v %s", err, resp.Body)
	}
	env = w.page(t, "indicators", "match[type]=ipv4-addr,url&limit=1000")
	for _, o := range env.Objects {
		if o.Type != "ipv4-addr" && o.Type != "url" {
			t.Errorf("match[type]=ipv4-addr,url returned %s", o.Type)
		}
	}
	if n := len(w.red) + len(w.orange) + len(w.urls); len(env.Objects) != n {
		t.Errorf("match[type]=ipv4-addr,url: %d objects, want %d", len(env.Objects), n)
	}
	if env := w.page(t, "indicators", "match[spec_version]=2.0"); len(env.Objects) != 0 {
		t.Errorf("match[spec_version]=2.0: %d objects", len(env.Objects))
	}
}

func TestBadRequests(t *testing.T) {
	w := newWorld(t)
	good := w.page(t, "indicators", "limit=1").Next
	for _, tc := range []struct {
		path, query string
		kind        intel.Kind
	}{
		{"api/collections/indicators/objects/", "limit=0", intel.KindInvalid},
		{"api/collections/indicators/objects/", "limit=-3", intel.KindInvalid},
		{"api/collections/indicators/objects/", "next=" + good[:len(good)-2], intel.KindInvalid},
		{"api/collections/indicators/objects/", "next=%%", intel.KindInvalid},
		{"api/collections/indicators/objects/", "added_after=2026-13-01", intel.KindInvalid},
		{"api/collections/nope/objects/", "", intel.KindNotFound},
		{"api/collections/indicators/objects", "", intel.KindNotFound},
		{"api/collections/indicators/objects/indicator--00000000-0000-4000-8000-000000000000/", "", intel.KindNotFound},
		{"other/", "", intel.KindNotFound},
	} {
		_, err := w.get(t, tc.path, tc.query)
		if intel.KindOf(err) != tc.kind || err == nil {
			t.Errorf("%s?%s: %v, want kind %d", tc.path, tc.query, err, tc.kind)
		}
	}
	r := httptest.NewRequest("GET", Prefix, nil)
	r.Header.Set("Accept", "application/stix+json")
	if _, err := w.srv.Serve(r, "", ""); intel.KindOf(err) != intel.KindNotAcceptable {
		t.Errorf("Accept application/stix+json: %v", err)
	}
	for _, accept := range []string{"application/taxii+json", "application/taxii+json;version=2.1", "*/*", "text/html, application/*;q=0.5"} {
		r.Header.Set("Accept", accept)
		if _, err := w.srv.Serve(r, "", ""); err != nil {
			t.Errorf("Accept %s: %v", accept, err)
		}
	}
}

func FuzzDecodePosition(f *testing.F) {
	f.Add(position{at: now, kind: kindAddress, key: "45.95.0.1", done: 2}.encode())
	f.Add(position{at: now, kind: kindURL, key: "a.example/x|y", done: doneAll}.encode())
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := decodePosition(tok)
		if err != nil {
			return
		}
		q, err := decodePosition(p.encode())
		if err != nil || q != p {
			t.Errorf("%q: decoded %+v, re-decoded %+v (%v)", tok, p, q, err)
		}
	})
}
