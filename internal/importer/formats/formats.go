// Package formats is the table of the import formats: the names `tipd
// import -format` accepts, the parser (and file set) of each, and the files
// `tipd gen -formats` writes in it. Adding a format is one entry in Table
// plus its parser package.
package formats

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/abusech"
	"github.com/tipd/tipd/internal/importer/filefeed"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/lists"
	"github.com/tipd/tipd/internal/importer/pdns"
	"github.com/tipd/tipd/internal/importer/rdap"
	"github.com/tipd/tipd/internal/importer/reports"
	"github.com/tipd/tipd/internal/importer/rir"
	"github.com/tipd/tipd/internal/importer/rpsl"
	"github.com/tipd/tipd/internal/importer/stix"
	"github.com/tipd/tipd/internal/importer/warninglist"
)

// Format is one import format.
type Format struct {
	// Name is the -format name; docs/import-formats.md (or, for jsonl,
	// docs/import-format.md) documents it.
	Name string
	// New makes a parser for one pass over one file.
	New func(importer.ParserConfig) importer.Parser
	// Check, if set, refuses options the format cannot do without (a
	// list's category and feed given on the command line).
	Check func(importer.ParserConfig) error
	// Set, if set, makes the file set of a format whose files are
	// imported together (importer.FileSet; see importer.ScanSet).
	Set func(importer.ParserConfig) importer.FileSet
	// Gen lists the files `tipd gen -formats` writes in this format.
	Gen []Gen
}

// Gen is one file `tipd gen -formats` writes.
type Gen struct {
	Name  string // the name -formats takes
	File  string // the file name in gen's -out directory
	Flags string // import flags the file needs besides -format
	Write func(io.Writer, gen.Options) error
}

// Table lists every format, sorted by name.
var Table = []Format{
	{Name: "delegated", New: parser(rir.NewDelegated), Gen: []Gen{{"delegated", "delegated-example-extended-latest", "", gen.WriteDelegated}}},
	{Name: "drop", New: parser(lists.NewDROP), Gen: []Gen{{"drop", "drop.txt", "", gen.WriteDROP}, {"drop-json", "drop_v4.json", "", gen.WriteDROPJSON}}},
	{Name: "feodo", New: parser(abusech.NewFeodo), Gen: []Gen{{"feodo", "feodo.csv", "", gen.WriteFeodo}}},
	{Name: "ipset", New: parser(lists.NewIPSet), Check: lists.CheckIPSet,
		Gen: []Gen{{"ipset", "blocklist.netset", " -category CATEGORY_SCANNER -feed Example-Blocklist", gen.WriteIPSet}}},
	{Name: "iptoasn", New: parser(rir.NewIPtoASN), Gen: []Gen{{"iptoasn", "ip2asn-combined.tsv", "", gen.WriteIPtoASN}}},
	{Name: "jsonl", New: parser(jsonl.New)},
	{Name: "malwarebazaar", New: parser(filefeed.NewMalwareBazaar), Gen: []Gen{{"malwarebazaar", "malwarebazaar.csv", "", gen.WriteMalwareBazaar}}},
	{Name: "openphish", New: parser(lists.NewOpenPhish), Gen: []Gen{{"openphish", "openphish.txt", "", gen.WriteOpenPhish}}},
	{Name: "pdns", New: parser(pdns.New), Gen: []Gen{{"pdns", "pdns.json", "", gen.WritePDNS}}},
	{Name: "phishtank", New: parser(lists.NewPhishTank), Gen: []Gen{{"phishtank", "phishtank.csv", "", gen.WritePhishTank}}},
	{Name: "rdap", New: parser(rdap.New), Gen: []Gen{{"rdap", "rdap.jsonl", "", gen.WriteRDAP}}},
	{Name: "reports", New: parser(reports.New), Gen: []Gen{{"reports", "reports.jsonl", "", func(w io.Writer, o gen.Options) error {
		return gen.WriteReports(w, reportOptions(o, true))
	}}}},
	// RPSL networks name contacts defined in the dump's other files.
	{Name: "rpsl", New: parser(rpsl.New), Set: func(o importer.ParserConfig) importer.FileSet { return rpsl.NewDump(o) },
		Gen: []Gen{{"rpsl", "example.db", "", gen.WriteRPSL}}},
	{Name: "stix", New: parser(stix.New), Gen: []Gen{{"stix", "bundle.json", "", reportsWriter(gen.WriteSTIX)}}},
	{Name: "threatfox", New: parser(abusech.NewThreatFox),
		Gen: []Gen{{"threatfox", "threatfox.csv", "", gen.WriteThreatFox}, {"threatfox-json", "threatfox.json", "", gen.WriteThreatFoxJSON}}},
	{Name: "urlhaus", New: parser(abusech.NewURLhaus), Gen: []Gen{{"urlhaus", "urlhaus.csv", "", gen.WriteURLhaus}}},
	{Name: "urlhaus-payloads", New: parser(filefeed.NewPayloads), Gen: []Gen{{"urlhaus-payloads", "urlhaus-payloads.csv", "", gen.WriteURLhausPayloads}}},
	{Name: "warninglist", New: parser(warninglist.New), Gen: []Gen{{"warninglist", "warninglist.json", "", gen.WriteWarninglist}}},
}

// GenFiles lists, by the name of a file `tipd gen -formats` writes, what
// writes the files its records name next to it into its directory: the
// PDFs of the reports.
var GenFiles = map[string]func(dir string, o gen.Options) error{
	"reports": func(dir string, o gen.Options) error { return gen.WriteReportPDFs(dir, reportOptions(o, true)) },
}

// parser adapts a parser package's constructor to Format.New.
func parser[P importer.Parser](mk func(importer.ParserConfig) P) func(importer.ParserConfig) importer.Parser {
	return func(o importer.ParserConfig) importer.Parser { return mk(o) }
}

// reportsWriter sizes a report file to the world (reportOptions).
func reportsWriter(f func(io.Writer, gen.ReportOptions) error) func(io.Writer, gen.Options) error {
	return func(w io.Writer, o gen.Options) error {
		return f(w, reportOptions(o, false))
	}
}

// reportOptions sizes the reports of a world: one report per hundred
// addresses; files gives them YARA rules, update dates and PDFs
// (gen.ReportOptions.Files).
func reportOptions(o gen.Options, files bool) gen.ReportOptions {
	return gen.ReportOptions{Reports: max(1, o.Size/100), Seed: o.Seed, Now: o.Now, Files: files}
}

// Lookup returns the named format.
func Lookup(name string) (Format, bool) {
	i := slices.IndexFunc(Table, func(f Format) bool { return f.Name == name })
	if i < 0 {
		return Format{}, false
	}
	return Table[i], true
}

// Names lists the supported format names, sorted.
func Names() []string {
	out := make([]string, len(Table))
	for i, f := range Table {
		out[i] = f.Name
	}
	return out
}

// New returns a function making parsers of the named format, configured by
// o (Feed, Category, TempDir), for importer.Import.
func New(name string, o importer.ParserConfig) (func() importer.Parser, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown import format %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if f.Check != nil {
		if err := f.Check(o); err != nil {
			return nil, err
		}
	}
	return func() importer.Parser { return f.New(o) }, nil
}

// NewSet returns the file set of a format whose files are imported
// together, or nil for formats whose files stand alone.
func NewSet(name string, o importer.ParserConfig) importer.FileSet {
	if f, ok := Lookup(name); ok && f.Set != nil {
		return f.Set(o)
	}
	return nil
}
