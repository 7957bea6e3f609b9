package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// The answers kept between lookups (answercache.go) are never stale: an
// import, a hold on the object or on an item of its lists, a revoked token
// and a used-up quota each apply to the very next lookup, and LicenseInfo
// counts every answer, kept or built. On the mem store and on Pebble.

const cachedIP = "45.95.147.30"

// seedCached stores a resolution of cachedIP to a domain, and nothing
// else: the address is Grey.
func seedCached(t *testing.T, e *env) {
	t.Helper()
	day := now.AddDate(0, 0, -1)
	ip := netip.MustParseAddr(cachedIP)
	b := &intel.Batch{Resolutions: []intel.Resolution{{IP: ip, Domain: "kept.example", FirstSeen: day, LastSeen: day,
		Hits: 3, Source: intel.Source{Feed: "test"}}}}
	if err := e.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// lookupJSON looks cachedIP up and decodes the answer.
func lookupJSON(t *testing.T, e *env, target, user string) (int, map[string]any, []byte) {
	t.Helper()
	w := e.do(t, http.MethodGet, target, user)
	if w.Code != http.StatusOK {
		return w.Code, nil, w.Body.Bytes()
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s: %v: %s", target, err, w.Body)
	}
	return w.Code, m, w.Body.Bytes()
}

func dayRequests(m map[string]any) any {
	l, _ := m["LicenseInfo"].(map[string]any)
	return l["DayRequests"]
}

func TestKeptAnswers(t *testing.T) {
	for name, open := range holdStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, options{store: open(t)})
			seedCached(t, e)
			target := "/api/ip/" + cachedIP + "?count=10"

			// Built, then kept: the same bytes but for LicenseInfo, whose
			// count is exact on every answer.
			var first []byte
			for i := 1; i <= 3; i++ {
				code, m, body := lookupJSON(t, e, target, "alice")
				if code != 200 {
					t.Fatalf("lookup %d: status %d: %s", i, code, body)
				}
				if got := dayRequests(m); got != float64(i) {
					t.Errorf("lookup %d: DayRequests %v, want %d", i, got, i)
				}
				if m["Zone"] != "Grey" {
					t.Errorf("lookup %d: Zone %v, want Grey", i, m["Zone"])
				}
				rest := withoutLicense(t, body)
				if first == nil {
					first = rest
				} else if !bytes.Equal(rest, first) {
					t.Errorf("lookup %d: got\n%s\nwant\n%s", i, rest, first)
				}
			}
			if h := e.metric(t, "tipd_answer_cache_hits_total"); h != 2 {
				t.Errorf("hits %d, want 2", h)
			}
			if m := e.metric(t, "tipd_answer_cache_misses_total"); m != 1 {
				t.Errorf("misses %d, want 1", m)
			}
			if m := e.metric(t, "tipd_answer_cache_bytes"); m <= 0 {
				t.Errorf("cache bytes %d, want > 0", m)
			}

			// An import that lists the address: the next lookup says so.
			day := now.AddDate(0, 0, -1)
			if err := e.st.Apply(ctx, &intel.Batch{Listings: []intel.Listing{{IP: netip.MustParseAddr(cachedIP),
				Category: intel.CatBotnetCNC, Feed: "c2", FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: "c2"}}}}); err != nil {
				t.Fatal(err)
			}
			if _, m, body := lookupJSON(t, e, target, "alice"); m["Zone"] != "Orange" {
				t.Errorf("after the import: Zone %v, want Orange (Grey before): %s", m["Zone"], body)
			}
			_, _, body := lookupJSON(t, e, target, "alice")
			if !bytes.Contains(body, []byte(`"kept.example"`)) {
				t.Fatalf("the resolution is not in the answer: %s", body)
			}

			// A hold on an item of its lists: the item is gone at once.
			if err := e.st.PutHold(ctx, intel.Hold{Ref: "hold-00000001", Domain: "kept.example", Reason: "order", Created: now}); err != nil {
				t.Fatal(err)
			}
			if _, _, body := lookupJSON(t, e, target, "alice"); bytes.Contains(body, []byte(`"kept.example"`)) {
				t.Errorf("after a hold on the domain: the resolution is still in the answer: %s", body)
			}
			if err := e.st.DeleteHold(ctx, "hold-00000001"); err != nil {
				t.Fatal(err)
			}
			if _, _, body := lookupJSON(t, e, target, "alice"); !bytes.Contains(body, []byte(`"kept.example"`)) {
				t.Errorf("after the hold was lifted: no resolution in the answer: %s", body)
			}

			// A hold on the address: 451 at once.
			if err := e.st.PutHold(ctx, intel.Hold{Ref: "hold-00000002", Prefix: netip.MustParsePrefix(cachedIP + "/32"),
				Reason: "order", Created: now}); err != nil {
				t.Fatal(err)
			}
			if code, _, body := lookupJSON(t, e, target, "alice"); code != http.StatusUnavailableForLegalReasons {
				t.Errorf("after a hold on the address: status %d, want 451: %s", code, body)
			}
			if err := e.st.DeleteHold(ctx, "hold-00000002"); err != nil {
				t.Fatal(err)
			}
			if code, _, body := lookupJSON(t, e, target, "alice"); code != 200 {
				t.Fatalf("after the hold was lifted: status %d: %s", code, body)
			}

			// A revoked token: 401 at once, though the answer is kept.
			if err := e.acc.RevokeToken(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			if code, _, body := lookupJSON(t, e, target, "alice"); code != http.StatusUnauthorized {
				t.Errorf("after the token was revoked: status %d, want 401: %s", code, body)
			}

			// A quota of 20: the 21st lookup is refused, kept answer or not.
			for i := 1; i <= 21; i++ {
				code, m, body := lookupJSON(t, e, target, "trial")
				switch {
				case i <= 20 && (code != 200 || dayRequests(m) != float64(i)):
					t.Fatalf("trial lookup %d: status %d, DayRequests %v: %s", i, code, dayRequests(m), body)
				case i == 21 && code != http.StatusForbidden:
					t.Errorf("trial lookup 21: status %d, want 403: %s", code, body)
				}
			}
			if n := e.dayCount(t, "trial"); n != 20 {
				t.Errorf("trial's day count %d, want 20", n)
			}
		})
	}
}

// A search for an unknown object is answered 404 no_data from a kept
// answer too, and counted; the import that makes it known is seen by the
// next search.
func TestKeptSearchAnswers(t *testing.T) {
	for name, open := range holdStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			target := "/api/v1/search/domain?request=later.example"
			for i := range 2 {
				if w := e.do(t, http.MethodGet, target, "alice"); w.Code != http.StatusNotFound {
					t.Fatalf("search %d: status %d, want 404: %s", i, w.Code, w.Body)
				}
			}
			if n := e.dayCount(t, "alice"); n != 2 {
				t.Errorf("day count %d, want 2", n)
			}
			day := now.AddDate(0, 0, -1)
			if err := e.st.Apply(context.Background(), &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectHost,
				Key: "later.example", Hits: 1, FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: "test"}}}}); err != nil {
				t.Fatal(err)
			}
			if w := e.do(t, http.MethodGet, target, "alice"); w.Code != http.StatusOK {
				t.Errorf("after the import: status %d, want 200: %s", w.Code, w.Body)
			}
		})
	}
}

// withoutLicense returns an answer without its LicenseInfo member.
func withoutLicense(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "LicenseInfo")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hashCounter counts the FileHashes reads of a store.
type hashCounter struct {
	store.Store
	n atomic.Int64
}

// IntelVersion passes the store's on, so that answers are kept.
func (h *hashCounter) IntelVersion() (uint64, bool) { return store.IntelVersion(h.Store) }

func (h *hashCounter) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	h.n.Add(1)
	return h.Store.FileHashes(ctx, hash)
}

// A kept file answer reads no hashes for the hold check while there is no
// hold at all; a hold on the file's SHA-256 still refuses its MD5 at once.
func TestKeptFileAnswerNoHolds(t *testing.T) {
	ctx := context.Background()
	const md5, sha256 = "0F343B0931126A20F133D67C2B018A3B", "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	st := &hashCounter{Store: mem.New()}
	e := newEnv(t, options{store: st})
	day := now.AddDate(0, 0, -1)
	if err := st.Apply(ctx, &intel.Batch{
		FileHashes:  []intel.FileHashes{{MD5: md5, SHA256: sha256, Source: intel.Source{Feed: "test"}}},
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha256, FirstSeen: day, LastSeen: day, Type: "exe", Source: intel.Source{Feed: "test"}}},
	}); err != nil {
		t.Fatal(err)
	}
	target := "/api/hash/" + md5 + "?sections=Zone,FileGeneralInfo"
	if code, m, body := lookupJSON(t, e, target, "alice"); code != 200 || m["Zone"] != "Grey" {
		t.Fatalf("first lookup: %d %s", code, body)
	}
	before := st.n.Load()
	if code, _, body := lookupJSON(t, e, target, "alice"); code != 200 {
		t.Fatalf("kept lookup: %d %s", code, body)
	}
	if h := e.metric(t, "tipd_answer_cache_hits_total"); h != 1 {
		t.Fatalf("hits %d, want 1", h)
	}
	if n := st.n.Load() - before; n != 0 {
		t.Errorf("a kept answer with no hold read FileHashes %d times, want 0", n)
	}
	if err := st.PutHold(ctx, intel.Hold{Ref: "hold-file", Hash: sha256, Reason: "order", Created: now}); err != nil {
		t.Fatal(err)
	}
	if code, _, body := lookupJSON(t, e, target, "alice"); code != http.StatusUnavailableForLegalReasons {
		t.Errorf("after a hold on the SHA-256: status %d, want 451: %s", code, body)
	}
}
