package pebble

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/cputime"
)

// BenchmarkListScanFloor is the cost of a list read without decoding: one
// iterator over 100 index entries. The decoding list reads (HostedURLs,
// Files, ...) are measured against it.
func BenchmarkListScanFloor(b *testing.B) {
	s, ip := reportStore(b)
	ctx := context.Background()
	var owner [16]byte
	b.ReportAllocs()
	cpu := cputime.Now()
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
	cputime.Report(b, cpu)
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
			cpu := cputime.Now()
			for b.Loop() {
				if n, err := r.fn(); err != nil || n != 100 {
					b.Fatal(n, err)
				}
			}
			cputime.Report(b, cpu)
		})
	}
}

// iterReader reads keys with one iterator (SeekGE), as a reader.
type iterReader struct{ it *pebble.Iterator }

func (r iterReader) Get(key []byte) ([]byte, io.Closer, error) {
	if !r.it.SeekGE(key) || !bytes.Equal(r.it.Key(), key) {
		if err := r.it.Error(); err != nil {
			return nil, nil, err
		}
		return nil, nil, pebble.ErrNotFound
	}
	v, err := r.it.ValueAndErr()
	return v, io.NopCloser(nil), err
}

// BenchmarkHeadReads reads the four heads of an address (flushed to
// sstables): with four point reads, or with one iterator over the head
// table seeking to each.
func BenchmarkHeadReads(b *testing.B) {
	b.Run("flushed", func(b *testing.B) { benchHeadReads(b, true) })
	b.Run("memtable", func(b *testing.B) { benchHeadReads(b, false) })
}

func benchHeadReads(b *testing.B, flushed bool) {
	s, ip := reportStoreFlushed(b, flushed)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	lists := []byte{lHosted, lFiles, lRes, lMasks}
	read := func(b *testing.B, r reader) {
		for _, list := range lists {
			l, c, ok, err := openHeadList(r, list, o, 100)
			if err != nil || !ok || (list != lMasks && l.head.left != 100) {
				b.Fatal(list, ok, err)
			}
			if c != nil {
				c.Close()
			}
		}
	}
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			read(b, s.db)
		}
	})
	for _, order := range []string{"ufrm", "fmru"} {
		b.Run("iter-"+order, func(b *testing.B) {
			lists = []byte(order)
			b.ReportAllocs()
			for b.Loop() {
				it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tHead}, UpperBound: []byte{tHead + 1}})
				if err != nil {
					b.Fatal(err)
				}
				read(b, iterReader{it})
				if err := it.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
