package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/formats"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/opsock"
	"github.com/tipd/tipd/internal/store"
)

func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("import", "[-store URL] -format NAME [-feed NAME] [-category CATEGORY_…] [-strict] [-dir DIR] FILE…")
	storeURL := e.storeFlag(fs)
	format := fs.String("format", "", "input format: "+strings.Join(formats.Names(), ", "))
	feed := fs.String("feed", "", "feed name recorded as the source of the evidence")
	category := fs.String("category", "", "category of list formats' entries (CATEGORY_…)")
	strict := fs.Bool("strict", false, "fail on the first bad line, committing nothing of that file")
	name := fs.String("name", "", "file name recorded as provenance for standard input")
	quiet := fs.Bool("q", false, "no progress display")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the import to this file")
	dir := fs.String("dir", "", "directory of the files that records name (a report's PDF and YARA rules; default: each input file's directory)")
	maxSkipped := fs.String("max-skipped", "1%", "fail (exit 1) when more than this share of a file's records are bad: a percentage, 0 to allow none, 100% to allow any")
	batch := fs.Int("batch", 0, fmt.Sprintf("records per store batch (0: %d for the embedded store, %d for PostgreSQL)", importer.DefaultBatchSize, importer.DefaultBatchSizeServer))
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	// An import allocates briskly and its live heap is small and bounded
	// (five batches at most): collecting garbage half as often as by
	// default is as fast as less often still, and every page the heap grows
	// by costs a page fault (docs/benchmarks.md, "What a fresh page costs on
	// this machine"). GOGC, when set, wins.
	if e.getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *format == "" {
		return usagef("import needs -format (one of %s)", strings.Join(formats.Names(), ", "))
	}
	if len(pos) == 0 {
		return usagef("import needs at least one FILE (or - for standard input)")
	}
	if *category != "" {
		if _, ok := intel.CategoryZone(intel.Category(*category)); !ok {
			return usagef("unknown category %q", *category)
		}
	}
	if *batch < 0 || *batch > 1<<20 {
		return usagef("-batch must be between 1 and %d (0: the store's default)", 1<<20)
	}
	skipShare, err := parseShare(*maxSkipped)
	if err != nil {
		return err
	}
	o := importer.Options{Strict: *strict, Feed: *feed, Category: intel.Category(*category), Now: e.now, BatchSize: *batch}
	newParser, err := formats.New(*format, o.ParserConfig())
	if err != nil {
		return usageError{err.Error()}
	}

	set := formats.NewSet(*format, o.ParserConfig())
	if set != nil {
		defer set.Close()
	}
	st, net := store.Store(nil), (*netdata.Holder)(nil)
	if e.shared == nil {
		s, loc, err := openStore(ctx, *storeURL, storeOptions{})
		if err != nil {
			if inUse(err) {
				return e.forwardImport(ctx, loc.socketPath(), args, pos, set != nil, *dir)
			}
			return err
		}
		defer s.Close()
		st = s
	} else {
		st, net = e.shared.st, e.shared.net
	}
	// Formats whose files refer to each other (an RPSL dump's networks and
	// contacts) read every file once before importing any.
	files := pos
	if set != nil {
		var cleanup func()
		files, cleanup, err = importer.ScanSet(ctx, set, pos, e.stdin, "")
		if err != nil {
			return setFailed(err, len(pos))
		}
		defer cleanup()
		newParser = set.NewParser
	}
	o.Dir = *dir
	return e.importFiles(ctx, st, net, newParser, o, pos, files, importChecks{name: *name, quiet: *quiet, format: *format, maxSkipped: skipShare, maxSkippedText: *maxSkipped, set: set != nil})
}

// importChecks are the settings of importFiles beyond the import's options.
type importChecks struct {
	name           string  // provenance name of standard input
	quiet          bool    // no progress display
	format         string  // the -format given
	maxSkipped     float64 // share of bad records above which a file fails
	maxSkippedText string  // as given, for messages
	set            bool    // a file-set format: the files' records are one whole
}

// parseShare parses -max-skipped: "0", or a percentage "N%" with N from 0
// to 100.
func parseShare(s string) (float64, error) {
	if s == "0" {
		return 0, nil
	}
	v, ok := strings.CutSuffix(s, "%")
	f, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil || f < 0 || f > 100 || f != f {
		return 0, usagef("-max-skipped %q is not a percentage from 0%% to 100%% (such as 1%%), or 0", s)
	}
	return f / 100, nil
}

// checkImported is the error of a file whose import committed, but
// committed nothing or skipped more than allowed. When nothing was
// imported, it names the format the file most likely is, read from its
// start through in (nil: not readable again).
func checkImported(sum importer.Summary, c importChecks, in *importer.Input) error {
	// Records passed over on purpose (reserved addresses, say) show that
	// the file was understood: a file of nothing else imported nothing
	// without being wrong.
	understood := sum.Applied > 0 || c.set || len(sum.Ignored) > 0
	if understood && float64(sum.Skipped) <= c.maxSkipped*float64(sum.Read) {
		return nil
	}
	if understood {
		return fmt.Errorf("%d of the %d records of %s were bad, more than -max-skipped %s allows; the other %d were imported",
			sum.Skipped, sum.Read, sum.File, c.maxSkippedText, sum.Read-sum.Skipped)
	}
	msg := fmt.Sprintf("nothing of %s was imported (%d records read, %d bad)", sum.File, sum.Read, sum.Skipped)
	if in == nil || !in.Rewindable() || in.Rewind() != nil {
		return errors.New(msg)
	}
	head := make([]byte, formats.GuessSize)
	n, err := io.ReadFull(in, head)
	whole := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !whole {
		return errors.New(msg)
	}
	switch g := formats.Guess(head[:n], whole); {
	case g == "":
		msg += "; it is in none of the formats tipd reads"
	case g != c.format:
		msg += fmt.Sprintf("; it looks like %s: import it with -format %s", g, g)
	}
	return errors.New(msg)
}

// importFiles imports each file in turn; after imports that changed network
// data, net (a running server's snapshot) is refreshed at once.
//
// names are the files as the operator named them (for messages and
// provenance); files are what to read, the same except where a file-set
// format kept a copy of standard input.
func (e *env) importFiles(ctx context.Context, st store.Store, net *netdata.Holder, newParser func() importer.Parser, o importer.Options, names, files []string, c importChecks) error {
	var failed []string
	var refused []error
	var setApplied int64
	name := c.name
	for i, f := range files {
		var r io.Reader
		var closer io.Closer
		var input *importer.Input
		o := o
		o.File = names[i]
		if o.Dir == "" && f != "-" && names[i] != "-" {
			o.Dir = filepath.Dir(f) // the files records name lie next to it
		}
		if names[i] == "-" && name != "" {
			o.File = name
		}
		shown := o.File // as messages name it
		if shown == "-" {
			shown = "stdin"
		}
		switch {
		case f == "-":
			// Standard input is copied whole first: a stream that breaks
			// off commits nothing.
			in, err := importer.OpenStream(e.stdin, shown, "")
			if err != nil {
				return importFailed(err, shown)
			}
			r, closer, input = in, in, in
		case names[i] == "-":
			in, err := importer.OpenCopy(f, shown) // kept by ScanSet
			if err != nil {
				return importFailed(err, shown)
			}
			r, closer, input = in, in, in
		default:
			in, err := importer.OpenInput(f)
			if err != nil {
				failed = append(failed, names[i])
				var re *importer.ReadError
				if errors.As(err, &re) { // a damaged gzip header
					fmt.Fprintf(e.stderr, "tipd: %s.\n", importFailed(err, shown))
				} else {
					fmt.Fprintf(e.stderr, "tipd: cannot read %s: %v\n", f, errors.Unwrap(err))
				}
				continue
			}
			r, closer, input = in, in, in
		}
		if e.stderrIsTTY && !c.quiet {
			o.Progress = e.stderr
		}
		sum, err := importer.Import(ctx, st, r, newParser, o)
		var refusal error
		if err == nil {
			refusal = checkImported(sum, c, input)
		}
		if closer != nil {
			closer.Close()
		}
		if o.Progress != nil {
			fmt.Fprint(e.stderr, "\r\033[K")
		}
		for _, b := range sum.Bad {
			fmt.Fprintf(e.stderr, "%s %s: %s\n", sum.File, b.Where(), b.Reason)
		}
		if sum.Skipped > int64(len(sum.Bad)) {
			fmt.Fprintf(e.stderr, "%s: %d more bad records not shown\n", sum.File, sum.Skipped-int64(len(sum.Bad)))
		}
		if err != nil {
			var le *importer.LineError
			if errors.As(err, &le) {
				return fmt.Errorf("%s; nothing of %s was imported (-strict)", le.Error(), le.File)
			}
			var re *importer.ReadError
			if errors.As(err, &re) {
				if sum.Applied == 0 {
					return importFailed(err, sum.File)
				}
				// A plain file is imported as it is read.
				return fmt.Errorf("%s; the %d records read before it were imported: run the import again to complete it", re.Error(), sum.Applied)
			}
			return fmt.Errorf("import %s: %w", sum.File, err)
		}
		fmt.Fprintln(e.stdout, sum.String())
		setApplied += sum.Applied
		if refusal != nil {
			fmt.Fprintf(e.stderr, "tipd: %s.\n", refusal)
			refused = append(refused, refusal)
		}
	}
	if net != nil {
		if err := net.Refresh(ctx, st, false); err != nil {
			return fmt.Errorf("refresh network data: %w", err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files could not be read: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	if c.set && setApplied == 0 && len(failed) == 0 {
		err := fmt.Errorf("nothing of the %d files was imported", len(files))
		fmt.Fprintf(e.stderr, "tipd: %s.\n", err)
		refused = append(refused, err)
	}
	if len(refused) > 0 {
		// Each was printed as it came; the exit status says it again.
		return opsock.ExitStatus{Code: 1}
	}
	return nil
}

// forwardImport sends each file to the server that holds the store, one
// forwarded `import … -name BASE -` per file, streaming the file as its
// standard input. The files of a file-set format (whose records refer to
// each other across files) travel together as one stream, decompressed and
// separated by blank lines.
//
// Files that records name (a report's PDF) are read by the server, which
// runs as the same user (the socket is the store owner's only): each
// forwarded import names the directory to read them from, absolute, as
// -dir, the operator's -dir or else the file's own directory.
func (e *env) forwardImport(ctx context.Context, sock string, args, files []string, isSet bool, dir string) error {
	var flags []string
	// Keep every flag, drop the file arguments.
	isFile := map[string]bool{}
	for _, f := range files {
		isFile[f] = true
	}
	for _, a := range args {
		if !isFile[a] {
			flags = append(flags, a)
		}
	}
	if isSet {
		// The files travel decompressed: each is checked whole first, so
		// that a damaged one stops the import before anything is sent.
		var parts []io.Reader
		var names []string
		for _, f := range files {
			var in *importer.Input
			var err error
			if f == "-" {
				in, err = importer.OpenStream(e.stdin, "stdin", "")
			} else {
				in, err = importer.OpenInput(f)
			}
			if err == nil {
				defer in.Close()
				_, err = in.Verify(ctx, nil)
			}
			var re *importer.ReadError
			if errors.As(err, &re) {
				return setFailed(err, len(files))
			}
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", f, errors.Unwrap(err))
			}
			parts = append(parts, in, strings.NewReader("\n\n"))
			names = append(names, in.BaseName())
		}
		fwd := append(append([]string{"import"}, flags...), "-q", "-name", strings.Join(names, "+"), "-")
		return e.forward(ctx, sock, fwd, io.MultiReader(parts...))
	}
	for _, f := range files {
		var body io.Reader = e.stdin
		fwd := append(append([]string{"import"}, flags...), "-q")
		d := dir
		if d == "" && f != "-" {
			d = filepath.Dir(f)
		}
		if d != "" {
			abs, err := filepath.Abs(d)
			if err != nil {
				return err
			}
			fwd = append(fwd, "-dir", abs) // the last -dir wins
		}
		if f != "-" {
			fh, err := os.Open(f)
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", f, errors.Unwrap(err))
			}
			defer fh.Close()
			body = fh
			fwd = append(fwd, "-name", filepath.Base(f))
		}
		fwd = append(fwd, "-")
		if err := e.forward(ctx, sock, fwd, body); err != nil {
			return err
		}
	}
	return nil
}

// setFailed is the error of a file-set import (RPSL) whose files were read
// before any was imported: one that fails to read stops it.
func setFailed(err error, files int) error {
	var re *importer.ReadError
	switch {
	case !errors.As(err, &re):
		return err
	case files > 1:
		return fmt.Errorf("%s; nothing of the %d files was imported", re.Error(), files)
	}
	return importFailed(err, re.File)
}

// importFailed is the error of an import that committed nothing of file
// because its input failed to read.
func importFailed(err error, file string) error {
	var re *importer.ReadError
	if errors.As(err, &re) {
		return fmt.Errorf("%s; nothing of %s was imported", re.Error(), file)
	}
	return fmt.Errorf("import %s: %w", file, err)
}
