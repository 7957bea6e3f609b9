package pebble

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The read path's decoders (itemDec, decReportJSON) must decode exactly
// what the reference decoders decode, and fail exactly when they fail.

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(r.Int64N(2e9), 0).UTC()
	default:
		return time.Unix(r.Int64N(4e9)-1e9, r.Int64N(1e9)).UTC()
	}
}

func randName(r *rand.Rand, names ...string) string { return names[r.IntN(len(names))] }

func randZone(r *rand.Rand) intel.Zone {
	return intel.Zone(randName(r, "", "Red", "Grey", "Green", "Yellow", "Orange", "Purple"))
}

func randCats(r *rand.Rand) []intel.Category {
	var cs []intel.Category
	for range r.IntN(3) {
		cs = append(cs, intel.Category(randName(r, string(intel.CatMalware), string(intel.CatBotnetCNC), "CATEGORY_NEW")))
	}
	return cs
}

func randSource(r *rand.Rand) intel.Source {
	if r.IntN(3) > 0 {
		return intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	return intel.Source{Feed: randName(r, "", "A", "Feed B"), File: randName(r, "", "f.csv"), Imported: randTime(r)}
}

// itemValues returns n encoded values of one list kind.
func itemValues(kind string, r *rand.Rand, n int) [][]byte {
	var out [][]byte
	for range n {
		switch kind {
		case "hosted":
			out = append(out, encHosted(nil, &intel.HostedURL{Zone: randZone(r), Categories: randCats(r), Hits: r.Int64N(1e6) - 10,
				Truncated: r.IntN(2) == 0, FirstSeen: randTime(r), LastSeen: randTime(r), Source: randSource(r)}))
		case "file", "urlfile":
			f := intel.FileDownload{Zone: randZone(r), DetectionName: randName(r, "", "HEUR:Trojan", "Mirai"), Hits: r.Int64N(1000),
				FirstSeen: randTime(r), LastSeen: randTime(r), Source: randSource(r)}
			if kind == "urlfile" {
				f.IP = benchBigIP
				f.URL = randName(r, "http://a/b", "")
			}
			out = append(out, encFile(nil, &f, kind == "urlfile"))
		case "resolution":
			out = append(out, encResolution(nil, &intel.Resolution{FirstSeen: randTime(r), LastSeen: randTime(r), Hits: r.Int64N(50),
				DailyPeak: r.Int64N(9), PeakDate: randTime(r), Source: randSource(r), Zone: randZone(r), Categories: randCats(r)}))
		case "mask":
			var feeds []string
			for range r.IntN(3) {
				feeds = append(feeds, randName(r, "Malicious URL Feed", "Botnet CC URL Feed", ""))
			}
			out = append(out, encMask(nil, &intel.FeedMask{Zone: randZone(r), Feeds: feeds, LastSeen: randTime(r), Source: randSource(r)}))
		}
	}
	return out
}

// decodeBoth decodes vals as one list with itemDec and one by one with
// the reference decoder; it returns both results and errors.
func decodeBoth(kind string, vals [][]byte) (got, want []any, gotErr, wantErr bool) {
	d := itemDec{limit: len(vals)}
	for _, v := range vals {
		key := []byte("key")
		switch kind {
		case "hosted":
			var a, b intel.HostedURL
			d.item(key, v)
			decHosted(&d.dec, &a)
			err := decHosted(&dec{s: string(v)}, &b)
			got, want, gotErr, wantErr = append(got, a), append(want, b), gotErr || d.err != nil, wantErr || err != nil
		case "file", "urlfile":
			var a, b intel.FileDownload
			d.item(key, v)
			decFile(&d.dec, &a, kind == "urlfile")
			err := decFile(&dec{s: string(v)}, &b, kind == "urlfile")
			got, want, gotErr, wantErr = append(got, a), append(want, b), gotErr || d.err != nil, wantErr || err != nil
		case "resolution":
			var a, b intel.Resolution
			d.item(key, v)
			decResolution(&d.dec, &a)
			err := decResolution(&dec{s: string(v)}, &b)
			got, want, gotErr, wantErr = append(got, a), append(want, b), gotErr || d.err != nil, wantErr || err != nil
		case "mask":
			var a, b intel.FeedMask
			d.item(key, v)
			decMask(&d.dec, &a)
			err := decMask(&dec{s: string(v)}, &b)
			got, want, gotErr, wantErr = append(got, a), append(want, b), gotErr || d.err != nil, wantErr || err != nil
		}
		if gotErr || wantErr {
			break
		}
	}
	return got, want, gotErr, wantErr
}

func TestItemDecMatchesDec(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"hosted", "file", "urlfile", "resolution", "mask"} {
		for round := range 300 {
			vals := itemValues(kind, r, 1+r.IntN(20))
			// Some rounds damage one value: truncated, a byte changed, or
			// garbage appended.
			if round%3 == 1 {
				i := r.IntN(len(vals))
				v := vals[i]
				switch r.IntN(3) {
				case 0:
					vals[i] = v[:r.IntN(len(v))]
				case 1:
					v[r.IntN(len(v))] = byte(r.IntN(256))
				case 2:
					vals[i] = append(v, byte(r.IntN(256)))
				}
			}
			got, want, gotErr, wantErr := decodeBoth(kind, vals)
			if gotErr != wantErr {
				t.Fatalf("%s round %d: error %v, reference error %v", kind, round, gotErr, wantErr)
			}
			if !gotErr && !reflect.DeepEqual(got, want) {
				t.Fatalf("%s round %d:\n got %+v\nwant %+v", kind, round, got, want)
			}
		}
	}
}

func TestDecReportJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	strs := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		return []string{"Telecommunications", "Government <&>", "Ünïcode", "quote \" back \\ slash", "\x01ctl", "\u2028 \U0001F600 \xff"}[:1+r.IntN(6)]
	}
	for i := range 2000 {
		rep := intel.Report{ID: fmt.Sprint("rpt-", i), Type: randName(r, "apt", "crimeware", ""), Title: randName(r, "Mirai wave", "A \"quoted\" title", "tab\there", "日本語"),
			Description: randName(r, "", "line\nbreak", "<script>"), Published: randTime(r), Updated: randTime(r),
			Tags: strs(), Industries: strs(), Geo: strs(), Actors: strs(), Indicators: strs(), Source: randSource(r)}
		if r.IntN(5) == 0 {
			rep.Published = rep.Published.In(time.FixedZone("X", 3600))
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		variants := []string{string(b)}
		// Variants outside the plain form, and invalid ones.
		variants = append(variants, " "+string(b), strings.Replace(string(b), `"ID"`, `"id"`, 1), string(b)+"x",
			string(b[:r.IntN(len(b))]), strings.Replace(string(b), `"Tags":`, `"Tags": `, 1), strings.Replace(string(b), `"Source":{`, `"Extra":1,"Source":{`, 1),
			strings.Replace(string(b), `"Geo":null`, `"Geo":nul`, 1), "{}", `{"ID":"a","ID":"b"}`, `{"Tags":["x",]}`, "\xff",
			`{"Title":"\ud83d\ude00 \ud83d \ude00\u00e9\/\b\f"}`, `{"Title":"\ud83d\u0041"}`, `{"Title":"\uD83D\uDE00\x"}`, `{"Title":"a\u12"}`,
			`{"Title":"\u0000\t\r"}`, `{"Title":"\"`, `{"Title":"\`+"\xff"+`"}`, `{"Title":"é\n`+"\xff"+`"}`)
		for _, v := range variants {
			var want intel.Report
			wantErr := json.Unmarshal([]byte(v), &want)
			var got intel.Report
			if !decReportJSON(v, &got) {
				continue // encoding/json decodes it
			}
			if wantErr != nil {
				t.Fatalf("accepted %q, which json.Unmarshal rejects: %v", v, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\n got %+v\nwant %+v", v, got, want)
			}
		}
		var plain intel.Report
		if !decReportJSON(string(b), &plain) {
			t.Fatalf("report as json.Marshal wrote it not decoded: %s", b)
		}
	}
}

// FuzzDecReportString: a report whose Title is any string, as json.Marshal
// writes it, is decoded (escapes too) to what json.Unmarshal decodes; and
// any quoted text decReportJSON accepts as a Title, json.Unmarshal reads
// the same.
func FuzzDecReportString(f *testing.F) {
	for _, s := range []string{"plain", "a\"b\\c\n\t\x01", "<&> \u2028 \U0001F600 é \xff", `\ud83d\ude00 \ud83d`, `\u00e9\/`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(intel.Report{Title: s})
		if err != nil {
			t.Fatal(err)
		}
		var got, want intel.Report
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !decReportJSON(string(b), &got) {
			t.Fatalf("%s as json.Marshal wrote it not decoded", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, want %+v", b, got, want)
		}
		raw := `{"Title":"` + s + `"}`
		got = intel.Report{}
		if !decReportJSON(raw, &got) {
			return
		}
		want = intel.Report{}
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("accepted %q, which json.Unmarshal rejects: %v", raw, err)
		}
		if got.Title != want.Title {
			t.Fatalf("%q: got %q, want %q", raw, got.Title, want.Title)
		}
	})
}
