package formats

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDocsListEveryFormat checks that every format of the table has its
// section in the documentation, that the table is sorted and that the
// files gen writes are named once.
func TestDocsListEveryFormat(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	feeds, native := read("import-formats.md"), read("import-format.md")
	gens := map[string]bool{}
	if !slices.IsSorted(Names()) {
		t.Errorf("the table is not sorted by name: %v", Names())
	}
	for _, f := range Table {
		if !strings.Contains(feeds, "\n## `"+f.Name+"` ") && !strings.Contains(native, "(`-format "+f.Name+"`)") {
			t.Errorf("format %q has no section in docs/import-formats.md", f.Name)
		}
		if f.New == nil {
			t.Errorf("format %q makes no parser", f.Name)
		}
		for _, g := range f.Gen {
			if gens[g.Name] || g.Write == nil || g.File == "" {
				t.Errorf("format %q: gen file %q is named twice or incomplete", f.Name, g.Name)
			}
			gens[g.Name] = true
		}
	}
}
