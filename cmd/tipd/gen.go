package main

import (
	"context"
	"fmt"
	"slices"
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
	ex, err := gen.WriteDir(*out, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote a world of %d addresses to %s\n", *size, *out)
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
