package pebble

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The store with one address holding a million hosted URLs is built once
// per test binary run, on first use, and removed by TestMain.
var bigStore struct {
	once sync.Once
	dir  string
	s    *Store
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigStore.s != nil {
		_ = bigStore.s.Close()
	}
	if bigStore.dir != "" {
		_ = os.RemoveAll(bigStore.dir)
	}
	os.Exit(code)
}

var (
	benchBigIP   = netip.MustParseAddr("45.95.147.10")
	benchSmallIP = netip.MustParseAddr("2a03:b0c0:3:d0::1a2b:1")
	benchDay     = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

const bigURLs = 1_000_000

func benchHosted(ip netip.Addr, i int) intel.HostedURL {
	return intel.HostedURL{
		IP: ip, URL: fmt.Sprintf("%s/payloads/%07d/x86.bin", ip, i),
		Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware},
		Hits: int64(i % 97), FirstSeen: benchDay.Add(time.Duration(i) * time.Second),
		LastSeen: benchDay.Add(time.Duration(i) * time.Minute),
		Source:   intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: benchDay},
	}
}

func openBig(b *testing.B) *Store {
	bigStore.once.Do(func() {
		dir, err := os.MkdirTemp("", "tipd-pebble-bench-")
		if err != nil {
			bigStore.err = err
			return
		}
		bigStore.dir = dir
		s, err := Open(dir, Options{})
		if err != nil {
			bigStore.err = err
			return
		}
		bigStore.s = s
		start := time.Now()
		var batch intel.Batch
		for i := 0; i < bigURLs; i++ {
			batch.HostedURLs = append(batch.HostedURLs, benchHosted(benchBigIP, i))
			if len(batch.HostedURLs) == 10_000 || i == bigURLs-1 {
				if err := s.Apply(context.Background(), &batch); err != nil {
					bigStore.err = err
					return
				}
				batch.Reset()
			}
		}
		for i := 0; i < 10; i++ {
			batch.HostedURLs = append(batch.HostedURLs, benchHosted(benchSmallIP, i))
		}
		bigStore.err = s.Apply(context.Background(), &batch)
		fmt.Fprintf(os.Stderr, "built %d hosted URLs on one address in %v\n", bigURLs, time.Since(start).Round(time.Millisecond))
	})
	if bigStore.err != nil {
		b.Fatal(bigStore.err)
	}
	return bigStore.s
}

// BenchmarkHostedURLs reads the newest 10 hosted URLs of an address with a
// million of them and of one with ten.
func BenchmarkHostedURLs(b *testing.B) {
	s := openBig(b)
	for _, bc := range []struct {
		name string
		ip   netip.Addr
	}{{"1M", benchBigIP}, {"10", benchSmallIP}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				l, err := s.HostedURLs(ctx, bc.ip, 10)
				if err != nil || len(l) != 10 {
					b.Fatalf("got %d, %v", len(l), err)
				}
			}
		})
	}
}

// mixedBenchBatch is a realistic import batch of 10,000 records over 2,000
// addresses; n shifts the keys so that every call yields new records.
func mixedBenchBatch(n int) *intel.Batch {
	var b intel.Batch
	src := intel.Source{Feed: "Feed", File: "feed.csv", Imported: benchDay}
	addr := func(i int) netip.Addr {
		k := n*2000 + i
		if i%4 == 3 {
			return netip.AddrFrom16([16]byte{0x2a, 0x03, 0xb0, 0xc0, 12: byte(k >> 24), 13: byte(k >> 16), 14: byte(k >> 8), 15: byte(k)})
		}
		return netip.AddrFrom4([4]byte{byte(45 + k>>24), byte(k >> 16), byte(k >> 8), byte(k)})
	}
	day := benchDay.AddDate(0, 0, n%365)
	for i := 0; i < 2000; i++ {
		b.Sightings = append(b.Sightings, intel.Sighting{IP: addr(i), Day: day, Hits: int64(i)})
	}
	for i := 0; i < 1000; i++ {
		b.Listings = append(b.Listings, intel.Listing{IP: addr(i), Category: intel.CatScanner, Feed: "Scanners", FirstSeen: day, LastSeen: day, Source: src})
	}
	for i := 0; i < 3000; i++ {
		h := benchHosted(addr(i%2000), n*3000+i)
		b.HostedURLs = append(b.HostedURLs, h)
	}
	for i := 0; i < 1500; i++ {
		b.Files = append(b.Files, intel.FileDownload{IP: addr(i), MD5: fmt.Sprintf("%032X", n*1500+i), URL: fmt.Sprintf("http://%s/dl/%d", addr(i), i),
			Zone: intel.ZoneRed, DetectionName: "HEUR:Trojan.Linux.Mirai.b", Hits: 3, FirstSeen: day, LastSeen: day, Source: src})
	}
	for i := 0; i < 1500; i++ {
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: addr(i), Domain: fmt.Sprintf("host-%d-%d.example", n, i), Hits: 20, DailyPeak: 4, PeakDate: day,
			FirstSeen: day, LastSeen: day, Source: src})
	}
	for i := 0; i < 500; i++ {
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: fmt.Sprintf("host-%d-%d.example", n, i), Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatSpam}, Source: src})
	}
	for i := 0; i < 300; i++ {
		b.Masks = append(b.Masks, intel.FeedMask{IP: addr(i), Mask: addr(i).String(), MaskType: intel.MaskHost, Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}, LastSeen: day, Source: src})
	}
	for i := 0; i < 100; i++ {
		b.SpamEvents = append(b.SpamEvents, intel.SpamEvent{IP: addr(i), ID: fmt.Sprintf("s-%d-%d", n, i), Time: day, Type: "Malware", Source: src})
		b.PhishingEvents = append(b.PhishingEvents, intel.PhishingEvent{IP: addr(i), ID: fmt.Sprintf("p-%d-%d", n, i), Time: day, Region: "DE", Kit: "16shop",
			StolenData: []string{"Credentials"}, Industry: "Banking", Organization: "Bank", Source: src})
	}
	return &b
}

// BenchmarkApply applies batches of 10,000 new records of every kind;
// objects/ with the object records the importer derives from them.
func BenchmarkApply(b *testing.B) {
	b.Run("addresses", func(b *testing.B) { benchApply(b, false) })
	b.Run("objects", func(b *testing.B) { benchApply(b, true) })
}

func benchApply(b *testing.B, objects bool) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	records := 0
	n := 0
	for b.Loop() {
		b.StopTimer()
		batch := mixedBenchBatch(n)
		if objects {
			batch.AddObjects()
		}
		n++
		b.StartTimer()
		if err := s.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
		records += batch.Len()
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// reportStore holds one address with 1,000 items in each list section, a
// DomainInfo for every resolved domain, and a full summary.
func reportStore(b *testing.B) (*Store, netip.Addr) { return reportStoreFlushed(b, true) }

// reportStoreFlushed is reportStore, flushed to sstables or not.
func reportStoreFlushed(b *testing.B, flush bool) (*Store, netip.Addr) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ip := netip.MustParseAddr("91.92.109.43")
	var batch intel.Batch
	src := intel.Source{Feed: "Feed", File: "feed.csv", Imported: benchDay}
	for i := 0; i < 1000; i++ {
		t := benchDay.Add(time.Duration(i) * time.Hour)
		batch.HostedURLs = append(batch.HostedURLs, benchHosted(ip, i))
		batch.Files = append(batch.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", i), URL: fmt.Sprintf("http://91.92.109.43/dl/%d", i),
			Zone: intel.ZoneRed, DetectionName: "HEUR:Trojan.Linux.Mirai.b", Hits: int64(i), FirstSeen: t, LastSeen: t, Source: src})
		d := fmt.Sprintf("cdn-%04d.bad.example", i)
		batch.Resolutions = append(batch.Resolutions, intel.Resolution{IP: ip, Domain: d, Hits: int64(i), DailyPeak: 4, PeakDate: benchDay, FirstSeen: t, LastSeen: t, Source: src})
		batch.Domains = append(batch.Domains, intel.DomainInfo{Domain: d, Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware, intel.CatBotnetCNC}})
		batch.Sightings = append(batch.Sightings, intel.Sighting{IP: ip, Day: benchDay.AddDate(0, 0, i), Hits: 100})
	}
	for i := 0; i < 20; i++ {
		batch.Masks = append(batch.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("bad-%02d.example", i), MaskType: intel.MaskHost, Zone: intel.ZoneRed,
			Feeds: []string{"Malicious URL Feed"}, LastSeen: benchDay.AddDate(0, 0, i), Source: src})
	}
	for i := 0; i < 8; i++ {
		batch.Listings = append(batch.Listings, intel.Listing{IP: ip, Category: intel.CatBotnetCNC, Feed: fmt.Sprintf("Feed %d", i), FirstSeen: benchDay, LastSeen: benchDay, Source: src})
		batch.ReportLinks = append(batch.ReportLinks, intel.ReportLink{IP: ip, ReportID: fmt.Sprintf("R-%d", i)})
	}
	for i := 0; i < 200; i++ {
		batch.SpamEvents = append(batch.SpamEvents, intel.SpamEvent{IP: ip, ID: fmt.Sprint(i), Time: benchDay, Type: fmt.Sprintf("Type%d", i%10)})
		batch.PhishingEvents = append(batch.PhishingEvents, intel.PhishingEvent{IP: ip, ID: fmt.Sprint(i), Time: benchDay, Region: fmt.Sprintf("R%d", i%30), Kit: "16shop",
			StolenData: []string{"Credentials", "Card"}, Industry: fmt.Sprintf("I%d", i%12), Organization: fmt.Sprintf("O%d", i%40)})
	}
	if err := s.Apply(context.Background(), &batch); err != nil {
		b.Fatal(err)
	}
	// Move everything out of the memtable, as after a real import.
	if !flush {
		return s, ip
	}
	if err := s.db.Flush(); err != nil {
		b.Fatal(err)
	}
	return s, ip
}

// BenchmarkAddress reads the summary of a busy address.
func BenchmarkAddress(b *testing.B) {
	s, ip := reportStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a, err := s.Address(ctx, ip)
		if err != nil || a.Hits != 100_000 {
			b.Fatalf("got %d hits, %v", a.Hits, err)
		}
	}
}

// BenchmarkReportLists reads what a report with count=100 needs from the
// list sections: 100 hosted URLs, 100 files and 100 resolutions (with
// their domains' zones and categories), plus the summary.
func BenchmarkReportLists(b *testing.B) {
	s, ip := reportStore(b)
	ctx := context.Background()
	for _, count := range []int{10, 100} {
		b.Run(fmt.Sprint("count=", count), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Address(ctx, ip); err != nil {
					b.Fatal(err)
				}
				u, err := s.HostedURLs(ctx, ip, count)
				if err != nil || len(u) != count {
					b.Fatal(len(u), err)
				}
				f, err := s.Files(ctx, ip, count)
				if err != nil || len(f) != count {
					b.Fatal(len(f), err)
				}
				r, err := s.Resolutions(ctx, ip, count)
				if err != nil || len(r) != count || r[0].Zone != intel.ZoneRed {
					b.Fatal(len(r), err)
				}
			}
		})
	}
}
