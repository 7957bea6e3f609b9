package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

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

// checkStream is the first pass of a strict import of a stream format: it
// parses every record into a scratch batch and stops at the first bad one.
func checkStream(ctx context.Context, src io.Reader, sp StreamParser, o Options, prog *progress) error {
	var b intel.Batch
	last := 0
	fr := &failedReader{r: src}
	err := sp.ParseStream(fr, func(n int, parse func(*intel.Batch) error) error {
		last = n
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return &streamStop{err}
			}
			prog.update(n)
		}
		if err := parse(&b); err != nil {
			return &streamStop{&LineError{File: o.displayName(), Line: n, Unit: UnitObject, Reason: err.Error()}}
		}
		if b.Len() >= o.BatchSize {
			b.Reset()
		}
		return nil
	})
	var stop *streamStop
	switch {
	case err == nil:
		return nil
	case errors.As(err, &stop):
		return stop.err
	case fr.err != nil:
		return readError(o, fr.err)
	default:
		return &LineError{File: o.displayName(), Line: last + 1, Unit: UnitObject, Reason: err.Error()}
	}
}

// parseStreamInto is parseInto for stream formats: it sends full batches of
// the records sp emits to the applier.
func parseStreamInto(ctx context.Context, r io.Reader, sp StreamParser, o Options, sum *Summary, full chan<- *work, free <-chan *work) error {
	prog := newProgress(o, r, "importing")
	defer prog.done()
	var w *work
	select {
	case w = <-free:
	case <-ctx.Done():
		return ctx.Err()
	}
	last := 0
	send := func() error {
		if w.b.Len() == 0 && w.lines == 0 {
			return nil
		}
		w.lastLine = last
		select {
		case full <- w:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case w = <-free:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	bad := func(n int, reason string) error {
		if o.Strict {
			return &LineError{File: o.displayName(), Line: n, Unit: UnitObject, Reason: reason}
		}
		sum.Read++
		sum.Skipped++
		if len(sum.Bad) < o.ShowBad {
			sum.Bad = append(sum.Bad, BadLine{Line: n, Unit: UnitObject, Reason: reason})
		}
		return nil
	}
	fr := &failedReader{r: r}
	err := sp.ParseStream(fr, func(n int, parse func(*intel.Batch) error) error {
		last = n
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return &streamStop{err}
			}
			prog.update(n)
		}
		m := markOf(&w.b)
		if err := parse(&w.b); err != nil {
			m.rollback(&w.b)
			if err := bad(n, err.Error()); err != nil {
				return &streamStop{err}
			}
			return nil
		}
		if m.n == w.b.Len() {
			return nil
		}
		sum.Read++
		w.lines++
		if w.b.Len() >= o.BatchSize {
			if err := send(); err != nil {
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
		return readError(o, fr.err)
	default:
		if err := bad(last+1, err.Error()); err != nil {
			return err
		}
	}
	return send()
}
