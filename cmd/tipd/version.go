package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/store/postgres"
)

// cmdVersion prints what this binary is: its module version, the commit
// it was built from, the Go release, and the store formats it writes.
func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := e.newFlags("version", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("version takes no arguments")
	}
	version, commit := "(unknown)", "(not recorded: built outside a checkout or with -buildvcs=false)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		var rev, at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			commit = rev
			if at != "" {
				commit += " " + at
			}
			if modified == "true" {
				commit += " (with uncommitted changes)"
			}
		}
	}
	_, err = fmt.Fprintf(e.stdout, "tipd %s\ncommit: %s\ngo: %s\nstore: pebble format %d, postgres schema %s\n",
		version, commit, runtime.Version(), pebble.FormatVersion(), postgres.SchemaVersion())
	return err
}
