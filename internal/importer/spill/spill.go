// Package spill sorts records that may not fit in memory: records (a key
// and a value, both bytes) are gathered in a buffer of bounded size, sorted
// by key and written to temporary run files; reading merges the runs. The
// memory a Sorter needs is bounded by its buffer and the read buffers of at
// most FanIn runs per level, whatever the number of records.
package spill

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

const (
	// DefaultRunBytes is the size of the in-memory buffer sorted before it
	// is written as a run.
	DefaultRunBytes = 8 << 20
	// FanIn is the number of runs of one level merged into a single run of
	// the next level, which bounds the number of open runs.
	FanIn = 32
	// chunkBytes is the size of the chunks of the buffer; the first chunks
	// are smaller (from firstChunkBytes, doubling), so that a sorter that
	// gets a handful of records costs a handful of bytes.
	chunkBytes      = 64 << 10
	firstChunkBytes = 1 << 10
	// readBuf is the read buffer of one run during a merge.
	readBuf = 32 << 10
)

var errCorrupt = errors.New("spill: run file corrupt")

type record struct{ k, v []byte }

// recordOverhead is what the buffer spends on a record besides its bytes.
const recordOverhead = 48

type run struct {
	f     *os.File
	size  int64
	level int
}

// Sorter gathers records and returns them sorted by key. Records with equal
// keys come out in an unspecified order. A Sorter is not safe for
// concurrent use. Close removes its temporary files.
type Sorter struct {
	dir      string
	max      int
	used     int      // bytes of the buffered records
	cur      []byte   // the chunk records are being copied to
	next     int      // the size of the next new chunk
	chunks   [][]byte // the chunks holding buffered records
	free     [][]byte // chunks to reuse after a run is written
	recs     []record
	runs     []*run
	finished bool
}

// New returns a sorter writing its runs to dir (os.TempDir if empty) once
// runBytes of records are buffered (DefaultRunBytes if 0).
func New(dir string, runBytes int) *Sorter {
	if runBytes <= 0 {
		runBytes = DefaultRunBytes
	}
	return &Sorter{dir: dir, max: runBytes}
}

// Add adds a record; key and val are copied.
func (s *Sorter) Add(key, val []byte) error {
	if s.finished {
		return errors.New("spill: add after reading")
	}
	n := len(key) + len(val)
	if s.used+n+recordOverhead*(len(s.recs)+1) > s.max && len(s.recs) > 0 {
		if err := s.flush(); err != nil {
			return err
		}
	}
	b := s.alloc(n)
	copy(b, key)
	copy(b[len(key):], val)
	s.recs = append(s.recs, record{b[:len(key):len(key)], b[len(key):]})
	s.used += n
	return nil
}

// alloc returns n bytes of the buffer. The buffer is made of chunks, so
// that it grows without copying what it holds.
func (s *Sorter) alloc(n int) []byte {
	if cap(s.cur)-len(s.cur) < n {
		if l := len(s.free); l > 0 && cap(s.free[l-1]) >= n {
			s.cur, s.free = s.free[l-1][:0], s.free[:l-1]
		} else {
			if s.next == 0 {
				s.next = firstChunkBytes
			}
			s.cur = make([]byte, 0, max(n, min(s.next, s.max)))
			s.next = min(2*s.next, chunkBytes)
		}
		s.chunks = append(s.chunks, s.cur)
	}
	l := len(s.cur)
	s.cur = s.cur[:l+n]
	return s.cur[l : l+n : l+n]
}

func (s *Sorter) sortBuffer() {
	slices.SortFunc(s.recs, func(a, b record) int { return bytes.Compare(a.k, b.k) })
}

// flush writes the buffer as a run of level 0 and merges full levels.
func (s *Sorter) flush() error {
	s.sortBuffer()
	r, err := s.newRun(0)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(r.f, 256<<10)
	var hdr [2 * binary.MaxVarintLen64]byte
	for _, rec := range s.recs {
		n := binary.PutUvarint(hdr[:], uint64(len(rec.k)))
		n += binary.PutUvarint(hdr[n:], uint64(len(rec.v)))
		w.Write(hdr[:n])
		w.Write(rec.k)
		if _, err := w.Write(rec.v); err != nil {
			return fmt.Errorf("spill: write run: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill: write run: %w", err)
	}
	r.size, _ = r.f.Seek(0, io.SeekCurrent)
	s.free = append(s.free, s.chunks...)
	s.chunks, s.cur, s.recs, s.used = nil, nil, s.recs[:0], 0
	return s.compact()
}

func (s *Sorter) newRun(level int) (*run, error) {
	f, err := os.CreateTemp(s.dir, "tipd-spill-*")
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	r := &run{f: f, level: level}
	s.runs = append(s.runs, r)
	return r, nil
}

// compact merges FanIn runs of one level into one run of the next.
func (s *Sorter) compact() error {
	for level := 0; ; level++ {
		var same []*run
		for _, r := range s.runs {
			if r.level == level {
				same = append(same, r)
			}
		}
		if len(same) < FanIn {
			return nil
		}
		out, err := s.newRun(level + 1)
		if err != nil {
			return err
		}
		it := newMerge(same, nil)
		w := bufio.NewWriterSize(out.f, 256<<10)
		var hdr [2 * binary.MaxVarintLen64]byte
		for it.Next() {
			n := binary.PutUvarint(hdr[:], uint64(len(it.Key())))
			n += binary.PutUvarint(hdr[n:], uint64(len(it.Value())))
			w.Write(hdr[:n])
			w.Write(it.Key())
			if _, err := w.Write(it.Value()); err != nil {
				return fmt.Errorf("spill: merge runs: %w", err)
			}
		}
		if err := it.Err(); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("spill: merge runs: %w", err)
		}
		out.size, _ = out.f.Seek(0, io.SeekCurrent)
		s.runs = slices.DeleteFunc(s.runs, func(r *run) bool { return slices.Contains(same, r) })
		for _, r := range same {
			r.f.Close()
			os.Remove(r.f.Name())
		}
	}
}

// Iter returns the records sorted by key. No record may be added after
// the first call; Iter may be called again to read the records again.
func (s *Sorter) Iter() *Iter {
	if !s.finished {
		s.finished = true
		s.sortBuffer()
	}
	return newMerge(s.runs, s.recs)
}

// Close removes the temporary files and frees the buffer.
func (s *Sorter) Close() error {
	var first error
	for _, r := range s.runs {
		r.f.Close()
		if err := os.Remove(r.f.Name()); err != nil && first == nil {
			first = fmt.Errorf("spill: %w", err)
		}
	}
	s.runs, s.cur, s.chunks, s.free, s.recs = nil, nil, nil, nil, nil
	return first
}

// source is one sorted input of a merge: a run file or the buffer.
type source struct {
	r    *bufio.Reader
	mem  []record
	k, v []byte
	buf  []byte
}

func (c *source) next() (bool, error) {
	if c.r == nil {
		if len(c.mem) == 0 {
			return false, nil
		}
		c.k, c.v, c.mem = c.mem[0].k, c.mem[0].v, c.mem[1:]
		return true, nil
	}
	kl, err := binary.ReadUvarint(c.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, errCorrupt
	}
	vl, err := binary.ReadUvarint(c.r)
	if err != nil || kl+vl > 1<<34 {
		return false, errCorrupt
	}
	n := int(kl + vl)
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return false, errCorrupt
	}
	c.k, c.v = c.buf[:kl], c.buf[kl:]
	return true, nil
}

type sources []*source

func (h sources) Len() int           { return len(h) }
func (h sources) Less(i, j int) bool { return bytes.Compare(h[i].k, h[j].k) < 0 }
func (h sources) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sources) Push(x any)        { *h = append(*h, x.(*source)) }
func (h *sources) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Iter reads sorted records. Key and Value are valid until the next call
// of Next.
type Iter struct {
	h       sources
	cur     *source
	started bool
	err     error
}

func newMerge(runs []*run, mem []record) *Iter {
	it := &Iter{}
	for _, r := range runs {
		it.h = append(it.h, &source{r: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, r.size), readBuf)})
	}
	if len(mem) > 0 {
		it.h = append(it.h, &source{mem: mem})
	}
	return it
}

// Next advances to the next record and reports whether there is one.
func (it *Iter) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.started {
		it.started = true
		live := it.h[:0]
		for _, c := range it.h {
			ok, err := c.next()
			if err != nil {
				it.err = err
				return false
			}
			if ok {
				live = append(live, c)
			}
		}
		it.h = live
		heap.Init(&it.h)
	} else if it.cur != nil {
		ok, err := it.cur.next()
		if err != nil {
			it.err = err
			return false
		}
		if ok {
			heap.Fix(&it.h, 0)
		} else {
			heap.Pop(&it.h)
		}
	}
	if len(it.h) == 0 {
		it.cur = nil
		return false
	}
	it.cur = it.h[0]
	return true
}

// Key is the key of the current record.
func (it *Iter) Key() []byte { return it.cur.k }

// Value is the value of the current record.
func (it *Iter) Value() []byte { return it.cur.v }

// Err is the error that stopped the iteration, if any.
func (it *Iter) Err() error { return it.err }
