package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tipd/tipd/internal/importer"
)

// variedSightings is n sightings of different addresses, which compress
// about as badly as a real feed.
func variedSightings(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"kind":"sighting","ip":"45.%d.%d.%d","day":"2026-11-2%d","hits":%d}`+"\n", 95+i>>16&63, i>>8&255, i&255, i%8, 1+i%97)
	}
	return b.String()
}

// variedArray is variedSightings as a document of the stream test format.
func variedArray(n int) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"ip":"45.%d.%d.%d"}`, 95+i>>16&63, i>>8&255, i&255)
	}
	b.WriteString("\n]\n")
	return b.String()
}

func gzipBytes(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// damages are ways gzip content gets broken in transit or on disk.
var damages = []struct {
	name   string
	damage func([]byte) []byte
	reason string
}{
	{"64 bytes flipped in the middle", func(b []byte) []byte {
		for i := len(b) / 2; i < len(b)/2+64; i++ {
			b[i] ^= 0x55
		}
		return b
	}, ""},
	{"truncated at 70%", func(b []byte) []byte { return b[:len(b)*7/10] }, "ends early (truncated)"},
	{"trailer cut off", func(b []byte) []byte { return b[:len(b)-8] }, "ends early (truncated)"},
	{"checksum flipped", func(b []byte) []byte { b[len(b)-8] ^= 1; return b }, "checksum mismatch"},
}

// TestImportDamagedGzipCommitsNothing imports gzip files damaged in several
// ways, of a line format and of a stream format, many batches long: the
// import fails with a *ReadError naming the damage and commits nothing,
// although the damage lies far behind the first batches.
func TestImportDamagedGzipCommitsNothing(t *testing.T) {
	formats := []struct {
		name      string
		content   string
		newParser func(importer.Options) func() importer.Parser
	}{
		{"jsonl", variedSightings(20000), newJSONL},
		{"stream", variedArray(20000), func(importer.Options) func() importer.Parser { return newArray }},
	}
	for _, f := range formats {
		for _, d := range damages {
			for _, strict := range []bool{false, true} {
				name := f.name + "/" + d.name
				if strict {
					name += "/strict"
				}
				t.Run(name, func(t *testing.T) {
					p := filepath.Join(t.TempDir(), "feed.gz")
					if err := os.WriteFile(p, d.damage(gzipBytes(t, f.content)), 0o644); err != nil {
						t.Fatal(err)
					}
					in, err := importer.OpenInput(p)
					if err != nil {
						t.Fatal(err)
					}
					defer in.Close()
					o := importer.Options{File: p, BatchSize: 100, Strict: strict, TempDir: t.TempDir()}
					st := &sink{}
					_, err = importer.Import(context.Background(), st, in, f.newParser(o), o)
					var re *importer.ReadError
					if !errors.As(err, &re) || !re.Compressed || !strings.HasPrefix(err.Error(), p+" is damaged: ") {
						t.Fatalf("got error %v, want a *ReadError saying %s is damaged", err, p)
					}
					if d.reason != "" && !strings.Contains(err.Error(), d.reason) {
						t.Errorf("got error %q, want it to say %q", err, d.reason)
					}
					if st.batches != 0 {
						t.Errorf("applied %d batches (%d sightings) of a damaged file, want none", st.batches, st.applied())
					}
				})
			}
		}
	}
}

// TestImportGzipMembers imports a file of two gzip members (as `cat a.gz
// b.gz` makes): both are verified and imported.
func TestImportGzipMembers(t *testing.T) {
	all := variedSightings(5000)
	first, second := all[:len(variedSightings(3000))], all[len(variedSightings(3000)):]
	p := filepath.Join(t.TempDir(), "two.gz")
	if err := os.WriteFile(p, append(gzipBytes(t, first), gzipBytes(t, second)...), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := importer.OpenInput(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o := importer.Options{File: p, BatchSize: 100}
	st := &sink{}
	sum, err := importer.Import(context.Background(), st, in, newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 5000 || st.applied() != 5000 || !sum.AllOrNothing {
		t.Errorf("got %d applied, %d stored, all or nothing %v; want 5000, 5000, true", sum.Applied, st.applied(), sum.AllOrNothing)
	}
	if !strings.Contains(sum.String(), " 0 skipped, all or nothing, ") {
		t.Errorf("summary %q does not say all or nothing", sum)
	}
}

// TestOpenStream imports standard-input-like streams: a stream is copied
// whole to a temporary file before anything of it is parsed, so a stream
// that breaks off, or whose gzip content is damaged, commits nothing, and
// the copy is removed in every case.
func TestOpenStream(t *testing.T) {
	content := variedSightings(20000)
	broken := errors.New("connection reset by peer")
	for _, c := range []struct {
		name    string
		stream  func() io.Reader
		wantErr string
	}{
		{"plain", func() io.Reader { return strings.NewReader(content) }, ""},
		{"gzip", func() io.Reader { return bytes.NewReader(gzipBytes(t, content)) }, ""},
		{"plain, breaks off", func() io.Reader {
			return io.MultiReader(strings.NewReader(content[:len(content)*9/10]), iotest.ErrReader(broken))
		}, "cannot read stdin: connection reset by peer"},
		{"gzip, breaks off", func() io.Reader {
			z := gzipBytes(t, content)
			return io.MultiReader(bytes.NewReader(z[:len(z)*9/10]), iotest.ErrReader(broken))
		}, "cannot read stdin: connection reset by peer"},
		{"gzip, damaged", func() io.Reader { return bytes.NewReader(damages[0].damage(gzipBytes(t, content))) }, "stdin is damaged: "},
		{"gzip, truncated", func() io.Reader { return bytes.NewReader(damages[1].damage(gzipBytes(t, content))) }, "stdin is damaged: the gzip data ends early (truncated)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			o := importer.Options{File: "-", BatchSize: 100}
			st := &sink{}
			in, err := importer.OpenStream(c.stream(), "stdin", tmp)
			var sum importer.Summary
			if err == nil {
				sum, err = importer.Import(context.Background(), st, in, newJSONL(o), o)
				in.Close()
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if c.wantErr != "" {
				var re *importer.ReadError
				if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), c.wantErr) {
					t.Fatalf("got error %v, want a *ReadError starting %q", err, c.wantErr)
				}
				if st.batches != 0 {
					t.Errorf("applied %d batches of a broken stream, want none", st.batches)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Applied != 20000 || st.applied() != 20000 || !sum.AllOrNothing {
				t.Errorf("got %d applied, %d stored, all or nothing %v; want 20000, 20000, true", sum.Applied, st.applied(), sum.AllOrNothing)
			}
		})
	}
}

// TestImportPlainReadErrorKeepsPrefix reads a plain input that fails
// part-way: what was read before is committed (the resumable prefix of a
// plain file), the error is a *ReadError, and the summary says "prefix".
func TestImportPlainReadErrorKeepsPrefix(t *testing.T) {
	content := variedSightings(5000)
	o := importer.Options{File: "feed.jsonl", BatchSize: 100}
	st := &sink{}
	r := io.MultiReader(strings.NewReader(content[:len(content)/2]), iotest.ErrReader(errors.New("input/output error")))
	sum, err := importer.Import(context.Background(), st, r, newJSONL(o), o)
	var re *importer.ReadError
	if !errors.As(err, &re) || re.Compressed || err.Error() != "cannot read feed.jsonl: input/output error" {
		t.Fatalf("got error %v, want a *ReadError", err)
	}
	if sum.AllOrNothing || sum.Applied < 2000 || int64(st.applied()) != sum.Applied {
		t.Errorf("got all or nothing %v, %d applied, %d stored; want a prefix of about 2500 applied", sum.AllOrNothing, sum.Applied, st.applied())
	}

	// A whole plain file: imported as it is read, and the summary says so.
	p := writeFile(t, "feed.jsonl", content, false)
	in, err := importer.OpenInput(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o.File = p
	sum, err = importer.Import(context.Background(), &sink{}, in, newJSONL(o), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.AllOrNothing || !strings.Contains(sum.String(), " 0 skipped, prefix, ") {
		t.Errorf("summary %q of a plain file does not say prefix", sum)
	}
}

// TestImportStreamReadError checks that a stream format's input failing
// part-way is a read error, not a bad record of an import that succeeds.
func TestImportStreamReadError(t *testing.T) {
	doc := variedArray(5000)
	o := importer.Options{File: "feed.json", BatchSize: 100}
	for _, strict := range []bool{false, true} {
		o.Strict = strict
		o.TempDir = t.TempDir()
		r := io.MultiReader(strings.NewReader(doc[:len(doc)/2]), iotest.ErrReader(errors.New("input/output error")))
		sum, err := importer.Import(context.Background(), &sink{}, r, newArray, o)
		var re *importer.ReadError
		if !errors.As(err, &re) || err.Error() != "cannot read feed.json: input/output error" {
			t.Errorf("strict %v: got error %v (summary %q), want a *ReadError", strict, err, sum)
		}
	}
}
