package score

import (
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

func TestObjectVerdicts(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	listing := func(c intel.Category, feed string) intel.ObjectListing {
		return intel.ObjectListing{Category: c, Feed: feed, LastSeen: now}
	}
	redHost := intel.FeedMask{Mask: "bad.example", MaskType: intel.MaskHost, Zone: intel.ZoneRed, Feeds: []string{"F"}}
	redPrefix := intel.FeedMask{Mask: "good.example/x/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed, Feeds: []string{"F"}}
	allow := []AllowRef{{List: "Top sites", Name: "good.example"}}
	tests := []struct {
		name      string
		in        ObjectInput
		wantScore int
		wantZone  intel.Zone
	}{
		{"nothing", ObjectInput{Kind: intel.ObjectHost}, 0, intel.ZoneGrey},
		{"one Red feed", ObjectInput{Kind: intel.ObjectHost, Listings: []intel.ObjectListing{listing(intel.CatMalware, "A")}}, 70, intel.ZoneOrange},
		{"two Red feeds", ObjectInput{Kind: intel.ObjectHost, Listings: []intel.ObjectListing{listing(intel.CatMalware, "A"), listing(intel.CatMalware, "B")}}, 95, intel.ZoneRed},
		{"adware", ObjectInput{Kind: intel.ObjectHost, Listings: []intel.ObjectListing{listing(intel.CatAdware, "A")}}, 40, intel.ZoneYellow},
		{"Red Host mask", ObjectInput{Kind: intel.ObjectHost, Masks: []intel.FeedMask{redHost}}, 0, intel.ZoneRed},
		{"allow-listed domain", ObjectInput{Kind: intel.ObjectHost, Allows: allow, Masks: []intel.FeedMask{redHost},
			Listings: []intel.ObjectListing{listing(intel.CatMalware, "A"), listing(intel.CatMalware, "B")}}, 0, intel.ZoneGreen},
		{"known benign listing", ObjectInput{Kind: intel.ObjectHost, Listings: []intel.ObjectListing{listing(intel.CatBenign, "W")}}, 0, intel.ZoneGreen},
		{"web address on a Red host", ObjectInput{Kind: intel.ObjectURL, Host: "bad.example", HostZone: intel.ZoneRed}, 0, intel.ZoneRed},
		{"web address on an Orange host", ObjectInput{Kind: intel.ObjectURL, Host: "bad.example", HostZone: intel.ZoneOrange}, 0, intel.ZoneOrange},
		{"web address on a Grey host", ObjectInput{Kind: intel.ObjectURL, Host: "x.example", HostZone: intel.ZoneGrey}, 0, intel.ZoneGrey},
		{"recorded Red", ObjectInput{Kind: intel.ObjectURL, Recorded: intel.ZoneRed}, 0, intel.ZoneRed},
		{"recorded Green", ObjectInput{Kind: intel.ObjectURL, Recorded: intel.ZoneGreen}, 0, intel.ZoneGreen},
		{"allow-listed host, Host mask suppressed", ObjectInput{Kind: intel.ObjectURL, Allows: allow, Host: "good.example", HostZone: intel.ZoneGreen,
			Masks: []intel.FeedMask{redHost}}, 0, intel.ZoneGreen},
		{"allow-listed host, own prefix mask", ObjectInput{Kind: intel.ObjectURL, Allows: allow, Host: "good.example", HostZone: intel.ZoneGreen,
			Masks: []intel.FeedMask{redPrefix}}, 0, intel.ZoneRed},
		{"a score above the floor", ObjectInput{Kind: intel.ObjectURL, Recorded: intel.ZoneYellow,
			Listings: []intel.ObjectListing{listing(intel.CatMalware, "A"), listing(intel.CatMalware, "B")}}, 95, intel.ZoneRed},
	}
	for _, tt := range tests {
		tt.in.Now = now
		got := Object(Config{}, &tt.in)
		if got.Score != tt.wantScore || got.Zone != tt.wantZone {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, got.Score, got.Zone, tt.wantScore, tt.wantZone)
		}
		v := ObjectVerdict(Config{}, &tt.in)
		if v.Score != got.Score || v.Zone != got.Zone || len(v.Contributions) != 0 {
			t.Errorf("%s: ObjectVerdict got %d %s %d contributions, want Object's %d %s and none", tt.name, v.Score, v.Zone, len(v.Contributions), got.Score, got.Zone)
		}
		sum := 0
		for _, c := range got.Contributions {
			sum += c.Points
		}
		if sum != got.Score {
			t.Errorf("%s: contributions add up to %d, want the score %d", tt.name, sum, got.Score)
		}
	}
}

func TestFileVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		in     FileInput
		zone   intel.Zone
		status string
		note   string
	}{
		{"nothing", FileInput{}, intel.ZoneGrey, FileNotCategorized, ""},
		{"detection", FileInput{Detected: intel.ZoneRed, Detections: []string{"HEUR:Trojan.Win32.Generic"}}, intel.ZoneRed, FileMalware, "a detection of the file"},
		{"adware only", FileInput{Detected: intel.ZoneYellow, Detections: []string{"not-a-virus:AdWare.Win32.X"}}, intel.ZoneYellow, FileAdware, "adware-type"},
		{"malware listing", FileInput{Listings: []intel.ObjectListing{{Category: intel.CatMalware, Feed: "ThreatFox"}}}, intel.ZoneRed, FileMalware, "Red category"},
		{"report", FileInput{Reports: 1, ReportIDs: []string{"rpt-1"}}, intel.ZoneRed, FileMalware, "a report naming the file"},
		{"adware and a report", FileInput{Detected: intel.ZoneYellow, Reports: 1}, intel.ZoneRed, FileMalware, ""},
		{"Orange listing", FileInput{Listings: []intel.ObjectListing{{Category: intel.CatBadReputation, Feed: "F"}}}, intel.ZoneGrey, FileNotCategorized, "no Orange zone"},
		{"allow list", FileInput{Allows: []string{"NSRL"}}, intel.ZoneGreen, FileClean, "known benign"},
		{"allow list and a detection", FileInput{Allows: []string{"NSRL"}, Detected: intel.ZoneRed}, intel.ZoneRed, FileMalware, ""},
		{"downloaded from Red web addresses", FileInput{RedSources: 3}, intel.ZoneGrey, FileNotCategorized, "not convicted by where it was seen"},
	}
	for _, tt := range tests {
		got := File(&tt.in)
		if got.Zone != tt.zone || got.Status != tt.status {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, got.Zone, got.Status, tt.zone, tt.status)
		}
		if v := FileVerdict(&tt.in); v.Zone != got.Zone || v.Status != got.Status || len(v.Contributions) != 0 {
			t.Errorf("%s: FileVerdict got %+v, want File's verdict without contributions", tt.name, v)
		}
		var notes []string
		for _, c := range got.Contributions {
			notes = append(notes, c.Note)
		}
		if tt.note != "" && !strings.Contains(strings.Join(notes, "\n"), tt.note) {
			t.Errorf("%s: got notes %q, want one saying %q", tt.name, notes, tt.note)
		}
	}
}
