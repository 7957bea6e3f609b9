package formats

import (
	"bytes"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
)

// TestGuessNamesEveryGeneratedFormat: each file `tipd gen -formats all`
// writes, cut to GuessSize as an import reads it, is guessed as its own
// format; so is the native jsonl world.
func TestGuessNamesEveryGeneratedFormat(t *testing.T) {
	o := gen.Options{Size: 3000, Seed: 1, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	check := func(t *testing.T, want string, data []byte) {
		t.Helper()
		head, whole := data, true
		if len(head) > GuessSize {
			head, whole = head[:GuessSize], false
		}
		if got := Guess(head, whole); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	for _, f := range Table {
		for _, g := range f.Gen {
			t.Run(g.Name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := g.Write(&buf, o); err != nil {
					t.Fatal(err)
				}
				check(t, f.Name, buf.Bytes())
			})
		}
	}
	t.Run("jsonl", func(t *testing.T) {
		var buf bytes.Buffer
		if _, _, err := gen.WriteWorld(&buf, o); err != nil {
			t.Fatal(err)
		}
		check(t, "jsonl", buf.Bytes())
	})
}

// TestGuessNothing: text no format reads is guessed as nothing.
func TestGuessNothing(t *testing.T) {
	for _, in := range []string{"", "hello world\nthis is not a feed\n", "\x00\x01\x02", "<html><body>404</body></html>\n"} {
		if got := Guess([]byte(in), true); got != "" {
			t.Errorf("Guess(%q) = %q, want \"\"", in, got)
		}
	}
}

func FuzzGuess(f *testing.F) {
	f.Add([]byte("1.2.3.0/24 ; SBL1\n"), true)
	f.Add([]byte(`{"type":"bundle","objects":[]}`), false)
	f.Fuzz(func(t *testing.T, head []byte, whole bool) {
		_ = Guess(head, whole)
	})
}

// TestGuessReportsNamingFiles: reports whose records name their YARA rules
// and PDF by file, read without a directory (standard input), are guessed
// as reports: the guess does not need the files.
func TestGuessReportsNamingFiles(t *testing.T) {
	in := `{"id":"rpt-2026-0117","type":"APT","title":"Example campaign","published":"2026-11-10","ips":["192.0.2.10"],"pdf":"pdf/rpt-2026-0117.pdf"}
{"id":"rpt-2026-0200","type":"Crimeware","title":"Example loader","published":"2026-10-01","yara_file":"loader.yar"}
`
	if got := Guess([]byte(in), true); got != "reports" {
		t.Errorf("got %q, want %q", got, "reports")
	}
}
