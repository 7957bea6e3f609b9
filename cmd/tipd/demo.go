package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/formats"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/taxii"
)

// demoQuota is the demo user's daily quota.
const demoQuota = 100000

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("demo", "[-addr 127.0.0.1:8080] [-store URL] [-size N] [-seed S]")
	storeURL := fs.String("store", "", "store URL (default: a fresh temporary Pebble store, removed at exit)")
	size := fs.Int("size", gen.DefaultSize, "number of addresses in the demo world")
	seed := fs.Int64("seed", 1, "selects one of the possible worlds")
	var c serveConfig
	apply := e.serveFlags(fs, &c)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo takes no arguments, got %q", pos[0])
	}
	if *size < 1 || *size > gen.MaxSize {
		return usagef("-size must be between 1 and %d", gen.MaxSize)
	}
	apply()
	// The demo logs as text for a person at a terminal unless -log or
	// TIPD_LOG says otherwise.
	logSet := e.getenv("TIPD_LOG") != ""
	fs.Visit(func(f *flag.Flag) { logSet = logSet || f.Name == "log" })
	if !logSet {
		c.logFormat = "text"
	}

	u := *storeURL
	temporary := u == ""
	if temporary {
		dir, err := os.MkdirTemp("", "tipd-demo-")
		if err != nil {
			return fmt.Errorf("create a temporary store: %w", err)
		}
		defer os.RemoveAll(dir)
		u = dir
	}
	st, loc, err := openStore(ctx, u, storeOptions{})
	if err != nil {
		return err
	}
	defer st.Close()

	ex, obj, err := demoImport(ctx, e, st, gen.Options{Size: *size, Seed: *seed, Now: e.now().UTC()})
	if err != nil {
		return err
	}
	svc := &access.Service{Store: st, Now: e.now}
	if _, err := svc.AddUser(ctx, "demo", access.License{Access: intel.AccessCommercial, DayQuota: demoQuota,
		Expires: e.now().UTC().Truncate(24*time.Hour).AddDate(1, 0, 0), APIAccess: true}); err != nil {
		return err
	}
	token, _, err := svc.IssueToken(ctx, "demo", access.DefaultTokenValidity)
	if err != nil {
		return err
	}
	net := netdata.NewHolder()
	if err := net.Refresh(ctx, st, true); err != nil {
		return err
	}
	b := &report.Builder{Store: st, Net: net, Now: e.now, Score: c.score}
	examples, err := demoExamples(ctx, b, ex)
	if err != nil {
		return err
	}
	objects, err := demoObjectExamples(ctx, b, obj)
	if err != nil {
		return err
	}
	var card []byte // the lines announced, printed again at the end
	c.announce = func(baseURL string) error {
		var w strings.Builder
		fmt.Fprintf(&w, "token: %s\n", token)
		fmt.Fprintf(&w, "url: %s\n", baseURL)
		switch {
		case temporary:
			fmt.Fprintf(&w, "store: %s (temporary: removed when the demo stops; -store DIR keeps one)\n", loc.path)
		case loc.kind == "pebble":
			fmt.Fprintf(&w, "store: %s\n", loc.path)
		}
		for _, x := range examples {
			fmt.Fprintf(&w, "example: %s %s\n", x.value, x.zone)
		}
		for _, x := range objects {
			fmt.Fprintf(&w, "example: %s %s\n", x.value, x.zone)
		}
		aliases := make([]string, 0, len(taxii.Collections))
		for _, c := range taxii.Collections {
			aliases = append(aliases, c.Alias)
		}
		fmt.Fprintf(&w, "taxii: %s/taxii2/ (collections %s; docs/taxii.md)\n", baseURL, strings.Join(aliases, ", "))
		fmt.Fprintf(&w, "try: curl -H 'Authorization: Bearer %s' %s/api/ip/%s\n", token, baseURL, examples[0].value)
		card = []byte(w.String())
		if loc.kind == "pebble" && !temporary {
			// The token is a secret: the file is the operator's alone.
			if err := os.WriteFile(filepath.Join(loc.path, demoCardFile), card, 0o600); err != nil {
				return fmt.Errorf("write %s: %w", demoCardFile, err)
			}
			fmt.Fprintf(&w, "card: %s\n", filepath.Join(loc.path, demoCardFile))
		}
		_, err := io.WriteString(e.stdout, w.String())
		return err
	}
	err = e.serve(ctx, st, loc, c)
	if card != nil {
		// Once the log has scrolled them away: the same lines again.
		fmt.Fprintf(e.stdout, "demo stopped; it served:\n%s", card)
	}
	return err
}

// demoCardFile is the file in a demo's Pebble store that holds the lines
// the demo printed when it started (token, url, examples).
const demoCardFile = "demo.txt"

// demoImport writes the generated world through the jsonl importer, the
// same path as `tipd import -format jsonl`.
func demoImport(ctx context.Context, e *env, st store.Store, o gen.Options) (gen.Examples, gen.ObjectExamples, error) {
	pr, pw := io.Pipe()
	var ex gen.Examples
	var obj gen.ObjectExamples
	errc := make(chan error, 1)
	go func() {
		var err error
		ex, obj, err = gen.WriteWorld(pw, o)
		pw.CloseWithError(err)
		errc <- err
	}()
	opts := importer.Options{Feed: "demo", File: "demo-world.jsonl", Now: e.now}
	newParser, err := formats.New("jsonl", opts.ParserConfig())
	if err != nil {
		return nil, obj, err
	}
	sum, err := importer.Import(ctx, st, pr, newParser, opts)
	pr.CloseWithError(err)
	if gerr := <-errc; gerr != nil {
		return nil, obj, fmt.Errorf("generate the demo world: %w", gerr)
	}
	if err != nil {
		return nil, obj, fmt.Errorf("import the demo world: %w", err)
	}
	if sum.Skipped > 0 {
		return nil, obj, fmt.Errorf("the demo world had %d bad lines (first: line %d: %s)", sum.Skipped, sum.Bad[0].Line, sum.Bad[0].Reason)
	}
	fmt.Fprintln(e.stderr, sum.String())
	if err := demoReportFiles(ctx, e, st, o); err != nil {
		return nil, obj, err
	}
	return ex, obj, nil
}

// demoReportFiles imports the world's reports again with their YARA rules
// and PDFs (gen.WriteWorldReports), written to a temporary directory,
// through the reports importer: the demo's publications have files.
func demoReportFiles(ctx context.Context, e *env, st store.Store, o gen.Options) error {
	dir, err := os.MkdirTemp("", "tipd-demo-reports-")
	if err != nil {
		return fmt.Errorf("write the demo's reports: %w", err)
	}
	defer os.RemoveAll(dir)
	var buf bytes.Buffer
	if err := gen.WriteWorldReports(&buf, dir, o); err != nil {
		return fmt.Errorf("generate the demo's reports: %w", err)
	}
	// The reports are the world's: their provenance stays the world's file.
	opts := importer.Options{Feed: "demo", File: "demo-world.jsonl", Dir: dir, Now: e.now}
	newParser, err := formats.New("reports", opts.ParserConfig())
	if err != nil {
		return err
	}
	sum, err := importer.Import(ctx, st, &buf, newParser, opts)
	if err != nil {
		return fmt.Errorf("import the demo's reports: %w", err)
	}
	if sum.Skipped > 0 {
		return fmt.Errorf("the demo's reports had %d bad lines (first: line %d: %s)", sum.Skipped, sum.Bad[0].Line, sum.Bad[0].Reason)
	}
	fmt.Fprintln(e.stderr, sum.String())
	return nil
}

type demoExample struct {
	value string
	zone  intel.Zone
}

// demoExamples picks, for each zone, up to two generated addresses whose
// answer really has that zone, and fails if Red, Orange, Green or Grey has
// none.
func demoExamples(ctx context.Context, b *report.Builder, ex gen.Examples) ([]demoExample, error) {
	var out []demoExample
	sec, err := report.ParseIPSections("Zone")
	if err != nil {
		return nil, err
	}
	for _, z := range []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey} {
		n := 0
		for _, ip := range ex[z] {
			r, err := b.IP(ctx, ip, sec, 1)
			if err != nil {
				return nil, err
			}
			if r.Zone == z {
				out = append(out, demoExample{ip.String(), z})
				if n++; n == 2 {
					break
				}
			}
		}
		if n == 0 && z != intel.ZoneYellow {
			return nil, fmt.Errorf("the demo world has no address answered %s", z)
		}
	}
	return out, nil
}

// demoObjectExamples picks, for each kind (domains, web addresses, files)
// and each zone it has, one or two generated objects whose own lookup
// really answers that zone, and fails if one of those zones has none.
func demoObjectExamples(ctx context.Context, b *report.Builder, ex gen.ObjectExamples) ([]demoExample, error) {
	zones := []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey}
	kinds := []struct {
		what  string
		m     map[intel.Zone][]string
		zone  func(string) (intel.Zone, error)
		files bool
	}{
		{"domain", ex.Domains, func(v string) (intel.Zone, error) {
			d, err := intel.NormalizeDomain(v)
			if err != nil {
				return "", err
			}
			r, err := b.Domain(ctx, d, report.SecZone, 1)
			if err != nil {
				return "", err
			}
			return r.Zone, nil
		}, false},
		{"web address", ex.URLs, func(v string) (intel.Zone, error) {
			r, err := b.URL(ctx, v, report.SecZone, 1)
			if err != nil {
				return "", err
			}
			return r.Zone, nil
		}, false},
		{"file", ex.Hashes, func(v string) (intel.Zone, error) {
			h, err := intel.NormalizeHash(v)
			if err != nil {
				return "", err
			}
			r, err := b.File(ctx, h, report.SecZone, 1)
			if err != nil {
				return "", err
			}
			return r.Zone, nil
		}, true},
	}
	var out []demoExample
	for _, k := range kinds {
		for _, z := range zones {
			if k.files && z == intel.ZoneOrange {
				continue // files are never Orange
			}
			n := 0
			for _, v := range k.m[z] {
				got, err := k.zone(v)
				if err != nil {
					return nil, err
				}
				if got == z {
					out = append(out, demoExample{v, z})
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("the demo world has no %s answered %s", k.what, z)
			}
		}
	}
	return out, nil
}
