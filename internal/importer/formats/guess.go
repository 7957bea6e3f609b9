package formats

import (
	"bytes"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// GuessSize is how much of a file Guess needs: the first 256 KiB.
const GuessSize = 256 << 10

// Guess names the format that most likely wrote head, the start of a file
// (all of it when whole is set), or returns "" when no format reads a
// record from it. Every format's own parser reads the lines of head; the
// format whose parser reads the most lines holding records, with fewer bad
// lines than good ones, wins (ties: fewer bad lines, then the order of
// Table). A line cut off at the end of a partial head is not read.
// Formats that need a category and a feed name are given placeholders;
// records that name files (a report's PDF) are read without them.
func Guess(head []byte, whole bool) string {
	cfg := importer.ParserConfig{Feed: "guess", Category: intel.CatScanner}
	best, bestGood, bestBad := "", 0, 0
	for _, f := range Table {
		p := f.New(cfg)
		if fs, ok := p.(importer.FileSkipper); ok {
			fs.SkipFiles() // the files records name are not the format's
		}
		good, bad := tryParser(p, head, whole)
		if good == 0 || bad >= good {
			continue
		}
		if good > bestGood || good == bestGood && bad < bestBad {
			best, bestGood, bestBad = f.Name, good, bad
		}
	}
	return best
}

// tryParser counts the lines of head that p reads records from and the
// lines it refuses. A parser that panics on input it was not made for
// counts as reading nothing.
func tryParser(p importer.Parser, head []byte, whole bool) (good, bad int) {
	if sp, ok := p.(importer.StreamParser); ok {
		return tryStream(sp, head)
	}
	if !whole {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i+1]
		} else {
			head = nil
		}
	}
	defer func() {
		if recover() != nil {
			good, bad = 0, 0
		}
	}()
	var b intel.Batch
	lineNo := 0
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		lineNo++
		line = bytes.TrimSuffix(line, []byte{'\r'})
		n := b.Len()
		if err := p.Parse(line, lineNo, &b); err != nil {
			bad++
			continue
		}
		if b.Len() > n {
			good++
		}
	}
	if fl, ok := p.(importer.Flusher); ok && whole {
		n := b.Len()
		if err := fl.Flush(&b); err != nil {
			bad++
		} else if b.Len() > n {
			good++
		}
	}
	return good, bad
}

// tryStream counts the records (objects, entries) a document format's
// parser reads from head, evidence or not (a STIX bundle's evidence comes
// at its end), and those it refuses. A partial head ends in a syntax error: that is the
// cut, not a bad record.
func tryStream(sp importer.StreamParser, head []byte) (good, bad int) {
	defer func() {
		if recover() != nil {
			good, bad = 0, 0
		}
	}()
	var b intel.Batch
	_ = sp.ParseStream(bytes.NewReader(head), func(_ int, parse func(*intel.Batch) error) error {
		if err := parse(&b); err != nil {
			bad++
		} else {
			good++
		}
		b.Reset()
		return nil
	})
	return good, bad
}
