package pebble

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkListScanFloor is the cost of a list read without decoding: one
// iterator over 100 index entries. The decoding list reads (HostedURLs,
// Files, ...) are measured against it.
func BenchmarkListScanFloor(b *testing.B) {
	s, ip := reportStore(b)
	ctx := context.Background()
	var owner [16]byte
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		n := 0
		l, err := s.openList(ctx, lFiles, addrOwner(owner[:0], ip), recencyKeyLen, 100)
		if err != nil {
			b.Fatal(err)
		}
		for {
			item, val, ok := l.next()
			if !ok {
				break
			}
			n += len(item) + len(val)
		}
		if err := l.close(); err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkListReads is each list read of a report (count=100) on its own.
func BenchmarkListReads(b *testing.B) {
	s, ip := reportStore(b)
	ctx := context.Background()
	for _, r := range []struct {
		name string
		fn   func() (int, error)
	}{
		{"HostedURLs", func() (int, error) { l, err := s.HostedURLs(ctx, ip, 100); return len(l), err }},
		{"Files", func() (int, error) { l, err := s.Files(ctx, ip, 100); return len(l), err }},
		{"Resolutions", func() (int, error) { l, err := s.Resolutions(ctx, ip, 100); return len(l), err }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if n, err := r.fn(); err != nil || n != 100 {
					b.Fatal(n, err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuTime is the CPU time the process has used, all threads (the garbage
// collector's included). On a shared machine it varies less than the wall
// time of a benchmark.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
