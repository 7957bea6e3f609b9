package render

import "github.com/tipd/tipd/internal/intel"

// AppendLicenseInfo appends the LicenseInfo member of an answer,
// `"LicenseInfo":{…}`, byte for byte as the answers write it first in
// their object: a kept answer without it gets it back exact per request.
func AppendLicenseInfo(dst []byte, l *intel.LicenseInfo) []byte {
	w := writer{b: dst}
	w.license(l)
	return w.b
}
