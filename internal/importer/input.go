package importer

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Input is a file opened for import: standard input for "-", gzip-compressed
// content decompressed transparently (recognised by its magic bytes, whatever
// the file is called). It reports progress in bytes of the file as stored
// and can be re-read from the start when it is a regular file.
//
// Standard input and other streams are copied whole to a temporary file
// before anything is read from them (OpenStream), and gzip content is
// decompressed to its end once before the import (Verify), so that a
// stream that breaks off or a damaged compressed file commits nothing; see
// Verifier.
type Input struct {
	name  string
	f     *os.File
	size  int64 // -1: unknown
	cr    *countingReader
	br    *bufio.Reader
	zr    *gzip.Reader
	r     io.Reader
	reg   bool
	whole bool   // the content is a complete copy of a stream
	spool string // the copy's path, to remove on Close ("" once removed)
}

// OpenInput opens path for import; "-" is standard input, copied to a
// temporary file in os.TempDir first (see OpenStream).
func OpenInput(path string) (*Input, error) {
	if path == "-" {
		return OpenStream(os.Stdin, "stdin", "")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return newInput(path, f)
}

// OpenCopy opens a complete copy of a stream kept in the file path (as
// ScanSet keeps standard input), under the stream's name. Like the input
// of OpenStream it is known to be whole; path is not removed.
func OpenCopy(path, name string) (*Input, error) {
	in, err := OpenInput(path)
	if err != nil {
		return nil, err
	}
	in.name, in.whole = name, true
	return in, nil
}

// OpenStream copies r (standard input, a connection) to its end into a
// temporary file in tempDir (os.TempDir if empty), as it comes (gzip
// content stays compressed), and opens the copy for import under name.
// Nothing of a stream that fails to read to its end reaches the import: the
// error is a *ReadError and the copy is removed. Otherwise the copy is
// removed when the Input is closed (on Unix at once, the open file keeping
// its content, so that not even a killed process leaves it behind). The copy
// needs as much free disk as the stream's size; memory stays bounded.
func OpenStream(r io.Reader, name, tempDir string) (*Input, error) {
	f, err := os.CreateTemp(tempDir, "tipd-stdin-*")
	if err != nil {
		return nil, fmt.Errorf("keep a copy of %s: %w", name, err)
	}
	path := f.Name()
	if os.Remove(path) == nil {
		path = ""
	}
	fail := func(err error) (*Input, error) {
		f.Close()
		if path != "" {
			os.Remove(path)
		}
		return nil, err
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(spoolWriter{f}, struct{ io.Reader }{r}, buf); err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return fail(fmt.Errorf("keep a copy of %s: %w", name, we.err))
		}
		return fail(&ReadError{File: name, Err: err})
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("keep a copy of %s: %w", name, err))
	}
	in, err := newInput(name, f)
	if err != nil {
		if path != "" {
			os.Remove(path)
		}
		return nil, err
	}
	in.whole, in.spool = true, path
	return in, nil
}

func newInput(name string, f *os.File) (*Input, error) {
	in := &Input{name: name, size: -1, f: f}
	if fi, err := in.f.Stat(); err == nil && fi.Mode().IsRegular() {
		in.size = fi.Size()
		in.reg = true
	}
	in.cr = &countingReader{r: in.f}
	in.br = bufio.NewReaderSize(in.cr, 256<<10)
	if err := in.setup(); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// setup looks at the first bytes and puts a gzip reader in front if needed.
func (in *Input) setup() error {
	magic, _ := in.br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if in.zr == nil {
			zr, err := gzip.NewReader(in.br)
			if err != nil {
				return &ReadError{File: in.name, Err: err, Compressed: true}
			}
			in.zr = zr
		} else if err := in.zr.Reset(in.br); err != nil {
			return &ReadError{File: in.name, Err: err, Compressed: true}
		}
		in.r = in.zr
		return nil
	}
	in.r = in.br
	return nil
}

// Name is the path as given ("stdin" for "-").
func (in *Input) Name() string { return in.name }

// BaseName is the file's base name, as recorded in provenance.
func (in *Input) BaseName() string { return filepath.Base(in.name) }

// Compressed reports whether the content is gzip-compressed.
func (in *Input) Compressed() bool { return in.r == in.zr && in.zr != nil }

// Read reads decompressed content. Its errors other than io.EOF are
// *ReadError.
func (in *Input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if err != nil && err != io.EOF {
		err = &ReadError{File: in.name, Err: err, Compressed: in.Compressed()}
	}
	return n, err
}

// Progress returns the bytes of the file read so far and its size (0 when
// unknown, as for a pipe).
func (in *Input) Progress() (done, total int64) {
	done = in.cr.n - int64(in.br.Buffered())
	if in.size < 0 {
		return done, 0
	}
	return done, in.size
}

// Rewindable reports whether Rewind can work: the input is a regular file.
func (in *Input) Rewindable() bool { return in.reg }

// Rewind positions the input at its start again. It returns
// ErrNotRewindable for standard input and other streams.
func (in *Input) Rewind() error {
	if !in.reg {
		return ErrNotRewindable
	}
	if _, err := in.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", in.name, err)
	}
	in.cr.n = 0
	in.br.Reset(in.cr)
	return in.setup()
}

// Verify implements Verifier. A gzip file is decompressed to its end,
// which checks the CRC-32 and length of every member, and rewound; a
// complete copy of a stream (OpenStream, OpenCopy) is whole as it is. A
// plain regular file is not read: it reports false, and is imported as it
// is read (a read error part-way leaves the lines before it committed).
func (in *Input) Verify(ctx context.Context, progress func()) (bool, error) {
	if !in.Compressed() {
		return in.whole, nil
	}
	if !in.reg {
		return false, nil
	}
	buf := make([]byte, 256<<10)
	for i := 0; ; i++ {
		_, err := in.zr.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, &ReadError{File: in.name, Err: err, Compressed: true}
		}
		if i&63 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if progress != nil {
				progress()
			}
		}
	}
	if err := in.Rewind(); err != nil {
		return false, err
	}
	return true, nil
}

// Close closes the file (not standard input) and removes a copy of a
// stream.
func (in *Input) Close() error {
	if in.zr != nil {
		in.zr.Close()
	}
	var err error
	if in.f != nil && in.f != os.Stdin {
		err = in.f.Close()
	}
	if in.spool != "" {
		os.Remove(in.spool)
		in.spool = ""
	}
	return err
}

// ReadError is an input that could not be read to its end: a stream that
// broke off, a file the system failed to read, damaged or truncated gzip
// content.
type ReadError struct {
	File       string
	Err        error
	Compressed bool // the error is in gzip content
}

func (e *ReadError) Error() string {
	if e.Compressed {
		return fmt.Sprintf("%s is damaged: %s", e.File, gzipReason(e.Err))
	}
	return fmt.Sprintf("cannot read %s: %v", e.File, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// gzipReason says what is wrong with gzip content in words.
func gzipReason(err error) string {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the gzip data ends early (truncated)"
	case errors.Is(err, gzip.ErrChecksum):
		return "gzip checksum mismatch"
	case errors.Is(err, gzip.ErrHeader):
		return "bad gzip header"
	case errors.As(err, &ce):
		return fmt.Sprintf("corrupt gzip data at byte %d of a member", int64(ce))
	}
	return "gzip: " + err.Error()
}

// writeError marks a failure to write the copy of a stream.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// spoolWriter writes the copy of a stream, telling its errors from the
// stream's.
type spoolWriter struct{ f *os.File }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
