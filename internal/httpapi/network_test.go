package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// networkPage is the answer of GET /api/network.
type networkPage struct {
	Network string
	AS      *struct {
		Number        uint32
		Name, Country string
	}
	Networks []string
	Items    []struct {
		Ip, Zone, LastSeen string
		Score              *int
		Hits               int64
		Categories         []string
	}
	Next      string
	Truncated bool
}

// seedNetworkPages stores AS64500 (192.0.2.0/24 and 198.51.100.0/25) and
// addresses in both and outside: 30 in 192.0.2.0/24, one an hour apart,
// some listed as spam; 4 in 198.51.100.0/24, two of them outside the AS.
func seedNetworkPages(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	src := intel.Source{Feed: "Example", File: "f.csv", Imported: now.Add(-time.Hour)}
	b := &intel.Batch{ASRanges: []intel.ASRange{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), ASN: 64500, Description: []string{"EXAMPLE-NET", "Example Net"}, Source: src},
		{Prefix: netip.MustParsePrefix("198.51.100.0/25"), ASN: 64500, Description: []string{"EXAMPLE-NET", "Example Net"}, Source: src},
	}, Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Country: "NL", Source: src}}}
	add := func(ip string, ago time.Duration, hits int64, spam bool) {
		a := netip.MustParseAddr(ip)
		last := now.Add(-ago).Truncate(time.Second)
		b.Sightings = append(b.Sightings, intel.Sighting{IP: a, Day: last.Truncate(24*time.Hour).AddDate(0, 0, -1), Hits: hits})
		if spam {
			b.Listings = append(b.Listings, intel.Listing{IP: a, Feed: "Example", Category: intel.CatSpam, FirstSeen: last.Add(-time.Hour), LastSeen: last, Source: src})
		} else {
			b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: a, URL: "h.example/" + ip, FirstSeen: last, LastSeen: last, Hits: 1, Zone: intel.ZoneGrey})
		}
	}
	for i := range 30 {
		add(fmt.Sprintf("192.0.2.%d", i+1), time.Duration(i)*time.Hour, int64(i%4+1), i%3 == 0)
	}
	add("198.51.100.1", 90*time.Minute, 5, true)
	add("198.51.100.2", 30*time.Minute, 5, false)
	add("198.51.100.200", 10*time.Minute, 5, true)
	add("198.51.100.201", 20*time.Minute, 5, true)
	if err := e.st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.net.Refresh(ctx, e.st, true); err != nil {
		t.Fatal(err)
	}
}

// getNetwork asks for one page.
func getNetwork(t *testing.T, e *env, request string, count int, after string) networkPage {
	t.Helper()
	target := "/api/network?request=" + url.QueryEscape(request) + fmt.Sprintf("&count=%d", count)
	if after != "" {
		target += "&after=" + after
	}
	w := e.do(t, http.MethodGet, target, "alice")
	if w.Code != http.StatusOK {
		t.Fatalf("%s: status %d, body %s", target, w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", target, ct)
	}
	var p networkPage
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("%s: %v\n%s", target, err, w.Body)
	}
	return p
}

// TestNetworkPages pages through a network and an AS on every backend:
// every address once, newest first, each with its own lookup's zone and
// score; the AS is named; pages are counted like lookups, one each.
func TestNetworkPages(t *testing.T) {
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedNetworkPages(t, e)
			tests := []struct {
				request string
				want    int // addresses
				network string
				first   string // the newest
			}{
				{"192.0.2.0/24", 30, "192.0.2.0/24", "192.0.2.1"},
				{"192.0.2.5/24", 30, "192.0.2.0/24", "192.0.2.1"},
				{"192.0.2.16/28", 15, "192.0.2.16/28", "192.0.2.16"},
				{"198.51.100.0/24", 4, "198.51.100.0/24", "198.51.100.200"},
				{"198.51.100.1", 1, "198.51.100.1/32", "198.51.100.1"},
				{"AS64500", 32, "", "192.0.2.1"},
				{"64500", 32, "", "192.0.2.1"},
				{"as64500", 32, "", "192.0.2.1"},
			}
			for _, tt := range tests {
				for _, count := range []int{1, 7, 100} {
					var all []string
					seen := map[string]bool{}
					after := ""
					var last time.Time
					for pages := 0; ; pages++ {
						if pages > 100 {
							t.Fatalf("%s by %d: paging never ends", tt.request, count)
						}
						p := getNetwork(t, e, tt.request, count, after)
						if p.Network != tt.network {
							t.Errorf("%s: Network %q, want %q", tt.request, p.Network, tt.network)
						}
						if len(p.Items) > count {
							t.Fatalf("%s by %d: %d items", tt.request, count, len(p.Items))
						}
						for _, it := range p.Items {
							if seen[it.Ip] {
								t.Errorf("%s by %d: %s twice", tt.request, count, it.Ip)
							}
							seen[it.Ip] = true
							ls, err := time.Parse(time.RFC3339, it.LastSeen)
							if err != nil || (!last.IsZero() && ls.After(last)) {
								t.Errorf("%s by %d: %s last seen %s after %s", tt.request, count, it.Ip, it.LastSeen, last)
							}
							last = ls
							all = append(all, it.Ip)
						}
						if p.Next == "" {
							break
						}
						after = p.Next
					}
					if len(all) != tt.want || (len(all) > 0 && all[0] != tt.first) {
						t.Errorf("%s by %d: got %d addresses starting %v, want %d starting %s", tt.request, count, len(all), all[:min(1, len(all))], tt.want, tt.first)
					}
				}
			}
			// The AS page names the AS, its ranges, its country.
			p := getNetwork(t, e, "AS64500", 100, "")
			if p.AS == nil || p.AS.Number != 64500 || p.AS.Name != "EXAMPLE-NET · Example Net" || p.AS.Country != "NL" {
				t.Errorf("AS: got %+v", p.AS)
			}
			if fmt.Sprint(p.Networks) != "[192.0.2.0/24 198.51.100.0/25]" || p.Truncated {
				t.Errorf("AS networks: got %v, truncated %v", p.Networks, p.Truncated)
			}
			// A network inside an AS range names it; one wider does not.
			if p := getNetwork(t, e, "192.0.2.0/25", 1, ""); p.AS == nil || p.AS.Number != 64500 {
				t.Errorf("192.0.2.0/25: AS %+v, want AS64500", p.AS)
			}
			if p := getNetwork(t, e, "192.0.0.0/16", 1, ""); p.AS != nil {
				t.Errorf("192.0.0.0/16: AS %+v, want none", p.AS)
			}
			// Each item's zone and score are those of its lookup.
			for _, it := range p.Items {
				w := e.do(t, http.MethodGet, "/api/ip/"+it.Ip+"?sections=Zone,IpGeneralInfo", "alice")
				var l struct {
					Zone          string
					IpGeneralInfo struct{ ThreatScore int }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil || w.Code != 200 {
					t.Fatalf("%s: %d %s", it.Ip, w.Code, w.Body)
				}
				if it.Zone != l.Zone || it.Score == nil || *it.Score != l.IpGeneralInfo.ThreatScore {
					t.Errorf("%s: zone %s score %v, want %s %d (its lookup's)", it.Ip, it.Zone, it.Score, l.Zone, l.IpGeneralInfo.ThreatScore)
				}
			}
			// One count per page.
			before, _ := e.st.RequestCount(context.Background(), "alice", store.Day(now))
			getNetwork(t, e, "192.0.2.0/24", 5, "")
			after, _ := e.st.RequestCount(context.Background(), "alice", store.Day(now))
			if after != before+1 {
				t.Errorf("a page counted %d requests, want 1", after-before)
			}
		})
	}
}

// TestNetworkRefusals: bad requests are 400 JSON, never 5xx; an unknown AS
// is 404; credentials and quota as for a lookup; held addresses are left
// out.
func TestNetworkRefusals(t *testing.T) {
	e := newEnv(t, options{})
	seedNetworkPages(t, e)
	for _, tt := range []struct {
		query  string
		status int
		msg    string
	}{
		{"", 400, "names no network"},
		{"request=", 400, "names no network"},
		{"request=10.0.0.0/7", 400, "network 10.0.0.0/7 is wider than /8; ask for a narrower one"},
		{"request=2001::/16", 400, "wider than /24"},
		{"request=AS", 400, "neither"},
		{"request=AS99999999999", 400, "not an AS number"},
		{"request=bogus", 400, "neither"},
		{"request=fe80::1%25eth0", 400, "neither"},
		{"request=192.0.2.0/24&count=0", 400, "count must be"},
		{"request=192.0.2.0/24&count=501", 400, "count must be"},
		{"request=192.0.2.0/24&count=x", 400, "count must be"},
		{"request=192.0.2.0/24&after=%%%", 400, "encoded"},
		{"request=192.0.2.0/24&after=bm9wZQ", 400, "not a cursor"},
		{"request=192.0.2.0/24&request=198.51.100.0/24", 400, "given 2 times"},
		{"request=192.0.2.0/24&sort=zone", 400, "unknown parameter"},
		{"request=AS64501", 404, "no network data names AS64501"},
	} {
		w := e.do(t, http.MethodGet, "/api/network?"+tt.query, "alice")
		if w.Code != tt.status {
			t.Errorf("%q: status %d, want %d; body %s", tt.query, w.Code, tt.status, w.Body)
			continue
		}
		_, msg := errorOf(t, w)
		if !contains(msg, tt.msg) {
			t.Errorf("%q: message %q, want it to hold %q", tt.query, msg, tt.msg)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/network?request=192.0.2.0/24", ""); w.Code != 401 {
		t.Errorf("no credentials: status %d, want 401", w.Code)
	}
	if w := e.do(t, http.MethodPost, "/api/network?request=192.0.2.0/24", "alice"); w.Code != 405 {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
	// A held address is left out.
	if err := e.st.PutHold(context.Background(), intel.Hold{Ref: "hold-1", Prefix: netip.MustParsePrefix("192.0.2.1/32"), Reason: "court order", Created: now}); err != nil {
		t.Fatal(err)
	}
	p := getNetwork(t, e, "192.0.2.0/24", 100, "")
	if len(p.Items) != 29 || p.Items[0].Ip != "192.0.2.2" {
		t.Errorf("with a hold: %d items starting %s, want 29 starting 192.0.2.2", len(p.Items), p.Items[0].Ip)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
