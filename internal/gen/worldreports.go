package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteWorldReports writes the threat reports of the world of o (the same
// reports, ids and fields as WriteWorld) in the reports import format with
// their files: YARA rules for each, and for every other one (the first, the
// third, …) a one-page PDF (PDF) named ReportPDFName, written under dir.
// Imported after the world, it gives its reports their files, for
// /api/publications' include_info and get_master_yara. The same options give
// the same bytes.
func WriteWorldReports(w io.Writer, dir string, o Options) error {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Size < 0 || o.Size > MaxSize {
		return fmt.Errorf("world size %d out of range 1-%d", o.Size, MaxSize)
	}
	g := newWorld(o, io.Discard)
	type record struct {
		ID          string          `json:"id"`
		Type        string          `json:"type"`
		Title       string          `json:"title"`
		Published   string          `json:"published"`
		Updated     string          `json:"updated,omitempty"`
		Description json.RawMessage `json:"description,omitempty"`
		Industries  []string        `json:"industries,omitempty"`
		Geo         []string        `json:"geo,omitempty"`
		Actors      []string        `json:"actors,omitempty"`
		Tags        []string        `json:"tags,omitempty"`
		IPs         []string        `json:"ips,omitempty"`
		YARA        string          `json:"yara,omitempty"`
		PDF         string          `json:"pdf,omitempty"`
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for n := 0; n < g.nReports; n++ {
		r := g.report(n)
		rec := record{ID: r.ID, Type: r.Type, Title: r.Title, Published: r.Published, Updated: r.Updated,
			Description: r.Description, Industries: r.Industries, Geo: r.Geo, Actors: r.Actors, Tags: r.Tags, IPs: r.IPs,
			YARA: worldYARA(r.ID, r.Type, n)}
		if n%2 == 0 {
			rec.PDF = ReportPDFName(r.ID)
			path := filepath.Join(dir, filepath.FromSlash(rec.PDF))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("write the world's reports: %w", err)
			}
			doc := PDF(r.Title, "Report "+r.ID+", published "+r.Published+", updated "+r.Updated+".",
				"Invented report of the synthetic world: nothing in it is true.",
				"Actors: "+strings.Join(r.Actors, ", ")+". Industries: "+strings.Join(r.Industries, ", ")+".")
			if err := os.WriteFile(path, doc, 0o644); err != nil {
				return fmt.Errorf("write the world's reports: %w", err)
			}
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("write the world's reports: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write the world's reports: %w", err)
	}
	return nil
}

// worldYARA is a YARA rule of the world's report n.
func worldYARA(id, typ string, n int) string {
	return fmt.Sprintf("rule World_%s_%d\n{\n    meta:\n        description = \"Invented rule of the synthetic world\"\n        report = \"%s\"\n"+
		"    strings:\n        $beacon = \"/gate-%d.php\" ascii\n        $mutex = \"Global\\\\world-%s-%d\" wide\n    condition:\n        any of them\n}\n",
		typ, n+1, id, n+1, strings.ToLower(typ), n+1)
}
