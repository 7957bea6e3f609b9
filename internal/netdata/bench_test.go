package netdata

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

const benchPrefixes = 1_000_000

// syntheticRecords returns n network records of every kind: random IPv4
// /16-/24 prefixes and one in ten IPv6 /32-/48 prefixes in 2000::/3.
// Descriptions, sources and contacts repeat as they do in real dumps.
func syntheticRecords(n int) []store.NetRecord {
	rng := rand.New(rand.NewPCG(1, 2))
	countries := []string{"US", "DE", "NL", "FR", "GB", "JP", "BR", "IN", "CN", "RU", "IE", "SE"}
	src := intel.Source{Feed: "synthetic", File: "synthetic.tsv"}
	recs := make([]store.NetRecord, 0, n)
	for i := range n {
		var p netip.Prefix
		if i%10 == 9 {
			var a [16]byte
			a[0] = 0x20 | byte(rng.IntN(0x20))
			for j := 1; j < 6; j++ {
				a[j] = byte(rng.Uint32())
			}
			p = netip.PrefixFrom(netip.AddrFrom16(a), 32+rng.IntN(17)).Masked()
		} else {
			v := rng.Uint32()
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 16+rng.IntN(9)).Masked()
		}
		org := rng.IntN(5000)
		switch r := rng.IntN(100); {
		case r < 45:
			recs = append(recs, store.NetRecord{Country: &intel.CountryRange{Prefix: p, Country: countries[org%len(countries)], Source: src}})
		case r < 80:
			recs = append(recs, store.NetRecord{AS: &intel.ASRange{Prefix: p, ASN: 64512 + uint32(org), Description: []string{"AS-" + strconv.Itoa(org)}, Source: src}})
		case r < 96:
			first, last := prefixRange(p)
			recs = append(recs, store.NetRecord{Whois: &intel.WhoisNet{
				Prefix: p, Type: "inetnum", Start: first, End: last, Name: "NET-" + strconv.Itoa(i),
				Description: "Example network " + strconv.Itoa(org), Country: countries[org%len(countries)],
				Contacts: []intel.Contact{{Name: "Org " + strconv.Itoa(org), Role: "owner", Type: "organisation", Address: []string{"Street 1", "City"}, Email: "noc@org" + strconv.Itoa(org) + ".example"}},
				Source:   src,
			}})
		case r < 99:
			recs = append(recs, store.NetRecord{NetListing: &intel.NetListing{Prefix: p, Category: intel.CatScanner, Zone: intel.ZoneOrange, Feed: "feed-" + strconv.Itoa(org%20), Source: src}})
		default:
			recs = append(recs, store.NetRecord{Allow: &intel.Allow{Prefix: p, List: "list-" + strconv.Itoa(org%10), Source: src}})
		}
	}
	return recs
}

func randomAddrs(n int, v6 bool) []netip.Addr {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]netip.Addr, n)
	for i := range out {
		if v6 {
			var a [16]byte
			a[0] = 0x20 | byte(rng.IntN(0x20))
			for j := 1; j < 16; j++ {
				a[j] = byte(rng.Uint32())
			}
			out[i] = netip.AddrFrom16(a)
			continue
		}
		v := rng.Uint32()
		out[i] = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	return out
}

func BenchmarkReserved(b *testing.B) {
	addrs := append(randomAddrs(512, false), randomAddrs(512, true)...)
	addrs = append(addrs, netip.MustParseAddr("192.0.0.9"), netip.MustParseAddr("2001:1::1"))
	i := 0
	for b.Loop() {
		Reserved(addrs[i%len(addrs)])
		i++
	}
}

func BenchmarkLookup(b *testing.B) {
	s := FromRecords(1, syntheticRecords(benchPrefixes))
	b.Logf("snapshot of %d records: %+v", benchPrefixes, s.Stats())
	// Random addresses over the whole space miss the CPU caches on nearly
	// every lookup (cold); the same 64 addresses stay cached (warm).
	for _, bc := range []struct {
		name string
		v6   bool
		n    int
	}{{"v4-cold", false, 1 << 16}, {"v6-cold", true, 1 << 16}, {"v4-warm", false, 64}} {
		addrs := randomAddrs(bc.n, bc.v6)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.Lookup(addrs[i&(len(addrs)-1)])
				i++
			}
		})
	}
}

// BenchmarkBuild builds a snapshot of benchPrefixes records from a store and
// reports the heap the snapshot keeps (heap-B/record, heap-MB).
func BenchmarkBuild(b *testing.B) {
	st := &fakeStore{}
	st.set(1, syntheticRecords(benchPrefixes))
	ctx := context.Background()
	var keep *Snapshot
	for b.Loop() {
		s, err := Build(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		keep = s
	}
	b.StopTimer()

	// The heap the snapshot keeps once the store's records are gone,
	// strings included.
	st.set(0, nil)
	with := heapInUse()
	runtime.KeepAlive(keep)
	without := heapInUse()
	retained := float64(int64(with) - int64(without))
	b.ReportMetric(retained/benchPrefixes, "heap-B/record")
	b.ReportMetric(retained/(1<<20), "heap-MB")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
