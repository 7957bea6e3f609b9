package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// countrySet is a file-set format for the test: "name = CC" lines define a
// name in any file, "PREFIX name" lines use one; other names are ignored.
type countrySet struct {
	names    map[string]string
	scanned  []string
	prepared bool
}

func (s *countrySet) Scan(ctx context.Context, r io.Reader, file string) error {
	s.scanned = append(s.scanned, file)
	return importer.ReadLines(ctx, r, func(line []byte, _ int) error {
		if k, v, ok := strings.Cut(string(line), " = "); ok {
			s.names[k] = v
		}
		return nil
	})
}

func (s *countrySet) Prepare() error { s.prepared = true; return nil }
func (s *countrySet) Close() error   { return nil }

func (s *countrySet) NewParser() importer.Parser { return &countryParser{set: s} }

type countryParser struct {
	set     *countrySet
	ignored importer.IgnoreCounter
}

func (p *countryParser) Ignored() []importer.Ignored { return p.ignored.Ignored() }

func (p *countryParser) Parse(line []byte, _ int, b *intel.Batch) error {
	s := string(line)
	if strings.Contains(s, " = ") {
		return nil
	}
	pfx, name, _ := strings.Cut(s, " ")
	pf, err := netip.ParsePrefix(pfx)
	if err != nil {
		return fmt.Errorf("bad prefix %q", pfx)
	}
	cc, ok := p.set.names[name]
	if !ok {
		p.ignored.Add("unknown names")
		return nil
	}
	b.Countries = append(b.Countries, intel.CountryRange{Prefix: pf, Country: cc})
	return nil
}

func TestFileSet(t *testing.T) {
	dir := t.TempDir()
	nets := filepath.Join(dir, "nets.txt")
	os.WriteFile(nets, []byte("45.95.147.0/24 holland\n45.95.148.0/24 nowhere\n45.95.149.0/24 germany\nbad germany\n"), 0o644)
	defs := writeFile(t, "defs.txt.gz", "\xEF\xBB\xBFholland = NL\r\n", true)
	set := &countrySet{names: map[string]string{}}
	files, cleanup, err := importer.ScanSet(context.Background(), set, []string{nets, defs, "-"}, strings.NewReader("germany = DE\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if !set.prepared || len(set.scanned) != 3 || set.scanned[2] != "-" || set.names["holland"] != "NL" || set.names["germany"] != "DE" {
		t.Fatalf("got scanned %v, names %v, prepared %v", set.scanned, set.names, set.prepared)
	}
	if files[0] != nets || files[1] != defs || files[2] == "-" {
		t.Fatalf("got files %v, want the paths with a copy of stdin for -", files)
	}
	if data, err := os.ReadFile(files[2]); err != nil || string(data) != "germany = DE\n" {
		t.Fatalf("copy of stdin: %q, %v", data, err)
	}
	st := &sink{}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(readAll(t, nets)), set.NewParser, importer.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.b.Countries) != 2 || st.b.Countries[0].Country != "NL" || st.b.Countries[1].Country != "DE" {
		t.Errorf("got %+v, want NL and DE from names defined in the other files", st.b.Countries)
	}
	if len(sum.Ignored) != 1 || sum.Ignored[0] != (importer.Ignored{What: "unknown names", N: 1}) {
		t.Errorf("got ignored %+v, want 1 unknown name", sum.Ignored)
	}
	if s := sum.String(); !strings.Contains(s, "2 applied, 1 skipped, 1 ignored (1 unknown names)") {
		t.Errorf("got summary %q", s)
	}
	cleanup()
	if _, err := os.Stat(files[2]); !os.IsNotExist(err) {
		t.Errorf("copy of stdin not removed: %v", err)
	}
}

func TestIgnoreCounter(t *testing.T) {
	var c importer.IgnoreCounter
	if c.Ignored() != nil {
		t.Errorf("zero counter: got %v, want nil", c.Ignored())
	}
	for _, w := range []string{"b", "a", "b", "c"} {
		c.Add(w)
	}
	got := fmt.Sprint(c.Ignored())
	if want := "[{b 2} {a 1} {c 1}]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func readAll(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(data)) + "\n"
}
