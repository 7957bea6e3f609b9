package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// records makes random records of every kind of address evidence over a
// small key space, so that batches touch the same keys again.
type records struct {
	rng                        *rand.Rand
	urls, md5s, domains, masks int
	src                        intel.Source
}

var (
	testZones = []intel.Zone{"", intel.ZoneGreen, intel.ZoneGrey, intel.ZoneYellow, intel.ZoneOrange, intel.ZoneRed}
	testCats  = []intel.Category{intel.CatMalware, intel.CatPhishing, intel.CatBotnetCNC}
)

// add adds one record of kind (0-4: the list kinds and DomainInfo, 5-8:
// sightings, listings, spam and phishing events) about ip to b.
func (r *records) add(b *intel.Batch, ip netip.Addr, kind int) {
	rng, src := r.rng, r.src
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func() time.Time { return base.Add(time.Duration(rng.IntN(40)) * 24 * time.Hour) }
	last := day()
	first := last.Add(-time.Duration(rng.IntN(5)) * 24 * time.Hour)
	hits := int64(rng.IntN(6))
	zone := func() intel.Zone { return testZones[rng.IntN(len(testZones))] }
	cat := func() intel.Category { return testCats[rng.IntN(len(testCats))] }
	switch kind {
	case 0:
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("http://h%d.example/", rng.IntN(r.urls)),
			Zone: zone(), Hits: hits, FirstSeen: first, LastSeen: last, Source: src})
	case 1:
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032x", rng.IntN(r.md5s)), URL: fmt.Sprintf("http://f%d.example/x", rng.IntN(3)),
			Zone: zone(), Hits: hits, FirstSeen: first, LastSeen: last, Source: src})
	case 2:
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("d%d.example", rng.IntN(r.domains)),
			Hits: hits, FirstSeen: first, LastSeen: last, DailyPeak: hits, PeakDate: last, Source: src})
	case 3:
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("m%d", rng.IntN(r.masks)), MaskType: "ip",
			Zone: zone(), Feeds: []string{fmt.Sprint("feed", rng.IntN(3))}, LastSeen: last, Source: src})
	case 4:
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: fmt.Sprintf("d%d.example", rng.IntN(r.domains)),
			Zone: zone(), Categories: []intel.Category{cat()}, Source: src})
	case 5:
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: day(), Hits: hits + 1})
	case 6:
		b.Listings = append(b.Listings, intel.Listing{IP: ip, Feed: fmt.Sprint("feed", rng.IntN(3)), Category: cat(),
			FirstSeen: first, LastSeen: last, Source: src})
	case 7:
		b.SpamEvents = append(b.SpamEvents, intel.SpamEvent{IP: ip, ID: fmt.Sprint("s", rng.IntN(50)), Time: last, Type: "botnet", Source: src})
	case 8:
		b.PhishingEvents = append(b.PhishingEvents, intel.PhishingEvent{IP: ip, ID: fmt.Sprint("p", rng.IntN(50)), Time: last,
			Region: "DE", Kit: "kit", Source: src})
	}
}

// dump reads every key of the store, with the change stamps (which depend
// on the clock) taken out: summaries and FileHashes values are compared
// without their stamp and the change log is left out.
func dump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		switch {
		case k[0] == tChange || bytes.Equal(k, keyStamp):
			continue
		case k[0] == tAddr:
			var sum addrSum
			if err := decAddrSum(&dec{s: string(v)}, &sum); err != nil {
				t.Fatal(err)
			}
			sum.changed = time.Time{}
			v = encAddrSum(nil, &sum)
		case k[0] == tURL:
			var u urlSum
			if err := decURLSum(&dec{s: string(v)}, &u); err != nil {
				t.Fatal(err)
			}
			u.changed = time.Time{}
			v = encURLSum(nil, &u)
		case k[0] == tObject || k[0] == tHashes:
			v = valueContent(v, true)
		}
		out[string(k)] = string(v)
	}
	return out
}

// Batches applied with ApplyAsync, each merged while the one before it
// commits, leave the store exactly as the same batches applied one at a
// time.
func TestPipelineSameAsSequential(t *testing.T) {
	ctx := context.Background()
	open := func() *Store {
		s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	piped, seq := open(), open()
	var ips []netip.Addr
	for i := range 6 {
		ips = append(ips, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)}))
	}
	rng := rand.New(rand.NewPCG(7, 8))
	r := &records{rng: rng, urls: 60, md5s: 30, domains: 40, masks: 40}
	var batches []*intel.Batch
	for round := range 80 {
		var b intel.Batch
		r.src = intel.Source{Feed: "test", File: fmt.Sprint("f", round)}
		for range rng.IntN(300) + 1 {
			r.add(&b, ips[rng.IntN(len(ips))], rng.IntN(9))
		}
		b.AddObjects()
		or := &objectRecords{rng: rng, src: r.src}
		for range rng.IntN(50) {
			or.add(&b, rng.IntN(8))
		}
		batches = append(batches, &b)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(batches))
	for i, b := range batches {
		wg.Add(1)
		if err := piped.ApplyAsync(ctx, b, func(err error) { errs[i] = err; wg.Done() }); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if i == 40 {
			if err := piped.Flush(); err != nil { // the rest reads sstables too
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, b := range batches {
		if i == 40 {
			if err := seq.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if err := seq.Apply(ctx, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	if piped.layered < len(batches)/4 {
		t.Fatalf("%d of %d batches merged while the one before committed; the test wants most", piped.layered, len(batches))
	}
	got, want := dump(t, piped), dump(t, seq)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("key %q: pipelined %x, sequential %x", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("key %q only in the pipelined store", k)
		}
	}
	if len(want) < 1000 {
		t.Errorf("%d keys: the test wants a larger store", len(want))
	}
	var links, objects int
	for k := range want {
		switch {
		case k[0] == tIndex && k[1] == lLinks:
			links++
		case k[0] == tObject:
			objects++
		}
	}
	if links < 100 || objects < 50 {
		t.Errorf("%d link items, %d object summaries: the test wants more", links, objects)
	}
}

// A batch whose commit fails fails the batch merged on top of it, and
// neither reaches the store; the next batch applies as usual.
func TestPipelineFailurePropagates(t *testing.T) {
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip1, ip2 := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	gate := make(chan struct{})
	s.beforeCommit = func() { <-gate }
	ctx1, cancel1 := context.WithCancel(context.Background())
	results := make(chan error, 2)
	b1 := &intel.Batch{Sightings: []intel.Sighting{{IP: ip1, Day: day, Hits: 5}}}
	if err := s.ApplyAsync(ctx1, b1, func(err error) { results <- err }); err != nil {
		t.Fatal(err)
	}
	// Merged on top of b1: it reads b1's sighting of ip1.
	b2 := &intel.Batch{Sightings: []intel.Sighting{{IP: ip1, Day: day.AddDate(0, 0, 1), Hits: 7}, {IP: ip2, Day: day, Hits: 1}}}
	if err := s.ApplyAsync(context.Background(), b2, func(err error) { results <- err }); err != nil {
		t.Fatal(err)
	}
	if s.layered != 1 {
		t.Fatalf("layered = %d, want 1", s.layered)
	}
	cancel1()
	close(gate)
	if err := <-results; !errors.Is(err, context.Canceled) {
		t.Fatalf("first batch: %v, want context.Canceled", err)
	}
	if err := <-results; err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("second batch: %v, want the first batch's failure", err)
	}
	s.beforeCommit = nil
	for _, ip := range []netip.Addr{ip1, ip2} {
		a, err := s.Address(context.Background(), ip)
		if err != nil {
			t.Fatal(err)
		}
		if a.Hits != 0 {
			t.Fatalf("%s: hits %d after failed batches, want 0", ip, a.Hits)
		}
	}
	if err := s.Apply(context.Background(), &intel.Batch{Sightings: []intel.Sighting{{IP: ip1, Day: day, Hits: 2}}}); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Address(context.Background(), ip1); err != nil || a.Hits != 2 {
		t.Fatalf("after a good batch: %v hits, %v; want 2", a.Hits, err)
	}
}
