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
	"github.com/tipd/tipd/internal/importer/formats"
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
	ex, obj, err := gen.WriteWorldDir(*out, o)
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
		path := filepath.Join(*out, f.File)
		if err := writeFile(path, func(w io.Writer) error { return f.Write(w, fo) }); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if files := formats.GenFiles[n]; files != nil {
			if err := files(*out, fo); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "wrote %s: tipd import -format %s%s %s\n", path, f.format, f.Flags, path)
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
	for _, m := range []map[intel.Zone][]string{obj.Domains, obj.URLs, obj.Hashes} {
		for _, z := range []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey} {
			for _, v := range m[z] {
				fmt.Fprintf(e.stdout, "example: %s %s\n", v, z)
			}
		}
	}
	return nil
}

// genFormat is one file `tipd gen -formats` can write.
type genFormat struct {
	formats.Gen
	format string // its -format
}

// genFormats lists the files gen writes, from the table of formats.
func genFormats() map[string]genFormat {
	m := map[string]genFormat{}
	for _, f := range formats.Table {
		for _, g := range f.Gen {
			m[g.Name] = genFormat{g, f.Name}
		}
	}
	return m
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
