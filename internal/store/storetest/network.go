package storetest

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// netModel is what the network tests stored: each address's LastSeen and
// hits, from which the pages are computed.
type netModel map[netip.Addr]store.NetworkItem

// add stores one address seen at last with hits: a sighting of hits a
// day before, and a listing last seen at last.
func (m netModel) add(b *intel.Batch, ip netip.Addr, last time.Time, hits int64) {
	d := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	if hits > 0 {
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: d, Hits: hits})
	}
	b.Listings = append(b.Listings, intel.Listing{IP: ip, Feed: "F", Category: intel.CatSpam,
		FirstSeen: d, LastSeen: last, Source: src("F", 1)})
	it := m[ip]
	it.IP, it.LastSeen, it.Hits = ip, intel.MaxTime(it.LastSeen, last), it.Hits+hits
	m[ip] = it
}

// want lists the model's addresses inside nets, in the order of
// NetworkAddresses.
func (m netModel) want(nets ...netip.Prefix) []store.NetworkItem {
	var out []store.NetworkItem
	for ip, it := range m {
		for _, p := range nets {
			if p.Contains(ip) {
				out = append(out, it)
				break
			}
		}
	}
	slices.SortFunc(out, store.CompareNetworkItems)
	return out
}

// pageAll pages through nets with pages of size, checking that every page
// holds at most size items, and returns every item.
func pageAll(t *testing.T, na store.NetworkAddresses, size int, nets ...netip.Prefix) []store.NetworkItem {
	t.Helper()
	var all []store.NetworkItem
	q := store.NetworkQuery{Networks: nets, Limit: size}
	for range 10000 {
		p, err := na.NetworkAddresses(t.Context(), q)
		if err != nil {
			t.Fatalf("NetworkAddresses(%v, after %v, %d): %v", nets, q.After, size, err)
		}
		if len(p.Items) > size {
			t.Fatalf("a page of %d holds %d items", size, len(p.Items))
		}
		all = append(all, p.Items...)
		if p.Next.IsZero() {
			return all
		}
		if !q.After.IsZero() && store.CompareNetworkItems(p.Next, q.After) <= 0 {
			t.Fatalf("the cursor went back: after %v, next %v", q.After, p.Next)
		}
		q.After = p.Next
	}
	t.Fatalf("paging %v by %d never ends", nets, size)
	return nil
}

func checkNetItems(t *testing.T, what string, got, want []store.NetworkItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d addresses, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.IP != w.IP || !g.LastSeen.Equal(w.LastSeen) || g.Hits != w.Hits {
			t.Errorf("%s: item %d: got %v %s %d, want %v %s %d", what, i,
				g.IP, g.LastSeen.Format(time.RFC3339), g.Hits, w.IP, w.LastSeen.Format(time.RFC3339), w.Hits)
			return
		}
	}
}

func networkAddresses(t *testing.T, s store.Store) store.NetworkAddresses {
	t.Helper()
	na, ok := s.(store.NetworkAddresses)
	if !ok {
		t.Fatal("the backend does not list the addresses of a network (store.NetworkAddresses)")
	}
	return na
}

// testNetworkAddresses: the addresses of a network, newest first, paged
// without repeats, for one /24 and narrower, a /16 and networks between,
// IPv6, several networks at once (an AS's ranges); wide networks are
// refused and an address whose LastSeen or hits change moves.
func testNetworkAddresses(t *testing.T, f Factory) {
	s := open(t, f)
	na := networkAddresses(t, s)
	m := netModel{}
	base := at(2025, 6, 1, 0, 0)
	var b intel.Batch
	// 192.0.2.0/24 whole and 44 addresses of 192.0.3.0/24: 300, with
	// many ties of LastSeen (50 values) and of hits (3 values).
	for i := range 300 {
		ip := netip.AddrFrom4([4]byte{192, 0, 2 + byte(i/256), byte(i)})
		m.add(&b, ip, base.Add(time.Duration(i*7919%50)*time.Hour+time.Duration(i%2)*time.Second), int64(i%3))
	}
	// A /16 across several /24s, and /16s of a /12.
	for i, a := range []string{"198.51.100.7", "198.51.100.200", "198.51.7.1", "198.51.250.9", "198.51.0.0", "198.51.255.255",
		"198.48.1.1", "198.63.255.1", "198.64.0.1", "198.50.3.3"} {
		m.add(&b, netip.MustParseAddr(a), base.Add(time.Duration(i)*time.Minute), int64(i))
	}
	// IPv6: several /48s of 2001:db8::/32, and one of another /32.
	for i, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8:0:1::5", "2001:db8:0:ff00::1", "2001:db8:1::1",
		"2001:db8:ff::9", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::1", "2001:db8:100::1"} {
		m.add(&b, netip.MustParseAddr(a), base.Add(-time.Duration(i)*time.Minute), 1)
	}
	apply(t, s, &b)

	p := netip.MustParsePrefix
	groups := []struct {
		name string
		nets []netip.Prefix
	}{
		{"one /24", []netip.Prefix{p("192.0.2.0/24")}},
		{"a /25 of it", []netip.Prefix{p("192.0.2.128/25")}},
		{"one address", []netip.Prefix{p("192.0.2.77/32")}},
		{"a /23 across two /24s", []netip.Prefix{p("192.0.2.0/23")}},
		{"a /16", []netip.Prefix{p("198.51.0.0/16")}},
		{"a /20", []netip.Prefix{p("198.51.96.0/20")}},
		{"a /12 across /16s", []netip.Prefix{p("198.48.0.0/12")}},
		{"a /8", []netip.Prefix{p("198.0.0.0/8")}},
		{"an empty /24", []netip.Prefix{p("203.0.113.0/24")}},
		{"IPv6 /32", []netip.Prefix{p("2001:db8::/32")}},
		{"IPv6 /48", []netip.Prefix{p("2001:db8::/48")}},
		{"IPv6 /64", []netip.Prefix{p("2001:db8::/64")}},
		{"IPv6 /36 inside a /32", []netip.Prefix{p("2001:db8::/36")}},
		{"IPv6 /40 across /48s", []netip.Prefix{p("2001:db8::/40")}},
		{"IPv6 /28 across /32s", []netip.Prefix{p("2001:db0::/28")}},
		{"several networks, one inside another", []netip.Prefix{p("192.0.2.0/25"), p("198.51.100.0/24"), p("192.0.2.64/26"), p("2001:db8:1::/48"), p("192.0.3.0/24")}},
	}
	for _, g := range groups {
		want := m.want(g.nets...)
		for _, size := range []int{1, 7, 100, 1000} {
			t.Run(fmt.Sprintf("%s/by %d", g.name, size), func(t *testing.T) {
				checkNetItems(t, fmt.Sprint(g.nets), pageAll(t, na, size, g.nets...), want)
			})
		}
	}
	if n := len(m.want(p("192.0.2.0/23"))); n != 300 {
		t.Fatalf("the fixture has %d addresses in 192.0.2.0/23, want 300", n)
	}

	t.Run("refused", func(t *testing.T) {
		for _, q := range []store.NetworkQuery{
			{Networks: []netip.Prefix{p("192.0.0.0/7")}, Limit: 10},
			{Networks: []netip.Prefix{p("2001::/16")}, Limit: 10},
			{Networks: []netip.Prefix{p("192.0.2.0/24")}, Limit: 0},
			{Networks: []netip.Prefix{p("192.0.2.0/24")}, Limit: store.MaxNetworkLimit + 1},
			{Limit: 10},
		} {
			_, err := na.NetworkAddresses(t.Context(), q)
			if intel.KindOf(err) != intel.KindInvalid {
				t.Errorf("NetworkAddresses(%v, limit %d): got %v, want an invalid-request error", q.Networks, q.Limit, err)
			}
		}
	})

	t.Run("truncated", func(t *testing.T) {
		// 17 /8s have 17*256 buckets of /16: the last one is left out.
		var nets []netip.Prefix
		for i := range 17 {
			nets = append(nets, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(100 + i), 0, 0, 0}), 8))
		}
		var b intel.Batch
		mm := netModel{}
		first, last := netip.MustParseAddr("100.1.2.3"), netip.MustParseAddr("116.1.2.3")
		mm.add(&b, first, base, 1)
		mm.add(&b, last, base.Add(time.Hour), 1)
		apply(t, s, &b)
		pg, err := na.NetworkAddresses(t.Context(), store.NetworkQuery{Networks: nets, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !pg.Truncated {
			t.Errorf("Truncated: got false, want true")
		}
		checkNetItems(t, "17 /8s", pg.Items, mm.want(netip.PrefixFrom(first, 32)))
		pg, err = na.NetworkAddresses(t.Context(), store.NetworkQuery{Networks: nets[:16], Limit: 10})
		if err != nil || pg.Truncated {
			t.Errorf("16 /8s: got truncated %v, %v, want false, nil", pg.Truncated, err)
		}
	})

	t.Run("moves", func(t *testing.T) {
		net := []netip.Prefix{p("192.0.2.0/24")}
		want := m.want(net...)
		// The oldest address becomes the newest; the second oldest gains
		// hits and passes those seen at the same time.
		oldest, second := want[len(want)-1], want[len(want)-2]
		var b intel.Batch
		m.add(&b, oldest.IP, base.AddDate(0, 1, 0), 0)
		b.Sightings = append(b.Sightings, intel.Sighting{IP: second.IP, Day: base.AddDate(0, 0, -10), Hits: 1000})
		second.Hits += 1000
		m[second.IP] = second
		apply(t, s, &b)
		want = m.want(net...)
		if want[0].IP != oldest.IP {
			t.Fatalf("the model: got %v first, want %v", want[0].IP, oldest.IP)
		}
		for _, size := range []int{1, 7, 100} {
			checkNetItems(t, fmt.Sprintf("after the moves, by %d", size), pageAll(t, na, size, net...), want)
		}
		// Re-applying changes nothing.
		apply(t, s, &b)
		checkNetItems(t, "after re-applying", pageAll(t, na, 100, net...), want)
	})
}
