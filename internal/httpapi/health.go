package httpapi

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tipd/tipd/internal/intel"
)

// handleHealthz says the process is alive.
func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	return nil
}

// handleReadyz says whether the server can answer lookups.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			return &intel.Error{Kind: intel.KindUnavailable, Code: "not_ready",
				Message: "the server is not ready to answer lookups yet; retry later", Err: err}
		}
	}
	body := "ok\n"
	if s.note != nil {
		if n := s.note(ctx); n != "" {
			body = "ok: " + n + "\n"
		}
	}
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte(body))
	return nil
}

// handleMetrics serves the Prometheus registry.
func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	if s.registry == nil {
		return intel.Errorf(intel.KindNotFound, "not_found", "this server exposes no metrics")
	}
	w.Header().Del("Cache-Control")
	promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

// handleNotFound answers paths that are no route.
func (s *server) handleNotFound(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	path, _ := rawTarget(r)
	return intel.Errorf(intel.KindNotFound, "not_found",
		"there is nothing at %q; the lookups are at %s<address>, %s<web address>, %s<domain> and %s<hash>",
		clip(path), lookupPrefix, urlPrefix, domainPrefix, hashPrefix)
}

// handleTooLong answers request targets over the configured length.
func (s *server) handleTooLong(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	return intel.Errorf(intel.KindTooLong, "request_too_long",
		"the request target is %d bytes long; the limit is %d", len(requestTarget(r)), s.cfg.MaxTarget)
}
