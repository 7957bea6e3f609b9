package importer

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Input is a file opened for import: standard input for "-", gzip-compressed
// content decompressed transparently (recognised by its magic bytes, whatever
// the file is called). It reports progress in bytes of the file as stored
// and can be re-read from the start when it is a regular file.
type Input struct {
	name string
	f    *os.File
	size int64 // -1: unknown
	cr   *countingReader
	br   *bufio.Reader
	zr   *gzip.Reader
	r    io.Reader
	reg  bool
}

// OpenInput opens path ("-" is standard input) for import.
func OpenInput(path string) (*Input, error) {
	in := &Input{name: path, size: -1}
	if path == "-" {
		in.name = "stdin"
		in.f = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open input: %w", err)
		}
		in.f = f
	}
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
				return fmt.Errorf("open %s: gzip: %w", in.name, err)
			}
			in.zr = zr
		} else if err := in.zr.Reset(in.br); err != nil {
			return fmt.Errorf("open %s: gzip: %w", in.name, err)
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

// Read reads decompressed content.
func (in *Input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if err != nil && err != io.EOF && in.zr != nil && in.r == in.zr {
		err = fmt.Errorf("gzip: %w", err)
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

// Close closes the file (not standard input).
func (in *Input) Close() error {
	if in.zr != nil {
		in.zr.Close()
	}
	if in.f != nil && in.f != os.Stdin {
		return in.f.Close()
	}
	return nil
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
