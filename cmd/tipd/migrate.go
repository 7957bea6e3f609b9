package main

import (
	"context"
	"fmt"

	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/store/postgres"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("migrate", "[-store URL] [-citus]")
	storeURL := e.storeFlag(fs)
	citus := fs.Bool("citus", false, "PostgreSQL: distribute the tables with Citus (needs the citus extension)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("migrate takes no arguments")
	}
	loc, err := parseStoreURL(*storeURL)
	if err != nil {
		return err
	}
	switch loc.kind {
	case "pebble":
		if *citus {
			return usagef("-citus is for PostgreSQL stores")
		}
		return e.migratePebble(ctx, loc)
	case "postgres":
	default:
		return usagef("a %s store needs no migrations", loc.kind)
	}
	applied, err := postgres.Migrate(ctx, *storeURL, *citus)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "schema up to date")
	}
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m)
	}
	return nil
}

// migratePebble runs the in-place upgrades of a Pebble store that no
// server holds open.
func (e *env) migratePebble(ctx context.Context, loc storeLocation) error {
	st, err := pebble.Open(loc.path, pebble.Options{})
	if err != nil {
		if inUse(err) {
			return fmt.Errorf("%w: stop the server and run tipd migrate again, or restart it with serve -migrate", err)
		}
		return err
	}
	applied, err := st.Migrate(ctx, upgradeProgress(func(name string, items int64) {
		fmt.Fprintf(e.stderr, "%s: %d items\n", name, items)
	}))
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "store up to date")
	}
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m)
	}
	return nil
}

// upgradeProgress calls report at most once per 100,000 items an upgrade
// reads: the progress of a long upgrade, without a line per batch.
func upgradeProgress(report func(name string, items int64)) func(string, int64) {
	var next int64 = 100_000
	return func(name string, items int64) {
		if items >= next {
			report(name, items)
			next = (items/100_000 + 1) * 100_000
		}
	}
}
