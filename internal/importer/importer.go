// Package importer is the streaming import pipeline shared by every input
// format: it reads a file line by line with bounded memory, hands each line
// to a format's Parser, collects the records into bounded batches and
// applies them to the store while the next batch is being parsed. It
// accounts for bad lines (skipped, counted and reported with their line
// numbers, or fatal with -strict), records provenance on every record,
// attaches web addresses on domains to the addresses the domain resolved to,
// draws progress on a terminal and sums the run up in one line.
//
// Idempotency comes from the records themselves: every evidence type merges
// into what is stored by the rule documented on it in package intel (minimum
// first-seen, maximum last-seen and hits, set unions, keyed events), so
// importing the same file again, or again after an interrupted run, changes
// no evidence. Only the provenance (Source.Imported) notes the latest run.
//
// Every format is read by the one loop of loop.go (a line Parser adapted to
// the record-source shape of a StreamParser); format parsers live in
// sub-packages (jsonl, …) and package formats is the table of them.
package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Limits of the pipeline.
const (
	// DefaultBatchSize is the number of records applied in one store batch
	// of a store that pipelines its commits (store.Pipeliner: the embedded
	// store), where smaller batches import as fast or faster and take less
	// memory: the batches in flight are most of the live heap, and every
	// page the heap grows by costs a page fault (docs/benchmarks.md, "Batches
	// of 2,048 records").
	DefaultBatchSize = 2048
	// DefaultBatchSizeServer is the default for a store that applies one
	// batch at a time (PostgreSQL): each batch costs a round of statements,
	// and 8192 records import 15 % faster than 4096 there.
	DefaultBatchSizeServer = 8192
	// MaxLineLength is the longest line read; a longer line is a bad line.
	MaxLineLength = 1 << 20
	// maxBatchBytes bounds the input bytes behind one batch, so that a
	// batch of long lines stays small too.
	maxBatchBytes = 16 << 20
	// DefaultShowBad is how many bad lines a Summary keeps by default.
	DefaultShowBad = 10
	// MaxDomainAddresses is how many addresses a domain's web addresses and
	// files are attached to at most.
	MaxDomainAddresses = 64
)

// Parser turns one line of an input format into records. Parsers are
// stateful per file (headers, multi-line objects): Import asks for a new one
// for every pass over a file.
type Parser interface {
	// Parse appends the records of one line (without its line ending) to b.
	// A line that holds no record (comment, header, blank) appends nothing
	// and returns nil. An error makes the line a bad line; its message is
	// the reason shown to the operator, and records appended before it are
	// discarded. Parse must not retain line.
	Parse(line []byte, lineNo int, b *intel.Batch) error
}

// Flusher is implemented by parsers that hold records across lines (for
// example multi-line objects); Flush is called once after the last line.
type Flusher interface {
	Flush(b *intel.Batch) error
}

// Options control one import run.
type Options struct {
	// BatchSize is the number of records per store batch (if 0:
	// DefaultBatchSize for a store.Pipeliner, else DefaultBatchSizeServer).
	BatchSize int
	// Strict makes the first bad line fail the import with nothing of the
	// file committed (see Import).
	Strict bool
	// Feed names the source of the file; it is recorded as provenance and
	// used by parsers as the feed of records that name none.
	Feed string
	// Category is the category of records that name none (list formats).
	Category intel.Category
	// Progress, when not nil, receives a progress line redrawn with "\r" a
	// few times a second. Pass it only when it is a terminal.
	Progress io.Writer
	// ShowBad is how many bad lines the Summary keeps (DefaultShowBad if 0,
	// none if negative); the count is always complete.
	ShowBad int
	// Now gives the import time recorded as provenance (time.Now if nil).
	Now func() time.Time
	// File is the name of the input, for provenance (its base name is
	// kept), messages and the summary; "-" or "" is standard input.
	File string
	// Size is the input's size in bytes for progress, if the reader cannot
	// tell (0: unknown).
	Size int64
	// TempDir is where a strict import of a stream that cannot be re-read
	// keeps its copy, and parsers their temporary files (os.TempDir if
	// empty).
	TempDir string
	// Dir is the directory in which records name files (a report's PDF)
	// by a relative name: the input file's directory; "" for an input
	// without one (standard input), where such a record is bad. Import
	// hands it to every pass's parser that is a DirParser.
	Dir string
}

// DirParser is implemented by parsers whose records name files next to
// the input (a report's PDF and YARA rules): Import calls SetDir with
// Options.Dir before the first record of every pass.
type DirParser interface {
	Parser
	SetDir(dir string)
}

// FileSkipper is implemented by parsers whose records name files (see
// DirParser) and that can read those records without the files, as a
// guess of a file's format does (formats.Guess).
type FileSkipper interface {
	SkipFiles()
}

// withDir hands o.Dir to p if it is a DirParser.
func withDir(p Parser, o Options) Parser {
	if dp, ok := p.(DirParser); ok {
		dp.SetDir(o.Dir)
	}
	return p
}

// ParserConfig is what a format's parser is told of the import: the
// feed and category of records that name none, and where a parser that
// spills to disk keeps its temporary files. Parser constructors take it,
// not Options, so a parser cannot come to depend on how the run is driven.
type ParserConfig struct {
	// Feed names the source of the file: the feed of records that name
	// none (for a feed-specific format, replacing its default name).
	Feed string
	// Category is the category of records that name none (list formats).
	Category intel.Category
	// TempDir is where a parser keeps temporary files (os.TempDir if
	// empty).
	TempDir string
}

// ParserConfig returns the part of o a parser reads.
func (o Options) ParserConfig() ParserConfig {
	return ParserConfig{Feed: o.Feed, Category: o.Category, TempDir: o.TempDir}
}

func (o Options) withDefaults(st store.Intel) Options {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSizeServer
		if store.Pipelines(st) {
			o.BatchSize = DefaultBatchSize
		}
	}
	if o.ShowBad == 0 {
		o.ShowBad = DefaultShowBad
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// displayName is the file name shown in messages.
func (o Options) displayName() string {
	if o.File == "" || o.File == "-" {
		return "stdin"
	}
	return o.File
}

// baseName is the file name recorded as provenance.
func (o Options) baseName() string { return filepath.Base(o.displayName()) }

// BadLine is one skipped line (or, for a stream format, object) and why.
type BadLine struct {
	Line   int
	Unit   string // "" or UnitLine: Line is a line number; UnitObject: an object number
	Reason string
}

// Summary is the outcome of one import.
type Summary struct {
	File     string
	Read     int64     // data lines read (lines that held records, and bad lines)
	Applied  int64     // data lines whose records were committed
	Skipped  int64     // bad lines
	Records  int64     // store records written; a line can make several (ranges split into CIDRs, a domain's URL attached to each of its addresses, a report's indicator list)
	Unplaced int64     // records dropped because their host is a domain with no known address
	Ignored  []Ignored // valid records the format passes over on purpose (see Ignorer)
	Bad      []BadLine
	Elapsed  time.Duration
	// AllOrNothing reports that the input was known to be whole before the
	// first commit (a verified gzip file, a complete copy of a stream, a
	// strict import's first pass), so that a damaged or broken-off input
	// committed nothing. Otherwise (a plain file, any other reader) the
	// records are committed as the input is read, and an input that fails
	// to read part-way leaves a prefix committed.
	AllOrNothing bool
}

// String is the one-line summary printed at the end of an import.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported %s: %d records read, %d applied, %d skipped", s.File, s.Read, s.Applied, s.Skipped)
	if s.Unplaced > 0 {
		fmt.Fprintf(&b, ", %d without a known address", s.Unplaced)
	}
	if len(s.Ignored) > 0 {
		b.WriteString(", " + ignoredString(s.Ignored))
	}
	if s.AllOrNothing {
		b.WriteString(", all or nothing")
	} else {
		b.WriteString(", prefix")
	}
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(&b, ", %.1fs", secs)
	if secs > 0 {
		fmt.Fprintf(&b, ", %.0f records/s", float64(s.Read)/secs)
	}
	return b.String()
}

// LineError is a bad line (or object) that stopped a strict import.
type LineError struct {
	File   string
	Line   int
	Unit   string // as BadLine.Unit
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.File, where(e.Unit, e.Line), e.Reason)
}

// ErrNotRewindable is returned by Rewind for inputs that can be read once only.
var ErrNotRewindable = errors.New("input cannot be re-read")

// Rewinder is implemented by inputs that may be read again from the start
// (Input does, and can when it is a regular file).
type Rewinder interface {
	Rewindable() bool
	Rewind() error
}

// Verifier is implemented by inputs that can make sure they read to their
// end before anything of them is committed (Input does). Import calls
// Verify before the importing pass (not for a strict import, whose first
// pass reads the whole input anyway).
type Verifier interface {
	// Verify reads the input to its end if need be, calling progress now
	// and then, and positions it at its start again. It reports whether the
	// input is now known to be whole; an input that fails to read is an
	// error (a *ReadError), and nothing of it must be imported.
	Verify(ctx context.Context, progress func()) (whole bool, err error)
}

// progressReporter is implemented by inputs that know how far they are
// (in bytes of the file, which may be compressed).
type progressReporter interface {
	Progress() (done, total int64)
}

// Import streams r through parsers made by newParser into st.
//
// Memory is bounded: lines are read up to MaxLineLength, batches hold at most
// BatchSize records (and 16 MiB of input), and at most four batches exist at
// a time: one being parsed, one queued, one being merged and one being
// committed.
//
// Without Strict a bad line is skipped, counted and, for the first ShowBad,
// kept with its reason. With Strict the file is read twice: a first pass
// parses every line and stops at the first bad one with a *LineError and
// nothing committed; only a clean file is read again and applied. Inputs that
// implement Rewinder (regular files) are re-read from the start; any other
// stream (standard input, a pipe) is copied to a temporary file in
// Options.TempDir during the first pass, so a strict import of a stream
// needs as much free disk as the stream's (uncompressed) size, never memory.
//
// An input that fails to read (a *ReadError: damaged gzip content, a
// stream that broke off, a failing disk) stops the import. Whether anything
// of it was committed then depends on the input, as Summary.AllOrNothing
// reports: an input that implements Verifier and reports itself whole
// (Input: gzip content, which is decompressed to its end once first so
// that every member's checksum is checked before the first commit, and
// standard input, which is copied whole to a temporary file first) and a
// strict import commit nothing; a plain file and other readers are
// committed as they are read, so the batches before the error stay
// committed.
//
// A store error stops the import; batches applied before it stay committed,
// and running the import again completes the file without duplicating
// anything.
func Import(ctx context.Context, st store.Intel, r io.Reader, newParser func() Parser, o Options) (Summary, error) {
	o = o.withDefaults(st)
	start := time.Now()
	sum := Summary{File: o.displayName()}
	if o.Strict {
		rr, cleanup, err := validate(ctx, r, withDir(newParser(), o), o)
		if err != nil {
			return sum, err
		}
		defer cleanup()
		r = rr
		sum.AllOrNothing = true
	} else if v, ok := r.(Verifier); ok {
		prog := newProgress(o, r, "verifying")
		whole, err := v.Verify(ctx, func() { prog.update(-1) })
		prog.done()
		if err != nil {
			return sum, err
		}
		sum.AllOrNothing = whole
	}
	err := run(ctx, st, r, withDir(newParser(), o), o, &sum)
	sum.Elapsed = time.Since(start)
	return sum, err
}

// readError makes err, met reading the input, a *ReadError.
func readError(o Options, err error) error {
	var re *ReadError
	if errors.As(err, &re) {
		return re
	}
	return &ReadError{File: o.displayName(), Err: err}
}

// prepWork is a prepared batch on its way to the store: the records its
// join dropped for want of an address and the domains it holds (see
// joiner.hold).
type prepWork struct {
	w        *work
	unplaced int64
	doms     []string
	plan     store.Plan // what the store did of its merge (store.PrepareBatch)
}

// work is one batch travelling between the parser and the applier.
type work struct {
	b        intel.Batch
	lines    int64 // data lines behind the records
	lastLine int
}

// run is the importing pass: the caller's goroutine reads and parses, one
// goroutine prepares batches (provenance, domain join), one applies them.
// A store that pipelines (store.Pipeliner) commits a batch while the next
// one merges, which the next one after may be prepared alongside; a join
// of a domain that a batch prepared before and not committed yet resolved
// waits for the commits (see joiner.settled).
func run(ctx context.Context, st store.Intel, r io.Reader, p Parser, o Options, sum *Summary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Batches: one being parsed, one waiting, one being prepared, one
	// merging, one committing.
	const works = 5
	full := make(chan *work, 1)
	prepared := make(chan prepWork)
	free := make(chan *work, works)
	for range works {
		free <- &work{}
	}
	type result struct {
		applied, records, unplaced int64
		err                        error
	}
	done := make(chan result, 1)
	j := &joiner{st: st, o: o, src: intel.Source{Feed: o.Feed, File: o.baseName(), Imported: o.Now().UTC()}}
	var inflight sync.WaitGroup // batches prepared for ApplyAsync, not committed
	j.wait = inflight.Wait
	var (
		mu  sync.Mutex // guards res
		res result
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return res.err != nil
	}
	recycle := func(w *work) {
		w.b.Reset()
		w.lines = 0
		free <- w
	}
	// finish counts an applied batch, or keeps the first error, and
	// hands the batch back to the parser.
	finish := func(w *work, unplaced int64, err error) {
		mu.Lock()
		if err != nil {
			if res.err == nil {
				res.err = fmt.Errorf("import %s: apply records up to line %d: %w", o.displayName(), w.lastLine, err)
				cancel()
			}
		} else {
			res.applied += w.lines
			res.records += int64(w.b.Len())
			res.unplaced += unplaced
		}
		mu.Unlock()
		recycle(w)
	}
	// Prepare: a batch counts as in flight (its domains held) from here
	// to its commit, so that the join of the next one waits for it.
	go func() {
		defer close(prepared)
		for w := range full {
			if failed() {
				recycle(w)
				continue
			}
			unplaced, err := j.prepare(ctx, &w.b)
			var plan store.Plan
			if err == nil {
				plan, err = store.PrepareBatch(st, &w.b)
			}
			if err != nil {
				finish(w, unplaced, err)
				continue
			}
			inflight.Add(1)
			prepared <- prepWork{w, unplaced, j.hold(&w.b), plan}
		}
	}()
	go func() {
		for pw := range prepared {
			w, unplaced, doms := pw.w, pw.unplaced, pw.doms
			if failed() {
				j.release(doms)
				inflight.Done()
				recycle(w)
				continue
			}
			err := store.ApplyPlannedAsync(ctx, st, &w.b, pw.plan, func(err error) {
				j.release(doms)
				finish(w, unplaced, err)
				inflight.Done()
			})
			if err == nil {
				continue
			}
			j.release(doms)
			inflight.Done()
			finish(w, unplaced, err)
		}
		inflight.Wait()
		mu.Lock()
		defer mu.Unlock()
		done <- res
	}()

	perr := importPass(ctx, r, p, o, sum, full, free)
	close(full)
	if ig, ok := p.(Ignorer); ok {
		sum.Ignored = ig.Ignored()
	}
	out := <-done
	sum.Applied = out.applied
	sum.Records = out.records
	sum.Unplaced = out.unplaced
	// What was applied is made durable even when the import failed or was
	// cancelled: the summary counts it (store.Syncer).
	if err := store.Sync(context.WithoutCancel(ctx), st); err != nil && out.err == nil {
		out.err = fmt.Errorf("import %s: %w", o.displayName(), err)
	}
	if out.err != nil {
		return out.err
	}
	if perr != nil {
		return perr
	}
	// The whole file is in: its snapshot feeds have a new version.
	if err := store.PutFeedVersions(ctx, st, j.versions()); err != nil {
		return fmt.Errorf("import %s: record the feed's version: %w", o.displayName(), err)
	}
	return nil
}

// mark remembers the lengths of a batch's slices, to drop what a bad line
// appended.
type mark struct {
	n    int
	lens [16]int
}

func markOf(b *intel.Batch) mark {
	return mark{n: b.Len(), lens: [16]int{
		len(b.Sightings), len(b.Listings), len(b.HostedURLs), len(b.Files),
		len(b.Resolutions), len(b.Domains), len(b.Masks), len(b.SpamEvents),
		len(b.PhishingEvents), len(b.Reports), len(b.ReportLinks), len(b.Countries),
		len(b.ASRanges), len(b.WhoisNets), len(b.NetListings), len(b.Allows),
	}}
}

func (m mark) rollback(b *intel.Batch) {
	if b.Len() == m.n {
		return
	}
	b.Sightings = b.Sightings[:m.lens[0]]
	b.Listings = b.Listings[:m.lens[1]]
	b.HostedURLs = b.HostedURLs[:m.lens[2]]
	b.Files = b.Files[:m.lens[3]]
	b.Resolutions = b.Resolutions[:m.lens[4]]
	b.Domains = b.Domains[:m.lens[5]]
	b.Masks = b.Masks[:m.lens[6]]
	b.SpamEvents = b.SpamEvents[:m.lens[7]]
	b.PhishingEvents = b.PhishingEvents[:m.lens[8]]
	b.Reports = b.Reports[:m.lens[9]]
	b.ReportLinks = b.ReportLinks[:m.lens[10]]
	b.Countries = b.Countries[:m.lens[11]]
	b.ASRanges = b.ASRanges[:m.lens[12]]
	b.WhoisNets = b.WhoisNets[:m.lens[13]]
	b.NetListings = b.NetListings[:m.lens[14]]
	b.Allows = b.Allows[:m.lens[15]]
}

// lineReader reads lines of bounded length.
type lineReader struct {
	br     *bufio.Reader
	buf    []byte
	lineNo int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line without its line ending (valid until the next
// call). A line longer than MaxLineLength is consumed and reported with
// tooLong. At the end it returns io.EOF.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			if !tooLong {
				if len(lr.buf)+len(chunk) > MaxLineLength {
					tooLong = true
					lr.buf = lr.buf[:0]
				} else {
					lr.buf = append(lr.buf, chunk...)
				}
			}
			continue
		case err == io.EOF && len(chunk) == 0 && len(lr.buf) == 0 && !tooLong:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		lr.lineNo++
		if tooLong || len(lr.buf)+len(chunk) > MaxLineLength+2 {
			return nil, true, nil
		}
		if len(lr.buf) > 0 {
			lr.buf = append(lr.buf, chunk...)
			line = lr.buf
		} else {
			line = chunk
		}
		line = trimEOL(line)
		if lr.lineNo == 1 {
			line = trimBOM(line)
		}
		if len(line) > MaxLineLength {
			return nil, true, nil
		}
		return line, false, nil
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}
