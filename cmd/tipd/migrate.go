package main

import (
	"context"
	"fmt"

	"github.com/tipd/tipd/internal/store/postgres"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("migrate", "[-store postgres://…] [-citus]")
	storeURL := e.storeFlag(fs)
	citus := fs.Bool("citus", false, "distribute the tables with Citus (needs the citus extension)")
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
	if loc.kind != "postgres" {
		return usagef("migrate is for PostgreSQL stores (-store postgres://…); a %s store needs no migrations", loc.kind)
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
