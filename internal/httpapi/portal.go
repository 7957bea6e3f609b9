package httpapi

import (
	"net/http"

	"github.com/tipd/tipd/internal/intel"
)

// handlePortal serves the portal (Deps.UI). The portal's own error
// answers (an unknown asset, a range it cannot satisfy) are plain text;
// they are replaced by the API's JSON error answers.
func (s *server) handlePortal(w http.ResponseWriter, r *http.Request, _ *requestInfo) error {
	pw := &portalWriter{ResponseWriter: w}
	s.ui.ServeHTTP(pw, r)
	switch pw.status {
	case 0:
		return nil
	case http.StatusNotFound:
		path, _ := rawTarget(r)
		return intel.Errorf(intel.KindNotFound, "not_found", "there is nothing at %q; the portal is at /", clip(path))
	case http.StatusRequestedRangeNotSatisfiable:
		s.writeError(w, r, pw.status, "range_not_satisfiable", "the Range header asks for bytes the file does not have")
	default:
		s.writeError(w, r, pw.status, "invalid_request", "the portal cannot answer this request: "+http.StatusText(pw.status))
	}
	return nil
}

// portalWriter holds back an error status of the portal and drops its
// plain-text body.
type portalWriter struct {
	http.ResponseWriter
	status int // an error status held back, or 0
}

func (w *portalWriter) WriteHeader(status int) {
	if status >= 400 {
		w.status = status
		h := w.Header()
		h.Del("Content-Type")
		h.Del("Content-Length")
		h.Set("Cache-Control", "no-store") // http.ServeContent drops it from errors
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *portalWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *portalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
