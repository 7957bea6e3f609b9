// Package render turns reports into wire formats: the TIP JSON of the lookup
// API (and, later, STIX 2.1 bundles). Output is deterministic.
package render

import "github.com/tipd/tipd/internal/report"

// IPJSON renders an address report as the lookup API's JSON body
// (only the report's Sections, keys in the documented order).
func IPJSON(r *report.IPReport) ([]byte, error) {
	return []byte("{}"), nil // TODO(render): implement
}

// URLJSON renders a web-address report as the lookup API's JSON body.
func URLJSON(r *report.URLReport) ([]byte, error) {
	return []byte("{}"), nil // TODO(render): implement
}
