package httpapi

import (
	"net/http"
	"strings"

	"github.com/tipd/tipd/internal/taxii"
)

// handleTAXII answers GET|HEAD /taxii2/…: the same credentials, licence
// check, burst limit and daily quota as the lookup API (one request counts
// one), then the TAXII server's answer.
func (s *server) handleTAXII(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	user, token, err := s.credentials(r, info)
	if err != nil {
		return err
	}
	if err := s.access.Check(r.Context(), user); err != nil {
		return err
	}
	path, query := rawTarget(r)
	info.setRaw(path)
	resp, err := s.taxii.Serve(r, strings.TrimPrefix(path, taxii.Prefix), query)
	if err != nil {
		return err
	}
	if _, err := s.access.Authorize(r.Context(), user, token); err != nil {
		return err
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	writeBody(w, http.StatusOK, taxii.MediaType, resp.Body)
	return nil
}
