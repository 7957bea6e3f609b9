package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/tipd/tipd/internal/intel"
)

// StreamParser is implemented by parsers of formats that are not
// line-oriented: one JSON document holding many records (a STIX bundle, a
// JSON export keyed by id). When the parser made for a pass implements it,
// Import hands it the whole input instead of lines, and bad records are
// accounted by their number in the input ("object 7") instead of a line
// number. Batching, strict mode, provenance, the domain join and the
// summary work as for line formats.
type StreamParser interface {
	Parser
	// ParseStream reads r to its end. For every record of the input it
	// calls emit with the record's number (1-based, its position in the
	// input; a format that derives evidence once the input ends may emit a
	// number again) and a function parse that appends the record's evidence to
	// a batch, or returns the reason the record is bad (records appended
	// before the error are discarded, as for Parse). A record that holds
	// nothing the format imports appends nothing and returns nil.
	//
	// When emit returns an error (the import was cancelled, or a strict
	// import met a bad record) ParseStream must stop and return it. Any
	// other error ParseStream returns is a defect of the input that stops
	// the reading (a JSON syntax error, say): it is reported as one bad
	// record numbered after the last emitted one, and what was emitted
	// before it is imported.
	ParseStream(r io.Reader, emit func(n int, parse func(b *intel.Batch) error) error) error
}

// Units of BadLine and LineError.
const (
	UnitLine   = "line"
	UnitObject = "object"
)

// Where names the bad record: "line 7", or "object 7" for a stream format.
func (b BadLine) Where() string { return where(b.Unit, b.Line) }

func where(unit string, n int) string {
	if unit == "" {
		unit = UnitLine
	}
	return fmt.Sprintf("%s %d", unit, n)
}

// streamStop wraps an error emit returned, to tell it from a defect of the
// input that ParseStream returns by itself.
type streamStop struct{ err error }

func (s *streamStop) Error() string { return s.err.Error() }
func (s *streamStop) Unwrap() error { return s.err }

// failedReader remembers the first error of r other than io.EOF: a
// StreamParser may turn a read error into a reason of its own, and a read
// error is not a bad record.
type failedReader struct {
	r   io.Reader
	err error
}

func (f *failedReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF && f.err == nil {
		f.err = err
	}
	return n, err
}

// emitFunc receives one record of an input: its number n (a line or object
// number), the input bytes behind it (0 if not known) and parse, which
// appends its evidence to a batch or says why it is bad.
type emitFunc func(n, size int, parse func(*intel.Batch) error) error

// source is the one shape in which the import loop reads every format:
// each reads r to its end, calling emit for every record, and stops with
// the error emit returns.
type source interface {
	each(r io.Reader, emit emitFunc) error
}

// sourceOf adapts a pass's parser to the source shape, and names the unit
// of its bad records.
func sourceOf(p Parser) (source, string) {
	if sp, ok := p.(StreamParser); ok {
		return streamSource{sp}, UnitObject
	}
	return &lineSource{p: p}, ""
}

// streamSource is a StreamParser as a source.
type streamSource struct{ sp StreamParser }

func (s streamSource) each(r io.Reader, emit emitFunc) error {
	return s.sp.ParseStream(r, func(n int, parse func(*intel.Batch) error) error { return emit(n, 0, parse) })
}

// lineSource is a line Parser as a source: every line is a record numbered
// by its line (an empty line holds nothing, a line longer than
// MaxLineLength is bad) and a Flusher's Flush is a last record under the
// last line's number.
type lineSource struct {
	p    Parser
	line []byte
	n    int
}

func (s *lineSource) parse(b *intel.Batch) error {
	if len(s.line) == 0 {
		return nil
	}
	return s.p.Parse(s.line, s.n, b)
}

func tooLong(*intel.Batch) error { return errors.New(tooLongReason) }

const tooLongReason = "line longer than 1 MiB"

func (s *lineSource) each(r io.Reader, emit emitFunc) error {
	lr := newLineReader(r)
	parse := s.parse
	for {
		line, long, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		s.line, s.n = line, lr.lineNo
		fn := parse
		if long {
			fn = tooLong
		}
		if err := emit(lr.lineNo, len(line), fn); err != nil {
			return err
		}
	}
	if f, ok := s.p.(Flusher); ok {
		return emit(lr.lineNo, 0, f.Flush)
	}
	return nil
}

// pass is the one loop of every import: it reads the records of an input
// from a source into batches, accounts for bad ones, and hands each full
// batch to next, which returns the batch to fill next. The importing pass
// hands batches to the applier; the first pass of a strict import discards
// them; ParseAll keeps them.
type pass struct {
	o     Options
	sum   *Summary
	unit  string // of bad records
	prog  *progress
	w     *work
	next  func(*work) (*work, error)
	last  int // number of the last record
	bytes int // input bytes behind w
}

// read runs the loop over r with the records of src.
func (p *pass) read(ctx context.Context, r io.Reader, src source) error {
	fr := &failedReader{r: r}
	err := src.each(fr, func(n, size int, parse func(*intel.Batch) error) error {
		p.last = n
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return &streamStop{err}
			}
			p.prog.update(n)
		}
		b := &p.w.b
		m := markOf(b)
		if err := parse(b); err != nil {
			m.rollback(b)
			if err := p.bad(n, err.Error()); err != nil {
				return &streamStop{err}
			}
			return nil
		}
		if m.n == b.Len() {
			return nil // comment, header
		}
		p.sum.Read++
		p.w.lines++
		p.bytes += size + reportFileBytes(b.Reports[m.lens[9]:])
		if b.Len() >= p.o.BatchSize || p.bytes >= maxBatchBytes {
			if err := p.send(); err != nil {
				return &streamStop{err}
			}
		}
		return nil
	})
	var stop *streamStop
	switch {
	case err == nil:
	case errors.As(err, &stop):
		return stop.err
	case fr.err != nil:
		return readError(p.o, fr.err)
	default:
		// A defect of a stream that stops its reading: one more bad record.
		if err := p.bad(p.last+1, err.Error()); err != nil {
			return err
		}
	}
	return p.send()
}

// bad accounts for a bad record, or stops a strict import with it.
func (p *pass) bad(n int, reason string) error {
	if p.o.Strict {
		return &LineError{File: p.o.displayName(), Line: n, Unit: p.unit, Reason: reason}
	}
	p.sum.Read++
	p.sum.Skipped++
	if len(p.sum.Bad) < p.o.ShowBad {
		p.sum.Bad = append(p.sum.Bad, BadLine{Line: n, Unit: p.unit, Reason: reason})
	}
	return nil
}

// reportFileBytes is the size of the files that reports carry (read from
// files next to the input, not from the record's bytes): they count
// towards maxBatchBytes as input bytes do.
func reportFileBytes(rs []intel.Report) int {
	n := 0
	for i := range rs {
		n += len(rs[i].YARA) + len(rs[i].PDF)
	}
	return n
}

// send hands a batch that holds anything on.
func (p *pass) send() error {
	if p.w.b.Len() == 0 && p.w.lines == 0 {
		return nil
	}
	p.w.lastLine = p.last
	w, err := p.next(p.w)
	if err != nil {
		return err
	}
	p.w, p.bytes = w, 0
	return nil
}

// importPass reads and parses r, sending full batches to the applier.
func importPass(ctx context.Context, r io.Reader, p Parser, o Options, sum *Summary, full chan<- *work, free <-chan *work) error {
	prog := newProgress(o, r, "importing")
	defer prog.done()
	next := func(w *work) (*work, error) {
		if w != nil {
			select {
			case full <- w:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		select {
		case w = <-free:
			return w, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	w, err := next(nil)
	if err != nil {
		return err
	}
	src, unit := sourceOf(p)
	ps := &pass{o: o, sum: sum, unit: unit, prog: prog, w: w, next: next}
	return ps.read(ctx, r, src)
}

// discard is the sink of a strict import's first pass.
func discard(w *work) (*work, error) {
	w.b.Reset()
	w.lines = 0
	return w, nil
}

// ParseAll reads r through p as an import does, without a store: it
// returns the records of the good lines (or objects) in one batch and the
// summary, whose Bad lists every bad one whatever o.ShowBad. The error is
// a *LineError of a strict parse, a *ReadError or ctx's error.
func ParseAll(ctx context.Context, r io.Reader, p Parser, o Options) (*intel.Batch, Summary, error) {
	o.BatchSize, o.ShowBad = math.MaxInt, math.MaxInt
	sum := Summary{File: o.displayName()}
	src, unit := sourceOf(withDir(p, o))
	w := &work{}
	ps := &pass{o: o, sum: &sum, unit: unit, prog: newProgress(o, r, "parsing"), w: w,
		next: func(w *work) (*work, error) { return w, nil }}
	err := ps.read(ctx, r, src)
	if ig, ok := p.(Ignorer); ok {
		sum.Ignored = ig.Ignored()
	}
	return &w.b, sum, err
}

// validate is the first pass of a strict import: the import loop with a
// discarding sink. It returns a reader of the same content positioned at
// the start.
func validate(ctx context.Context, r io.Reader, p Parser, o Options) (io.Reader, func(), error) {
	rw, canRewind := r.(Rewinder)
	canRewind = canRewind && rw.Rewindable()
	src := r
	var spool *os.File
	var spoolW *bufio.Writer
	cleanup := func() {}
	if !canRewind {
		f, err := os.CreateTemp(o.TempDir, "tipd-import-*")
		if err != nil {
			return nil, nil, fmt.Errorf("strict import of %s: keep a copy of the stream: %w", o.displayName(), err)
		}
		spool = f
		cleanup = func() {
			f.Close()
			os.Remove(f.Name())
		}
		spoolW = bufio.NewWriterSize(f, 1<<20)
		src = io.TeeReader(r, spoolW)
	}
	fail := func(err error) (io.Reader, func(), error) {
		// Damaged gzip content decompresses to garbage before its checksum
		// is read at the end: a bad line in it may be the damage.
		var le *LineError
		if c, ok := r.(interface{ Compressed() bool }); ok && c.Compressed() && errors.As(err, &le) {
			if _, rerr := io.Copy(io.Discard, src); rerr != nil {
				err = readError(o, rerr)
			}
		}
		cleanup()
		return nil, nil, err
	}
	prog := newProgress(o, r, "checking")
	records, unit := sourceOf(p)
	ps := &pass{o: o, sum: &Summary{}, unit: unit, prog: prog, w: &work{}, next: discard}
	if err := ps.read(ctx, src, records); err != nil {
		return fail(err)
	}
	// Read what a stream parser left (trailing data), so that the copy of
	// a stream is complete.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return fail(readError(o, err))
	}
	prog.done()
	if canRewind {
		if err := rw.Rewind(); err != nil {
			return fail(fmt.Errorf("strict import of %s: re-read: %w", o.displayName(), err))
		}
		return r, cleanup, nil
	}
	if err := spoolW.Flush(); err != nil {
		return fail(fmt.Errorf("strict import of %s: keep a copy of the stream: %w", o.displayName(), err))
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("strict import of %s: re-read the copy: %w", o.displayName(), err))
	}
	return spool, cleanup, nil
}
