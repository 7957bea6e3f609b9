// Package formats maps the names accepted by `tipd import -format` to the
// parsers of the import formats.
package formats

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/abusech"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/lists"
	"github.com/tipd/tipd/internal/importer/pdns"
	"github.com/tipd/tipd/internal/importer/reports"
	"github.com/tipd/tipd/internal/importer/rir"
	"github.com/tipd/tipd/internal/importer/rpsl"
	"github.com/tipd/tipd/internal/importer/stix"
	"github.com/tipd/tipd/internal/importer/warninglist"
)

// makers lists every format; keep it in step with docs/import-format.md.
func makers() map[string]func(importer.Options) importer.Parser {
	return map[string]func(importer.Options) importer.Parser{
		"jsonl":       func(o importer.Options) importer.Parser { return jsonl.New(o) },
		"reports":     func(o importer.Options) importer.Parser { return reports.New(o) },
		"stix":        func(o importer.Options) importer.Parser { return stix.New(o) },
		"urlhaus":     func(o importer.Options) importer.Parser { return abusech.NewURLhaus(o) },
		"threatfox":   func(o importer.Options) importer.Parser { return abusech.NewThreatFox(o) },
		"feodo":       func(o importer.Options) importer.Parser { return abusech.NewFeodo(o) },
		"drop":        func(o importer.Options) importer.Parser { return lists.NewDROP(o) },
		"ipset":       func(o importer.Options) importer.Parser { return lists.NewIPSet(o) },
		"openphish":   func(o importer.Options) importer.Parser { return lists.NewOpenPhish(o) },
		"phishtank":   func(o importer.Options) importer.Parser { return lists.NewPhishTank(o) },
		"pdns":        func(o importer.Options) importer.Parser { return pdns.New(o) },
		"delegated":   func(o importer.Options) importer.Parser { return rir.NewDelegated(o) },
		"iptoasn":     func(o importer.Options) importer.Parser { return rir.NewIPtoASN(o) },
		"rpsl":        func(o importer.Options) importer.Parser { return rpsl.New(o) },
		"warninglist": func(o importer.Options) importer.Parser { return warninglist.New(o) },
	}
}

// Names lists the supported format names, sorted.
func Names() []string {
	m := makers()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New returns a function making parsers of the named format, configured by
// o (Feed, Category), for importer.Import.
func New(name string, o importer.Options) (func() importer.Parser, error) {
	mk, ok := makers()[name]
	if !ok {
		return nil, fmt.Errorf("unknown import format %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if check, ok := checks()[name]; ok {
		if err := check(o); err != nil {
			return nil, err
		}
	}
	return func() importer.Parser { return mk(o) }, nil
}

// checks lists the formats that need some options (a list's category and
// name given on the command line): New returns their error.
func checks() map[string]func(importer.Options) error {
	return map[string]func(importer.Options) error{
		"ipset": lists.CheckIPSet,
	}
}

// NewSet returns the file set of a format whose files are imported
// together (importer.FileSet; see importer.ScanSet), or nil for formats
// whose files stand alone. Only "rpsl" is one: its networks name contacts
// defined in the dump's other files.
func NewSet(name string, o importer.Options) importer.FileSet {
	if name == "rpsl" {
		return rpsl.NewDump(o)
	}
	return nil
}
