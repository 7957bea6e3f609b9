package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tipd/tipd/internal/feeds"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/formats"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// readFeeds reads and checks a feeds file: formats known, each format's
// options (a list format's category and feed name), and no file-set format
// (an RPSL dump is several files).
func readFeeds(path string) (*feeds.File, error) {
	return feeds.ReadFile(path, formats.Names(), func(f feeds.Feed) error {
		o := importer.Options{Feed: f.FeedName, Category: intel.Category(f.Category)}
		if f.Category != "" {
			if _, ok := intel.CategoryZone(intel.Category(f.Category)); !ok {
				return fmt.Errorf("unknown category %q", f.Category)
			}
		}
		if formats.NewSet(f.Format, o.ParserConfig()) != nil {
			return fmt.Errorf("format %s is imported as a set of files and cannot be fetched as a feed", f.Format)
		}
		_, err := formats.New(f.Format, o.ParserConfig())
		return err
	})
}

// newScheduler makes the scheduler of the feeds in file, importing into
// st through the importer (as `tipd import` does) and refreshing net after
// each import.
func (e *env) newScheduler(file *feeds.File, st store.Store, net *netdata.Holder, logger *slog.Logger) *feeds.Scheduler {
	s := &feeds.Scheduler{
		Feeds:   file.Feeds,
		Fetcher: &feeds.Fetcher{UserAgent: "tipd (feeds)"},
		Logger:  logger,
		Import: func(ctx context.Context, f feeds.Feed, path, name string) (int64, error) {
			in, err := importer.OpenCopy(path, name)
			if err != nil {
				return 0, err
			}
			defer in.Close()
			o := importer.Options{Feed: f.FeedName, Category: intel.Category(f.Category), Now: e.now, File: name}
			newParser, err := formats.New(f.Format, o.ParserConfig())
			if err != nil {
				return 0, err
			}
			sum, err := importer.Import(ctx, st, in, newParser, o)
			if err != nil {
				return sum.Applied, err
			}
			if err := checkImported(sum, importChecks{format: f.Format, maxSkipped: 0.01, maxSkippedText: "1%"}, in); err != nil {
				return sum.Applied, err
			}
			if net != nil {
				if err := net.Refresh(ctx, st, false); err != nil {
					return sum.Applied, fmt.Errorf("refresh network data: %w", err)
				}
			}
			return sum.Applied, nil
		},
	}
	if fl, ok := st.(store.FeedLocker); ok {
		s.Lock = fl.TakeFeedLock
	}
	return s
}

func cmdFeeds(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("feeds needs a subcommand: list, run or status")
	}
	switch args[0] {
	case "list":
		return feedsList(e, args)
	case "run":
		return feedsRun(ctx, e, args)
	case "status":
		return feedsStatus(ctx, e, args)
	}
	return usagef("unknown feeds subcommand %q (list, run, status)", args[0])
}

// feedsFlag adds -feeds FILE.
func feedsFlag(e *env, fs interface {
	String(name, value, usage string) *string
}) *string {
	return fs.String("feeds", envOr(e.getenv, "TIPD_FEEDS", ""), "the feeds file (env TIPD_FEEDS; docs/feeds.md)")
}

// feedsList prints the feeds of a feeds file, checked; header values are
// never printed.
func feedsList(e *env, args []string) error {
	fs := e.newFlags("feeds list", "-feeds FILE")
	path := feedsFlag(e, fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 || *path == "" {
		return usagef("feeds list takes -feeds FILE and no arguments")
	}
	file, err := readFeeds(*path)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFORMAT\tINTERVAL\tMAX SIZE\tURL\tHEADERS")
	for _, f := range file.Feeds {
		var hs []string
		for k := range f.Headers {
			hs = append(hs, k)
		}
		slices.Sort(hs)
		h := "-"
		if len(hs) > 0 {
			h = strings.Join(hs, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d MiB\t%s\t%s\n", f.Name, f.Format, f.Interval, f.MaxSize>>20, feeds.RedactURL(f.URL), h)
	}
	return tw.Flush()
}

// feedsRun fetches one feed now. Inside a running server (a forwarded
// command), the server's scheduler runs it, so that its status shows the
// run; otherwise a scheduler of this process does, once.
func feedsRun(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("feeds run", "[-store URL] -feeds FILE NAME")
	storeURL := e.storeFlag(fs)
	path := feedsFlag(e, fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("feeds run takes one feed name")
	}
	if e.shared != nil {
		if e.shared.feeds == nil {
			return errors.New("the server on this store fetches no feeds (start it with -feeds FILE)")
		}
		return e.runFeed(ctx, e.shared.feeds, pos[0])
	}
	var file *feeds.File
	if *path != "" {
		if file, err = readFeeds(*path); err != nil {
			return err
		}
	}
	// Forwarded to the server when one holds the store: its scheduler runs
	// the feed. Otherwise this process fetches it, from -feeds.
	return e.withStore(ctx, *storeURL, prepend("feeds", args), true, func(st store.Store, net *netdata.Holder) error {
		if file == nil {
			return usagef("feeds run needs -feeds FILE when no server runs on the store")
		}
		return e.runFeed(ctx, e.newScheduler(file, st, net, slog.New(slog.NewTextHandler(e.stderr, nil))), pos[0])
	})
}

func (e *env) runFeed(ctx context.Context, s *feeds.Scheduler, name string) error {
	out, err := s.RunFeed(ctx, name)
	if err != nil {
		if errors.Is(err, feeds.ErrUnknownFeed) {
			return usageError{err.Error()}
		}
		return err
	}
	switch {
	case out.Elsewhere:
		_, err = fmt.Fprintf(e.stdout, "feed %s: fetched by another process sharing the store\n", name)
	case out.NotModified:
		_, err = fmt.Fprintf(e.stdout, "feed %s: not modified\n", name)
	default:
		_, err = fmt.Fprintf(e.stdout, "feed %s: %d records applied, %d bytes fetched\n", name, out.Applied, out.Bytes)
	}
	return err
}

// feedsStatus prints the status of the feeds a running server fetches. It
// needs the server: on the embedded store the command is forwarded to it;
// on PostgreSQL read each server's /metrics.
func feedsStatus(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("feeds status", "[-store URL]")
	storeURL := e.storeFlag(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("feeds status takes no arguments")
	}
	if e.shared == nil {
		// Forwarded to the server when one holds the store.
		return e.withExistingStore(ctx, *storeURL, prepend("feeds", args), false, func(store.Store, *netdata.Holder) error {
			return errors.New("no tipd serve is running on this store, and the feeds' status lives in the server that fetches them (on PostgreSQL, read each server's /metrics)")
		})
	}
	if e.shared.feeds == nil {
		return errors.New("the server on this store fetches no feeds (start it with -feeds FILE)")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLAST SUCCESS\tLAST IMPORT\tAPPLIED\tBYTES\tFAILURES\tNEXT\tLAST ERROR")
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, st := range e.shared.feeds.Statuses() {
		last := st.LastError
		if last == "" {
			last = "-"
		}
		next := at(st.NextRun)
		if st.Elsewhere {
			next = "another process"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", st.Name, at(st.LastSuccess), at(st.LastImport), st.Applied, st.Bytes, st.Failures, next, last)
	}
	return tw.Flush()
}
