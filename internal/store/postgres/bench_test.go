package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var day0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func ip4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }

// benchBatch is a realistic import batch: addrs addresses from the n-th
// block, each with a sighting, two hosted URLs, a file and a resolution.
func benchBatch(n, addrs int) *intel.Batch {
	var b intel.Batch
	src := intel.Source{Feed: "Bench", File: "bench.csv", Imported: day0}
	for i := range addrs {
		k := n*addrs + i
		ip := ip4(100, byte(k>>16), byte(k>>8), byte(k))
		last := day0.Add(time.Duration(k%5000) * time.Minute)
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: day0, Hits: int64(k%100 + 1)})
		for j := range 2 {
			b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("%s/bins/%d.sh", ip, j), Zone: intel.ZoneRed,
				Categories: []intel.Category{intel.CatMalware}, Hits: int64(j + 1), FirstSeen: day0, LastSeen: last, Source: src})
		}
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", k), URL: fmt.Sprintf("http://%s/bins/0.sh", ip),
			Zone: intel.ZoneRed, DetectionName: "Trojan.Linux.Mirai", Hits: 1, FirstSeen: day0, LastSeen: last, Source: src})
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("h%d.example", k), Hits: 3, DailyPeak: 2,
			PeakDate: day0, FirstSeen: day0, LastSeen: last, Source: src})
	}
	return &b
}

// BenchmarkApply applies batches of 10,000 records (2,000 addresses): new
// keys every time, and the same batch again (every record merges).
func BenchmarkApply(b *testing.B) {
	benchApply(b, func(i int) *intel.Batch { return benchBatch(i, 2000) })
}

// benchApply applies the batches batch(0), batch(1), … to a fresh store
// ("new": new keys every time), and batch(0) again and again ("merge").
func benchApply(b *testing.B, batch func(i int) *intel.Batch) {
	b.Run("new", func(b *testing.B) {
		s := openFresh(b)
		defer s.Close()
		batches := make([]*intel.Batch, b.N)
		for i := range batches {
			batches[i] = batch(i)
		}
		b.ResetTimer()
		for i := range b.N {
			if err := s.Apply(context.Background(), batches[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batches[0].Len())/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("merge", func(b *testing.B) {
		s := openFresh(b)
		defer s.Close()
		one := batch(0)
		if err := s.Apply(context.Background(), one); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := s.Apply(context.Background(), one); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*one.Len())/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkHostedURLs reads the newest 10 hosted URLs of an address that has
// 5,000, among 1,000 other addresses with 20 each.
func BenchmarkHostedURLs(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	big := ip4(45, 95, 147, 10)
	var batch intel.Batch
	for i := range 5000 {
		batch.HostedURLs = append(batch.HostedURLs, intel.HostedURL{IP: big, URL: fmt.Sprintf("45.95.147.10/p/%d", i), Zone: intel.ZoneRed,
			Hits: int64(i % 17), LastSeen: day0.Add(time.Duration(i) * time.Minute)})
	}
	for a := range 1000 {
		for i := range 20 {
			ip := ip4(100, 64, byte(a>>8), byte(a))
			batch.HostedURLs = append(batch.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("%s/p/%d", ip, i), Hits: 1, LastSeen: day0.AddDate(0, 0, i)})
		}
	}
	if err := s.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	check := func(l []intel.HostedURL, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if len(l) != 10 || l[0].URL != "45.95.147.10/p/4999" {
			b.Fatalf("newest 10: got %d items, first %+v", len(l), l[0])
		}
	}
	b.Run("serial", func(b *testing.B) {
		for range b.N {
			check(s.HostedURLs(ctx, big, 10))
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(s.HostedURLs(ctx, big, 10))
			}
		})
	})
}

// BenchmarkCountRequest counts requests: one after the other, and from
// parallel goroutines for one user (one hot row) and for many users.
func BenchmarkCountRequest(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	const quota = 1 << 40
	count := func(b *testing.B, user string) {
		if _, ok, err := s.CountRequest(ctx, user, "2024-03-01", quota); err != nil || !ok {
			b.Fatalf("CountRequest: %v, %v", ok, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		for range b.N {
			count(b, "serial")
		}
	})
	b.Run("parallel-one-user", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				count(b, "hot")
			}
		})
	})
	b.Run("parallel-many-users", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			user := fmt.Sprintf("user%d", next.Add(1))
			for pb.Next() {
				count(b, user)
			}
		})
	})
}

// BenchmarkLists reads the four lists of an address with 100 items in each:
// one query after the other, as a report did, and as one batch
// (AddressLists).
func BenchmarkLists(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	ip := ip4(45, 95, 147, 10)
	var batch intel.Batch
	src := intel.Source{Feed: "Bench", File: "bench.csv", Imported: day0}
	for i := range 150 {
		last := day0.Add(time.Duration(i) * time.Hour)
		batch.HostedURLs = append(batch.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("45.95.147.10/p/%d", i), Zone: intel.ZoneRed,
			Hits: 2, FirstSeen: day0, LastSeen: last, Source: src})
		batch.Files = append(batch.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", i), URL: fmt.Sprintf("http://45.95.147.10/p/%d", i),
			Zone: intel.ZoneRed, DetectionName: "Trojan.X", Hits: 1, FirstSeen: day0, LastSeen: last, Source: src})
		batch.Resolutions = append(batch.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("d%d.example", i), Hits: 3,
			FirstSeen: day0, LastSeen: last, Source: src})
		batch.Masks = append(batch.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("45.95.147.10/p/%d", i), MaskType: intel.MaskURL,
			Zone: intel.ZoneRed, Feeds: []string{"Bench"}, LastSeen: last, Source: src})
	}
	if err := s.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	lim := store.ListLimits{HostedURLs: 100, Files: 100, Resolutions: 100, Masks: 100}
	b.Run("one by one", func(b *testing.B) {
		for b.Loop() {
			h, err1 := s.HostedURLs(ctx, ip, 100)
			f, err2 := s.Files(ctx, ip, 100)
			r, err3 := s.Resolutions(ctx, ip, 100)
			m, err4 := s.Masks(ctx, ip, 100)
			if err := errors.Join(err1, err2, err3, err4); err != nil || len(h)+len(f)+len(r)+len(m) != 400 {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		var dst store.AddressLists
		for b.Loop() {
			if err := s.AddressLists(ctx, ip, lim, &dst); err != nil {
				b.Fatal(err)
			}
			if n := len(dst.HostedURLs) + len(dst.Files) + len(dst.Resolutions) + len(dst.Masks); n != 400 {
				b.Fatalf("%d items", n)
			}
		}
	})
}

// objectBatch is an import batch of object records, 10 per file: the n-th
// block of files files, each with its info, hashes, a name, a detection,
// the web address it came from, and that web address and the file on the
// host's lists.
func objectBatch(n, files int) *intel.Batch {
	var b intel.Batch
	src := intel.Source{Feed: "Bench", File: "bench.jsonl", Imported: day0}
	for i := range files {
		k := n*files + i
		md5, sha256 := fmt.Sprintf("%032X", k), fmt.Sprintf("%064X", k)
		host := fmt.Sprintf("h%d.example", k%500)
		url := fmt.Sprintf("%s/bins/%d", host, k)
		last := day0.Add(time.Duration(k%5000) * time.Minute)
		b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: md5, Hits: 3, FirstSeen: day0, LastSeen: last,
			Size: 65536, Type: "elf", Source: src})
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectURL, Key: url, Category: intel.CatMalware,
			Feed: "Bench", FirstSeen: day0, LastSeen: last, Source: src})
		b.FileHashes = append(b.FileHashes, intel.FileHashes{MD5: md5, SHA256: sha256, Source: src})
		b.Links = append(b.Links,
			intel.Link{List: intel.LinkFileNames, Owner: md5, Item: "x86", Hits: 1, Source: src},
			intel.Link{List: intel.LinkDetections, Owner: md5, Item: "Trojan.Linux.Mirai", Zone: intel.ZoneRed, LastSeen: last, Source: src},
			intel.Link{List: intel.LinkFileURLs, Owner: md5, Item: url, Zone: intel.ZoneRed, Hits: 2, LastSeen: last, Source: src},
			intel.Link{List: intel.LinkHostURLs, Owner: host, Item: url, Zone: intel.ZoneRed, Hits: 2, LastSeen: last, Source: src},
			intel.Link{List: intel.LinkHostFiles, Owner: host, Item: md5 + intel.ItemSep + url, Zone: intel.ZoneRed, Hits: 2, LastSeen: last,
				Attrs: []string{"Trojan.Linux.Mirai"}, Source: src},
			intel.Link{List: intel.LinkURLVariants, Owner: url, Item: url, LastSeen: last, Source: src},
			intel.Link{List: intel.LinkURLAccessed, Owner: url, Item: md5, LastSeen: last, Attrs: []string{"Trojan.Linux.Mirai"}, Source: src},
		)
	}
	return &b
}

// BenchmarkApplyObjects applies batches of 10,000 object records (1,000
// files): new keys every time, and the same batch again.
func BenchmarkApplyObjects(b *testing.B) {
	benchApply(b, func(i int) *intel.Batch { return objectBatch(i, 1000) })
}

// BenchmarkObjectReads reads a host with 20,000 web addresses: its summary
// (one round trip) and its newest 10 web addresses.
func BenchmarkObjectReads(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	ctx := context.Background()
	var batch intel.Batch
	for i := range 20000 {
		batch.Links = append(batch.Links, intel.Link{List: intel.LinkHostURLs, Owner: "big.example", Item: fmt.Sprintf("big.example/p%d", i),
			Hits: int64(i % 17), LastSeen: day0.Add(time.Duration(i) * time.Minute)})
	}
	batch.Whois = []intel.DomainWhois{{Domain: "big.example", Registrar: "R"}}
	if err := s.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Run("object", func(b *testing.B) {
		for b.Loop() {
			o, err := s.Object(ctx, intel.ObjectHost, "big.example")
			if err != nil || o.Lists[intel.LinkHostURLs].Items != 20000 {
				b.Fatalf("%+v, %v", o.Lists[intel.LinkHostURLs], err)
			}
		}
	})
	b.Run("links", func(b *testing.B) {
		for b.Loop() {
			l, err := s.Links(ctx, intel.LinkHostURLs, "big.example", 10)
			if err != nil || len(l) != 10 || l[0].Item != "big.example/p19999" {
				b.Fatalf("%d links, %v", len(l), err)
			}
		}
	})
}
