package formats

import (
	"errors"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/lists"
	"github.com/tipd/tipd/internal/intel"
)

func TestFeedFormats(t *testing.T) {
	for _, name := range []string{"urlhaus", "threatfox", "feodo", "drop", "openphish", "phishtank", "malwarebazaar", "urlhaus-payloads", "rdap"} {
		mk, err := New(name, importer.ParserConfig{})
		if err != nil || mk() == nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}

func TestIPSetNeedsCategoryAndFeed(t *testing.T) {
	if _, err := New("ipset", importer.ParserConfig{Feed: "L"}); !errors.Is(err, lists.ErrNoCategory) {
		t.Errorf("got %v without -category, want %v", err, lists.ErrNoCategory)
	}
	if _, err := New("ipset", importer.ParserConfig{Category: intel.CatScanner}); !errors.Is(err, lists.ErrNoFeed) {
		t.Errorf("got %v without -feed, want %v", err, lists.ErrNoFeed)
	}
	if _, err := New("ipset", importer.ParserConfig{Feed: "L", Category: intel.CatScanner}); err != nil {
		t.Errorf("got %v with both, want nil", err)
	}
}
