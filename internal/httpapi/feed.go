package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// feedPath is the path of the feed pages (docs/api.md, "Feeds").
const feedPath = "/api/feed"

// maxFeedName is the longest feed name a request may give, in bytes.
const maxFeedName = 256

// feedAnswer is the answer of GET /api/feed.
type feedAnswer struct {
	Name string
	// LatestVersion is the date of the feed's latest version imported
	// (store.FeedVersioner), when the store has one.
	LatestVersion string `json:",omitempty"`
	// Fetched is the state of the fetches of this server, when it
	// fetches the feed (serve -feeds).
	Fetched *feedFetched `json:",omitempty"`
}

// feedFetched is a feeds.Status without what an analyst must not see
// (the feed's address, the error texts, which may name hosts or paths).
type feedFetched struct {
	Format          string
	IntervalSeconds int64
	LastSuccess     string `json:",omitempty"`
	LastImport      string `json:",omitempty"`
	LastFailure     string `json:",omitempty"`
	NextRun         string `json:",omitempty"`
	LastApplied     int64
	Failures        int64
	// Elsewhere: another server sharing the store fetches it.
	Elsewhere bool `json:",omitempty"`
}

// parseFeedRequest reads the query of GET /api/feed: name, the feed's
// name as the evidence names it.
func parseFeedRequest(query string) (string, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", intel.Invalid("the query string is not correctly encoded")
	}
	for k := range q {
		if k != "name" {
			return "", intel.Invalid("unknown parameter %q: %s takes name", clip(k), feedPath)
		}
	}
	name, err := single(q, "name")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(name) == "" {
		return "", intel.Invalid("the request names no feed: use %s?name=<feed name>", feedPath)
	}
	if len(name) > maxFeedName || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return "", intel.Invalid("%q is not a feed name (at most %d bytes of text)", clip(name), maxFeedName)
	}
	return name, nil
}

// handleFeed answers GET /api/feed?name=: what this server knows of a
// feed, for the portal's feed pages: the date of its latest version
// imported, and the state of its fetches when this server fetches it. It
// passes the checks of a lookup and counts once; a name nothing is known
// of is a 404.
func (s *server) handleFeed(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	ctx := r.Context()
	user, token, t, err := s.admit(r, info)
	if err != nil {
		return err
	}
	defer t.leave()
	_, query := rawTarget(r)
	info.setRaw(query)
	name, err := parseFeedRequest(query)
	if err != nil {
		return err
	}
	if err := s.access.CheckLicence(user); err != nil {
		return err
	}
	if err := s.access.Check(ctx, user); err != nil {
		return err
	}
	ans := feedAnswer{Name: name}
	versions, err := store.FeedVersions(ctx, s.reports.Store)
	if err != nil {
		return err
	}
	if v, ok := versions[name]; ok && !v.IsZero() {
		ans.LatestVersion = v.UTC().Format(time.RFC3339)
	}
	if s.feeds != nil {
		for _, st := range s.feeds() {
			if st.Name != name {
				continue
			}
			ans.Fetched = &feedFetched{Format: st.Format, IntervalSeconds: int64(st.Interval / time.Second),
				LastSuccess: rfc3339(st.LastSuccess), LastImport: rfc3339(st.LastImport),
				LastFailure: rfc3339(st.LastFailure), NextRun: rfc3339(st.NextRun),
				LastApplied: st.LastApplied, Failures: st.Failures, Elsewhere: st.Elsewhere}
			break
		}
	}
	if _, err := s.access.Authorize(ctx, user, token); err != nil {
		return err
	}
	if ans.LatestVersion == "" && ans.Fetched == nil {
		return intel.Errorf(intel.KindNotFound, "", "this server neither fetches a feed named %q nor keeps a dated version of it: its evidence came from imported files", clip(name))
	}
	b, err := json.Marshal(&ans)
	if err != nil {
		return fmt.Errorf("feed answer: %w", err)
	}
	writeBody(w, http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
	return nil
}

// rfc3339 formats t, "" when zero.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
