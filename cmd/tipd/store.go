package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tipd/tipd/internal/feeds"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/store/postgres"
)

// sharedStore is a server's open store, lent to commands that the server
// runs on behalf of a CLI (a Pebble store can be open in one process only).
type sharedStore struct {
	st    store.Store
	net   *netdata.Holder
	feeds *feeds.Scheduler // the server's scheduled feeds, if any
}

// storeLocation is a parsed -store URL.
type storeLocation struct {
	kind string // "mem", "pebble", "postgres"
	path string // pebble directory
}

func parseStoreURL(u string) (storeLocation, error) {
	switch {
	case u == "mem:" || u == "mem://":
		return storeLocation{kind: "mem"}, nil
	case strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://"):
		return storeLocation{kind: "postgres"}, nil
	case strings.HasPrefix(u, "pebble://"):
		p := strings.TrimPrefix(u, "pebble://")
		if p == "" {
			return storeLocation{}, usagef("store URL %q names no directory; use pebble:///path", u)
		}
		return storeLocation{kind: "pebble", path: filepath.Clean(p)}, nil
	case strings.HasPrefix(u, "pebble:"):
		return storeLocation{kind: "pebble", path: filepath.Clean(strings.TrimPrefix(u, "pebble:"))}, nil
	case u == "":
		return storeLocation{}, usagef("-store is empty; use ./tipd-data, pebble:///path or mem:")
	case strings.Contains(u, "://"):
		return storeLocation{}, usagef("unknown store URL %q; use ./tipd-data, pebble:///path or mem:", u)
	}
	return storeLocation{kind: "pebble", path: filepath.Clean(u)}, nil
}

// socketPath is where a server on a Pebble store listens for forwarded
// operator commands.
func (l storeLocation) socketPath() string { return filepath.Join(l.path, "tipd.sock") }

// storeOptions tune the backends; zero values are the defaults.
type storeOptions struct {
	cacheSize int64 // Pebble block cache, bytes
	maxConns  int32 // PostgreSQL pool size of this process
	migrate   bool  // PostgreSQL: apply pending migrations at open
	mustExist bool  // Pebble: a directory without a store is an error, not a new store
}

// openStore opens the store at u.
func openStore(ctx context.Context, u string, o storeOptions) (store.Store, storeLocation, error) {
	loc, err := parseStoreURL(u)
	if err != nil {
		return nil, loc, err
	}
	switch loc.kind {
	case "mem":
		return mem.New(), loc, nil
	case "postgres":
		st, err := postgres.Open(ctx, u, postgres.Options{MaxConns: o.maxConns, Migrate: o.migrate})
		if err != nil {
			return nil, loc, err
		}
		return st, loc, nil
	}
	st, err := pebble.Open(loc.path, pebble.Options{CacheSize: o.cacheSize, MustExist: o.mustExist})
	if err != nil {
		return nil, loc, err
	}
	return st, loc, nil
}

// inUse reports whether err says the store is open in another process.
func inUse(err error) bool {
	var ie *intel.Error
	return errors.As(err, &ie) && ie.Code == "store_in_use"
}

// withStore runs fn on the store named by u: the server's own store when the
// command runs inside a server, otherwise a store opened for the call. When
// a Pebble store is in use by a running server, the whole command (args) is
// forwarded to it over its socket and fn is not called.
// The network snapshot is built only when needNet is set.
func (e *env) withStore(ctx context.Context, u string, args []string, needNet bool, fn func(st store.Store, net *netdata.Holder) error) error {
	return e.useStore(ctx, u, args, storeOptions{}, needNet, fn)
}

// withExistingStore is withStore for commands that only read (lookup,
// explain, user list, hold list) or change what must already be there: a
// Pebble directory holding no store is an error that names it, and no
// store is created.
func (e *env) withExistingStore(ctx context.Context, u string, args []string, needNet bool, fn func(st store.Store, net *netdata.Holder) error) error {
	return e.useStore(ctx, u, args, storeOptions{mustExist: true}, needNet, fn)
}

func (e *env) useStore(ctx context.Context, u string, args []string, o storeOptions, needNet bool, fn func(st store.Store, net *netdata.Holder) error) error {
	if e.shared != nil {
		return fn(e.shared.st, e.shared.net)
	}
	st, loc, err := openStore(ctx, u, o)
	if err != nil {
		if inUse(err) && args != nil {
			return e.forward(ctx, loc.socketPath(), args, nil)
		}
		return err
	}
	defer st.Close()
	net := netdata.NewHolder()
	if needNet {
		if err := net.Refresh(ctx, st, true); err != nil {
			return fmt.Errorf("load network data: %w", err)
		}
	}
	return fn(st, net)
}
