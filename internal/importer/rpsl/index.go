package rpsl

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tipd/tipd/internal/importer"
)

// entry is what the index keeps of an organisation, role, person or
// aut-num object: only the fields a contact or an AS description shows.
type entry struct {
	Class   string // organisation, role, person, aut-num
	Handle  string // as written
	Name    string // org-name, role, person, as-name
	Address []string
	Descr   []string // aut-num
	Phone   string
	Fax     string
	Email   string
	Abuse   string // abuse-mailbox
	AbuseC  string // organisation: its abuse-c handle
}

// key is the index key of a handle: organisation handles, nic-hdls (roles
// and persons) and AS numbers live in separate name spaces; handles are
// case-insensitive.
func key(ns byte, handle string) string {
	return string(ns) + ":" + strings.ToUpper(strings.TrimSpace(handle))
}

const (
	nsOrg    = 'o'
	nsNic    = 'n'
	nsAutNum = 'a'
)

// entryOf makes the index entry of a contact or aut-num object.
func entryOf(o *object) (string, entry, bool) {
	e := entry{Class: o.class(), Phone: o.first("phone"), Fax: o.first("fax-no"), Email: o.first("e-mail"),
		Abuse: o.first("abuse-mailbox"), Address: o.all("address")}
	var k string
	switch e.Class {
	case "organisation":
		e.Handle, e.Name, e.AbuseC = o.first("organisation"), o.first("org-name"), o.first("abuse-c")
		k = key(nsOrg, e.Handle)
	case "role", "person":
		e.Handle, e.Name = o.first("nic-hdl"), o.first(e.Class)
		k = key(nsNic, e.Handle)
	case "aut-num":
		e.Handle, e.Name, e.Descr = o.first("aut-num"), o.first("as-name"), o.all("descr")
		e.Address = nil
		k = key(nsAutNum, e.Handle)
	default:
		return "", e, false
	}
	if strings.TrimSpace(e.Handle) == "" {
		return "", e, false
	}
	return k, e, true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// encode appends the record of k and e: key, then the value's length and
// the value.
func encode(b []byte, k string, e *entry) []byte {
	var v []byte
	for _, s := range []string{e.Class, e.Handle, e.Name, e.Phone, e.Fax, e.Email, e.Abuse, e.AbuseC} {
		v = appendString(v, s)
	}
	v = appendList(v, e.Address)
	v = appendList(v, e.Descr)
	b = appendString(b, k)
	return appendString(b, string(v))
}

var errCorrupt = errors.New("contact index corrupt")

type decoder struct{ b []byte }

func (d *decoder) str() (string, error) {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		return "", errCorrupt
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s, nil
}

func (d *decoder) list() ([]string, error) {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	d.b = d.b[k:]
	var out []string
	for i := uint64(0); i < n; i++ {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeEntry(v []byte) (entry, error) {
	d := decoder{v}
	var e entry
	var err error
	for _, p := range []*string{&e.Class, &e.Handle, &e.Name, &e.Phone, &e.Fax, &e.Email, &e.Abuse, &e.AbuseC} {
		if *p, err = d.str(); err != nil {
			return e, err
		}
	}
	if e.Address, err = d.list(); err != nil {
		return e, err
	}
	e.Descr, err = d.list()
	return e, err
}

// Bounds of the index.
const (
	// runBytes is how much encoded data is sorted in memory before it is
	// written to a temporary run file.
	runBytes = 8 << 20
	// blockRecords is the number of records per block of the sorted file;
	// the sparse index keeps the first key of every block.
	blockRecords = 64
)

// index is a sorted file of records with a sparse index in memory.
type index struct {
	r      io.ReaderAt
	keys   []string // first key of every block
	offs   []int64  // offset of every block, and the end
	closer io.Closer
}

// get returns the entry of k.
func (x *index) get(k string) (entry, bool, error) {
	if x == nil || len(x.keys) == 0 {
		return entry{}, false, nil
	}
	i := sort.SearchStrings(x.keys, k)
	if i == len(x.keys) || x.keys[i] != k {
		i--
	}
	if i < 0 {
		return entry{}, false, nil
	}
	buf := make([]byte, x.offs[i+1]-x.offs[i])
	if _, err := x.r.ReadAt(buf, x.offs[i]); err != nil {
		return entry{}, false, fmt.Errorf("read contact index: %w", err)
	}
	d := decoder{buf}
	for len(d.b) > 0 {
		rk, err := d.str()
		if err != nil {
			return entry{}, false, err
		}
		v, err := d.str()
		if err != nil {
			return entry{}, false, err
		}
		if rk == k {
			e, err := decodeEntry([]byte(v))
			return e, err == nil, err
		}
		if rk > k {
			break
		}
	}
	return entry{}, false, nil
}

// Dump is an RPSL dump whose files are imported together (an
// importer.FileSet): Scan reads the organisation, role, person and aut-num
// objects of every file into a contact index; parsers made afterwards
// resolve handles through it, whatever file defined them.
//
// Memory is bounded: scanned objects are sorted in runs of 8 MiB that are
// written to a temporary directory and merged into one sorted file; memory
// then holds one key per 64 objects (for 10 million contacts about 160,000
// keys, a few MB). The temporary directory needs about as much free disk
// as the contact objects' text. When a handle is defined twice, the first
// definition scanned wins.
type Dump struct {
	o        importer.ParserConfig
	dir      string // temporary directory, created on demand
	runLimit int    // runBytes; smaller in tests

	run     [][]byte // encoded records of the current run
	runSize int
	runs    []string // run files
	idx     *index
	buf     []byte
}

// NewDump returns an empty dump; o is passed to its parsers, o.TempDir
// holds its temporary files (os.TempDir if empty).
func NewDump(o importer.ParserConfig) *Dump { return &Dump{o: o, runLimit: runBytes} }

// Scan implements importer.FileSet.
func (d *Dump) Scan(ctx context.Context, r io.Reader, file string) error {
	var rd reader
	take := func() error {
		o := &rd.done
		defer o.reset()
		if o.broken {
			return nil
		}
		k, e, ok := entryOf(o)
		if !ok {
			return nil
		}
		d.buf = encode(d.buf[:0], k, &e)
		d.run = append(d.run, slices.Clone(d.buf))
		d.runSize += len(d.buf) + 48
		if d.runSize >= d.runLimit {
			return d.spill()
		}
		return nil
	}
	err := importer.ReadLines(ctx, r, func(line []byte, n int) error {
		done, _ := rd.add(line, n)
		if done {
			return take()
		}
		return nil
	})
	if err == nil && len(rd.obj.attrs) > 0 {
		rd.end()
		err = take()
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", file, err)
	}
	return nil
}

// recKey returns the key of an encoded record.
func recKey(rec []byte) string {
	dd := decoder{rec}
	k, _ := dd.str()
	return k
}

func (d *Dump) sortRun() {
	slices.SortStableFunc(d.run, func(a, b []byte) int { return strings.Compare(recKey(a), recKey(b)) })
}

// spill writes the current run to a temporary file.
func (d *Dump) spill() error {
	if d.dir == "" {
		dir, err := os.MkdirTemp(d.o.TempDir, "tipd-rpsl-*")
		if err != nil {
			return fmt.Errorf("contact index: %w", err)
		}
		d.dir = dir
	}
	d.sortRun()
	name := filepath.Join(d.dir, fmt.Sprintf("run-%d", len(d.runs)))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("contact index: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, rec := range d.run {
		w.Write(rec)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("contact index: %w", err)
	}
	d.runs = append(d.runs, name)
	d.run, d.runSize = d.run[:0], 0
	return nil
}

// Prepare implements importer.FileSet: it merges the runs into the sorted
// index.
func (d *Dump) Prepare() error {
	if len(d.runs) == 0 {
		// Everything fits one run: the index is in memory.
		d.sortRun()
		var out bytes.Buffer
		x := &index{}
		err := writeIndex(&out, x, func(yield func([]byte) bool) {
			for _, rec := range d.run {
				if !yield(rec) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		x.r = bytes.NewReader(out.Bytes())
		d.idx, d.run = x, nil
		return nil
	}
	if len(d.run) > 0 {
		if err := d.spill(); err != nil {
			return err
		}
	}
	f, err := os.Create(filepath.Join(d.dir, "index"))
	if err != nil {
		return fmt.Errorf("contact index: %w", err)
	}
	x := &index{r: f, closer: f}
	w := bufio.NewWriterSize(f, 1<<20)
	var merr error
	err = writeIndex(w, x, func(yield func([]byte) bool) { merr = mergeRuns(d.runs, yield) })
	if err == nil {
		err = merr
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("contact index: %w", err)
	}
	for _, r := range d.runs {
		os.Remove(r)
	}
	d.runs = nil
	d.idx = x
	return nil
}

// writeIndex writes the records of a sorted sequence to w, the first of
// every key only, and fills the sparse index of x.
func writeIndex(w io.Writer, x *index, recs func(yield func([]byte) bool)) error {
	var off int64
	var last string
	n := 0
	var werr error
	recs(func(rec []byte) bool {
		k := recKey(rec)
		if n > 0 && k == last {
			return true
		}
		if n%blockRecords == 0 {
			x.keys = append(x.keys, k)
			x.offs = append(x.offs, off)
		}
		if _, err := w.Write(rec); err != nil {
			werr = err
			return false
		}
		off += int64(len(rec))
		last = k
		n++
		return true
	})
	x.offs = append(x.offs, off)
	return werr
}

// runReader reads the records of one run file.
type runReader struct {
	br  *bufio.Reader
	f   *os.File
	rec []byte
	k   string
	i   int // run number: earlier runs win ties
}

func (r *runReader) next() (bool, error) {
	kl, err := binary.ReadUvarint(r.br)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	kb := make([]byte, kl)
	if _, err := io.ReadFull(r.br, kb); err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(r.br)
	if err != nil {
		return false, err
	}
	vb := make([]byte, vl)
	if _, err := io.ReadFull(r.br, vb); err != nil {
		return false, err
	}
	r.k = string(kb)
	r.rec = appendString(appendString(r.rec[:0], r.k), string(vb))
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if h[i].k != h[j].k {
		return h[i].k < h[j].k
	}
	return h[i].i < h[j].i
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeRuns yields the records of the run files in key order.
func mergeRuns(runs []string, yield func([]byte) bool) error {
	var h runHeap
	defer func() {
		for _, r := range h {
			r.f.Close()
		}
	}()
	for i, name := range runs {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		r := &runReader{br: bufio.NewReaderSize(f, 64<<10), f: f, i: i}
		ok, err := r.next()
		if err != nil {
			f.Close()
			return err
		}
		if !ok {
			f.Close()
			continue
		}
		h = append(h, r)
	}
	heap.Init(&h)
	for len(h) > 0 {
		r := h[0]
		if !yield(r.rec) {
			return nil
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			r.f.Close()
			heap.Pop(&h)
		}
	}
	return nil
}

// NewParser implements importer.FileSet.
func (d *Dump) NewParser() importer.Parser {
	p := New(d.o)
	p.idx = d.idx
	return p
}

// Close implements importer.FileSet: it removes the temporary files.
func (d *Dump) Close() error {
	if d.idx != nil && d.idx.closer != nil {
		d.idx.closer.Close()
	}
	d.idx = nil
	if d.dir != "" {
		return os.RemoveAll(d.dir)
	}
	return nil
}
