package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
)

// scoringDoc is the rule book whose worked examples TestScoringDocExamples
// checks.
const scoringDoc = "../../docs/scoring.md"

// A docExample is one worked example of docs/scoring.md: a marker line
// naming the object and its verdict, then the explanation table.
//
//	<!-- example: 5.30.239.22 score=71 zone=Orange demo -->
//	| points | rule | evidence | source | how |
//	| --- | --- | --- | --- | --- |
//	| +61 | listing | listing CATEGORY_SPAM | Example Spam Feed | first feed, ... |
//	...
//	| **71** | | **score 71, zone Orange** | | |
//
// "demo" says that `tipd demo` prints the object on an example: line; an
// example without it must be an object some record of the demo world
// names.
type docExample struct {
	object string
	marker string   // the marker line
	table  []string // the table lines, header included
	line   int      // index of the marker line
}

var (
	exampleMarker = regexp.MustCompile(`^<!-- example: (\S+)( .*)? -->$`)
	// absentMarker names the rules no object of the demo world shows.
	absentMarker = regexp.MustCompile(`^<!-- not in the demo world: (.+) -->$`)
	ruleRow      = regexp.MustCompile("^\\| `([a-z-]+)` \\|")
)

// parseScoringDoc returns the worked examples of the doc, the rules its
// rule table names and the rules it says the demo world does not show.
func parseScoringDoc(lines []string) (ex []docExample, rules, absent []string) {
	for i := 0; i < len(lines); i++ {
		if m := ruleRow.FindStringSubmatch(lines[i]); m != nil {
			rules = append(rules, m[1])
		}
		if m := absentMarker.FindStringSubmatch(lines[i]); m != nil {
			absent = append(absent, strings.Fields(m[1])...)
		}
		m := exampleMarker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		x := docExample{object: m[1], marker: lines[i], line: i}
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			x.table = append(x.table, lines[j])
		}
		ex = append(ex, x)
	}
	slices.Sort(rules) // the index of the examples names rules again
	return ex, slices.Compact(rules), absent
}

// explainJSON is the part of `tipd explain -json` the examples show.
type explainJSON struct {
	Kind        string
	Object      string
	Zone        string
	ThreatScore *int
	FileStatus  *string
	Evidence    []struct {
		Points   int
		Rule     string
		Evidence string
		Source   *string
		Feed     *string
		File     *string
		Imported *string
		Note     string
	}
}

// docBlock is the marker and table the doc must hold for an explanation.
func docBlock(object string, demo bool, x *explainJSON) (marker string, table []string) {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var verdict string
	if x.ThreatScore != nil {
		marker = fmt.Sprintf("<!-- example: %s score=%d zone=%s", object, *x.ThreatScore, x.Zone)
		verdict = fmt.Sprintf("| **%d** | | **score %d, zone %s** | | |", *x.ThreatScore, *x.ThreatScore, x.Zone)
	} else {
		status := ""
		if x.FileStatus != nil {
			status = *x.FileStatus
		}
		marker = fmt.Sprintf("<!-- example: %s zone=%s status=%q", object, x.Zone, status)
		verdict = fmt.Sprintf("| | | **zone %s, status %s** | | |", x.Zone, status)
	}
	if demo {
		marker += " demo"
	}
	marker += " -->"
	table = []string{"| points | rule | evidence | source | how |", "| --- | --- | --- | --- | --- |"}
	for _, c := range x.Evidence {
		src := "-"
		if c.Source != nil && *c.Source != "" {
			src = *c.Source
		}
		table = append(table, fmt.Sprintf("| %+d | %s | %s | %s | %s |", c.Points, c.Rule, cell(c.Evidence), cell(src), cell(c.Note)))
	}
	return marker, append(table, verdict)
}

// runDemoStore runs `tipd demo` with the fixed clock on a new Pebble store
// until it has printed its examples, stops it and returns the store and
// the objects it printed on example: lines.
func runDemoStore(t *testing.T, args ...string) (string, map[string]bool) {
	t.Helper()
	st := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"demo", "-addr", "127.0.0.1:0", "-store", st}, args...), testEnv(nil), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	printed := map[string]bool{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		if k == "example" {
			obj, _, _ := strings.Cut(v, " ")
			printed[obj] = true
		}
		if k == "try" {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop")
	}
	if len(printed) == 0 {
		t.Fatalf("demo printed no example; stderr: %s", stderr.String())
	}
	return st, printed
}

func ptr(s string) *string { return &s }

// worldObjects returns every object the demo world names (addresses,
// names, web addresses, hashes), as its records write them.
func worldObjects(t *testing.T) map[string]bool {
	t.Helper()
	now, err := time.Parse(time.RFC3339, e2eNow)
	if err != nil {
		t.Fatal(err)
	}
	var world bytes.Buffer
	if _, _, err := gen.WriteWorld(&world, gen.Options{Size: gen.DefaultSize, Seed: 1, Now: now}); err != nil {
		t.Fatal(err)
	}
	objects := map[string]bool{}
	sc := bufio.NewScanner(&world)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue // comments
		}
		for _, k := range []string{"ip", "ips", "domain", "url", "target_url", "md5", "sha1", "sha256", "hash", "target_md5", "item", "location"} {
			switch v := rec[k].(type) {
			case string:
				objects[v] = true
			case []any:
				for _, x := range v {
					if s, ok := x.(string); ok {
						objects[s] = true
					}
				}
			}
		}
	}
	if len(objects) < gen.DefaultSize {
		t.Fatalf("got %d objects in the demo world, want at least %d", len(objects), gen.DefaultSize)
	}
	return objects
}

// worldRules explains the objects of the demo world, on the store `tipd
// demo` filled, and returns for each rule shown one object whose
// explanation shows it.
func worldRules(t *testing.T, st string, objects map[string]bool) map[string]string {
	t.Helper()
	now, err := time.Parse(time.RFC3339, e2eNow)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, _, err := openStore(ctx, st, storeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	net := netdata.NewHolder()
	if err := net.Refresh(ctx, s, true); err != nil {
		t.Fatal(err)
	}
	b := &report.Builder{Store: s, Net: net, Now: func() time.Time { return now },
		Score: score.Config{HalfLife: score.DefaultHalfLife, ReportHalfLife: score.DefaultReportHalfLife}}
	byRule := map[string]string{}
	for obj := range objects {
		target, err := report.ParseExplainTarget(obj)
		if err != nil {
			continue
		}
		x, err := b.ExplainData(ctx, target)
		if err != nil {
			t.Fatalf("explain %s: %v", obj, err)
		}
		for _, c := range x.Evidence {
			byRule[c.Rule] = obj
		}
	}
	return byRule
}

// TestScoringDocExamples builds the demo world as docs/scoring.md says
// (`TIPD_NOW=2026-11-28T12:00:00Z tipd demo`, default size and seed), runs
// `tipd explain` on the object of every worked example of the doc and
// checks the figures the doc shows: score, zone (status for files), and
// each piece's points, rule, evidence, source and computation, in order.
// With -update it rewrites the examples' tables from the explanations.
// It also checks that every rule of the doc's rule table is shown by an
// example or named as absent from the demo world, and not both.
func TestScoringDocExamples(t *testing.T) {
	data, err := os.ReadFile(scoringDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	examples, rules, absent := parseScoringDoc(lines)
	if len(examples) == 0 || len(rules) == 0 {
		t.Fatalf("got %d examples and %d rules in %s, want some of each", len(examples), len(rules), scoringDoc)
	}
	if cmd := "TIPD_NOW=" + e2eNow + " tipd demo"; !strings.Contains(string(data), cmd) {
		t.Errorf("%s does not say how to build the world: got no %q", scoringDoc, cmd)
	}
	st, printed := runDemoStore(t)
	objects := worldObjects(t)

	shown := map[string]bool{}
	for i := len(examples) - 1; i >= 0; i-- { // backwards: rewriting keeps earlier line numbers
		ex := examples[i]
		demo := strings.HasSuffix(ex.marker, " demo -->")
		if demo && !printed[ex.object] {
			t.Errorf("example %s: marked as printed by tipd demo, but demo printed no example: line for it", ex.object)
		}
		if !demo && !objects[ex.object] {
			t.Errorf("example %s: got no record of the demo world naming it, want one (or a demo example)", ex.object)
		}
		var x explainJSON
		out := mustTipd(t, "explain", "-json", "-store", st, ex.object)
		if err := json.Unmarshal([]byte(out), &x); err != nil {
			t.Fatalf("explain %s: %v in %q", ex.object, err, out)
		}
		for _, c := range x.Evidence {
			shown[c.Rule] = true
			// The doc states the provenance of every record once.
			for _, f := range [][2]*string{{c.Feed, ptr("demo")}, {c.File, ptr("demo-world.jsonl")}, {c.Imported, ptr(e2eNow)}} {
				if f[0] != nil && *f[0] != *f[1] {
					t.Errorf("example %s, %s: got provenance %q, want %q as the doc says", ex.object, c.Evidence, *f[0], *f[1])
				}
			}
		}
		marker, table := docBlock(ex.object, demo, &x)
		if *update {
			lines = slices.Replace(lines, ex.line, ex.line+1+len(ex.table), append([]string{marker}, table...)...)
			continue
		}
		if ex.marker != marker {
			t.Errorf("example %s: got marker\n%s\nwant (from tipd explain)\n%s", ex.object, ex.marker, marker)
		}
		if !slices.Equal(ex.table, table) {
			t.Errorf("example %s: got table\n%s\nwant (from tipd explain)\n%s", ex.object, strings.Join(ex.table, "\n"), strings.Join(table, "\n"))
		}
	}
	if *update {
		if err := os.WriteFile(scoringDoc, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rules {
		isAbsent := slices.Contains(absent, r)
		switch {
		case shown[r] && isAbsent:
			t.Errorf("rule %s: an example shows it, but the doc says no object of the demo world does", r)
		case !shown[r] && !isAbsent:
			t.Errorf("rule %s: got no example showing it, want one (or the doc saying the demo world has none)", r)
		}
	}
	for _, r := range absent {
		if !slices.Contains(rules, r) {
			t.Errorf("the doc says the demo world lacks rule %q, which its rule table does not name", r)
		}
	}
	// What the doc says the demo world lacks, no object of it shows.
	for rule, obj := range worldRules(t, st, objects) {
		if slices.Contains(absent, rule) {
			t.Errorf("rule %s: the doc says no object of the demo world shows it, but %s does", rule, obj)
		}
	}
	t.Logf("%d examples; rules shown: %s", len(examples), strconv.Itoa(len(shown)))
}
