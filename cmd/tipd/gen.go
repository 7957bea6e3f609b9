package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/intel"
)

func cmdGen(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("gen", "[-size N] [-seed S] [-now RFC3339] -out DIR")
	size := fs.Int("size", gen.DefaultSize, "number of addresses in the world")
	seed := fs.Int64("seed", 1, "selects one of the possible worlds")
	now := fs.String("now", "", "the world's present, RFC 3339 (default: now, to the hour)")
	out := fs.String("out", "", "directory to write the import files to")
	feeds := fs.String("formats", "", "also write these import formats, comma-separated, or all ("+strings.Join(genFormatNames(), ", ")+")")
	lines := fs.Int("lines", 0, "records in each -formats file (default: -size)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *out == "" {
		return usagef("gen needs -out DIR and takes no arguments")
	}
	o := gen.Options{Size: *size, Seed: *seed}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return usagef("-now %q is not an RFC 3339 time", *now)
		}
		o.Now = t
	}
	if *size < 1 || *size > gen.MaxSize {
		return usagef("-size must be between 1 and %d", gen.MaxSize)
	}
	names, err := pickGenFormats(*feeds)
	if err != nil {
		return err
	}
	ex, err := gen.WriteDir(*out, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote a world of %d addresses to %s\n", *size, *out)
	fo := o
	if *lines > 0 {
		fo.Size = *lines
	}
	for _, n := range names {
		f := genFormats()[n]
		path := filepath.Join(*out, f.file)
		if err := writeFile(path, func(w io.Writer) error { return f.write(w, fo) }); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Fprintf(e.stdout, "wrote %s: tipd import -format %s%s %s\n", path, f.format, f.flags, path)
	}
	for _, z := range []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey} {
		addrs := slices.Clone(ex[z])
		if len(addrs) > 3 {
			addrs = addrs[:3]
		}
		for _, a := range addrs {
			fmt.Fprintf(e.stdout, "example: %s %s\n", a, z)
		}
	}
	return nil
}

// genFormat is one import format `tipd gen -formats` can write.
type genFormat struct {
	file   string // file name in -out
	format string // its -format
	flags  string // other import flags it needs
	write  func(io.Writer, gen.Options) error
}

func reportsWriter(f func(io.Writer, gen.ReportOptions) error) func(io.Writer, gen.Options) error {
	return func(w io.Writer, o gen.Options) error {
		return f(w, gen.ReportOptions{Reports: max(1, o.Size/100), Seed: o.Seed, Now: o.Now})
	}
}

// genFormats lists the formats gen writes.
func genFormats() map[string]genFormat {
	return map[string]genFormat{
		"urlhaus":        {"urlhaus.csv", "urlhaus", "", gen.WriteURLhaus},
		"threatfox":      {"threatfox.csv", "threatfox", "", gen.WriteThreatFox},
		"threatfox-json": {"threatfox.json", "threatfox", "", gen.WriteThreatFoxJSON},
		"feodo":          {"feodo.csv", "feodo", "", gen.WriteFeodo},
		"drop":           {"drop.txt", "drop", "", gen.WriteDROP},
		"drop-json":      {"drop_v4.json", "drop", "", gen.WriteDROPJSON},
		"ipset":          {"blocklist.netset", "ipset", " -category CATEGORY_SCANNER -feed Example-Blocklist", gen.WriteIPSet},
		"openphish":      {"openphish.txt", "openphish", "", gen.WriteOpenPhish},
		"phishtank":      {"phishtank.csv", "phishtank", "", gen.WritePhishTank},
		"pdns":           {"pdns.json", "pdns", "", gen.WritePDNS},
		"delegated":      {"delegated-example-extended-latest", "delegated", "", gen.WriteDelegated},
		"iptoasn":        {"ip2asn-combined.tsv", "iptoasn", "", gen.WriteIPtoASN},
		"rpsl":           {"example.db", "rpsl", "", gen.WriteRPSL},
		"warninglist":    {"warninglist.json", "warninglist", "", gen.WriteWarninglist},
		"reports":        {"reports.jsonl", "reports", "", reportsWriter(gen.WriteReports)},
		"stix":           {"bundle.json", "stix", "", reportsWriter(gen.WriteSTIX)},
	}
}

func genFormatNames() []string {
	names := make([]string, 0, len(genFormats()))
	for n := range genFormats() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func pickGenFormats(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	if list == "all" {
		return genFormatNames(), nil
	}
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if _, ok := genFormats()[n]; !ok {
			return nil, usagef("gen cannot write format %q; it writes %s", n, strings.Join(genFormatNames(), ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// writeFile writes a file through a buffer, removing it on failure.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
