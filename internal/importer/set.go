package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Ignored counts valid records that a parser passed over on purpose (a
// passive DNS record of a type that carries no address, a hostname in an
// address allow list). They are neither imported nor bad lines.
type Ignored struct {
	What string // why, e.g. "rrtype CNAME"
	N    int64
}

// Ignorer is implemented by parsers that pass over valid records; Import
// copies what the importing pass's parser reports into Summary.Ignored.
type Ignorer interface {
	Ignored() []Ignored
}

// IgnoreCounter is a helper for Ignorer implementations: counts by reason.
// The zero value is ready to use.
type IgnoreCounter struct {
	n map[string]int64
}

// Add counts one record passed over for reason what.
func (c *IgnoreCounter) Add(what string) {
	if c.n == nil {
		c.n = make(map[string]int64)
	}
	c.n[what]++
}

// Ignored lists the counts, most frequent first (then by reason).
func (c *IgnoreCounter) Ignored() []Ignored {
	if len(c.n) == 0 {
		return nil
	}
	out := make([]Ignored, 0, len(c.n))
	for w, n := range c.n {
		out = append(out, Ignored{What: w, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].What < out[j].What
	})
	return out
}

func ignoredString(ig []Ignored) string {
	var total int64
	parts := make([]string, 0, len(ig))
	for _, x := range ig {
		total += x.N
		parts = append(parts, fmt.Sprintf("%d %s", x.N, x.What))
	}
	return fmt.Sprintf("%d ignored (%s)", total, strings.Join(parts, ", "))
}

// FileSet is a format whose files are imported together because records in
// one file refer to objects defined in another: an RPSL dump split into one
// file per object type, whose networks name contacts kept in the
// organisation, role and person files.
//
// The caller passes every file of the set to Scan (ScanSet does this), then
// calls Prepare once, then imports each file with Import as usual, using
// NewParser as the parser factory; parsers resolve references through what
// Scan kept, whatever file defined it. Close releases what Scan kept
// (temporary files). A FileSet is used by one import at a time.
type FileSet interface {
	// Scan reads one file for the objects other records refer to. It
	// reports only errors that make the file unreadable; bad lines are
	// reported by the import pass.
	Scan(ctx context.Context, r io.Reader, file string) error
	// Prepare ends scanning; NewParser may be called afterwards.
	Prepare() error
	// NewParser returns a parser for one pass over one file.
	NewParser() Parser
	// Close releases the set's resources.
	Close() error
}

// ScanSet is the first pass of a file-set import: it reads every file of
// paths (opened with OpenInput; gzip is decompressed) through set.Scan and
// calls set.Prepare. "-" is read from stdin once, copied to a temporary
// file in tempDir (os.TempDir if empty) before it is scanned; the returned
// list names that copy in place of "-", so that the import pass reads the
// same content again (open it with OpenCopy). cleanup removes the copy;
// call it after the import. A file that fails to read to its end (a stream
// that breaks off, damaged gzip content) fails the scan, before anything
// of the set is imported.
func ScanSet(ctx context.Context, set FileSet, paths []string, stdin io.Reader, tempDir string) (files []string, cleanup func(), err error) {
	var temps []string
	cleanup = func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	files = make([]string, len(paths))
	for i, p := range paths {
		files[i] = p
		if p == "-" {
			f, err := os.CreateTemp(tempDir, "tipd-set-*")
			if err != nil {
				cleanup()
				return nil, func() {}, fmt.Errorf("scan standard input: keep a copy: %w", err)
			}
			temps = append(temps, f.Name())
			_, err = io.CopyBuffer(spoolWriter{f}, struct{ io.Reader }{stdin}, make([]byte, 1<<20))
			var we *writeError
			switch cerr := f.Close(); {
			case errors.As(err, &we):
				err = fmt.Errorf("scan standard input: keep a copy: %w", we.err)
			case err != nil:
				err = &ReadError{File: "stdin", Err: err}
			case cerr != nil:
				err = fmt.Errorf("scan standard input: keep a copy: %w", cerr)
			}
			if err != nil {
				cleanup()
				return nil, func() {}, err
			}
			files[i] = f.Name()
		}
		in, err := OpenInput(files[i])
		if err != nil {
			cleanup()
			return nil, func() {}, fmt.Errorf("scan %s: %w", p, err)
		}
		err = set.Scan(ctx, in, p)
		in.Close()
		if err != nil {
			cleanup()
			return nil, func() {}, err
		}
	}
	if err := set.Prepare(); err != nil {
		cleanup()
		return nil, func() {}, err
	}
	return files, cleanup, nil
}

// ReadLines calls fn with every line of r as the import pass sees it:
// without its line ending, a byte-order mark removed from the first line,
// lines longer than MaxLineLength skipped. fn must not retain line. It
// stops at the first error of fn or of reading.
func ReadLines(ctx context.Context, r io.Reader, fn func(line []byte, lineNo int) error) error {
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if lr.lineNo&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if tooLong {
			continue
		}
		if err := fn(line, lr.lineNo); err != nil {
			return err
		}
	}
}
