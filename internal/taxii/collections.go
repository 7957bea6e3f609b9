// Package taxii serves tipd's knowledge as a read-only TAXII 2.1 server:
// the discovery resource, one API root and a fixed set of collections of
// STIX 2.1 indicators computed from the store as it is now. It answers
// what the HTTP layer routes under /taxii2/; authentication, quotas and
// the access log stay with the HTTP layer, which also turns the errors
// returned here into TAXII error messages.
//
// A collection is a view of the store's change orders (store.Intel.Changes):
// every address, web address, domain or file whose evidence changed is an
// entry, dated by its latest change stamp, which is the date_added of its
// objects. An entry contributes its indicator objects (render.IPIndicator,
// render.URLIndicator, render.DomainIndicator, render.FileIndicator) when
// its verdict, computed at request time, falls in the collection's zones;
// held objects (legal holds) are left out. docs/taxii.md describes the
// collections, what their entries are, and the paging.
package taxii

import (
	"github.com/tipd/tipd/internal/intel"
)

// Collection is one TAXII collection: which entries it shows and the
// zones an entry's verdict must have.
type Collection struct {
	ID          string
	Alias       string
	Title       string
	Description string
	Addresses   bool         // entries of addresses
	URLs        bool         // entries of web addresses
	Domains     bool         // entries of domains (host objects)
	Files       bool         // entries of files
	Zones       []intel.Zone // verdicts shown
}

// shows reports whether the collection shows an entry with verdict z.
func (c *Collection) shows(z intel.Zone) bool {
	for _, x := range c.Zones {
		if x == z {
			return true
		}
	}
	return false
}

// Collections are the collections of the API root. Their ids are fixed so
// that clients can be configured with them.
var Collections = []Collection{
	{
		ID:    "5d6c2b1e-8a43-4f0e-9b7a-3c1f2e4d5a60",
		Alias: "indicators",
		Title: "All indicators",
		Description: "Indicators of every address, web address and domain whose verdict is Red or Orange " +
			"and of every file whose verdict is Red, with the observable each is based on",
		Addresses: true, URLs: true, Domains: true, Files: true,
		Zones: []intel.Zone{intel.ZoneRed, intel.ZoneOrange},
	},
	{
		ID:          "0b8e5f3a-6c21-4d7e-a9f4-7e2d1c3b4a51",
		Alias:       "ip-red",
		Title:       "IP indicators: Red",
		Description: "Indicators of addresses whose verdict is Red (dangerous)",
		Addresses:   true,
		Zones:       []intel.Zone{intel.ZoneRed},
	},
	{
		ID:          "9a4d7c2e-1f63-4b8a-8e5d-2c6b9f0a7e42",
		Alias:       "ip-orange",
		Title:       "IP indicators: Orange",
		Description: "Indicators of addresses whose verdict is Orange (not trusted)",
		Addresses:   true,
		Zones:       []intel.Zone{intel.ZoneOrange},
	},
	{
		ID:          "3e7f1a9c-5b24-4c6d-b8e0-6a2f4d9c1b33",
		Alias:       "malicious-urls",
		Title:       "Malicious web addresses",
		Description: "Indicators of web addresses whose verdict is Red (malicious)",
		URLs:        true,
		Zones:       []intel.Zone{intel.ZoneRed},
	},
	{
		ID:          "4770e630-c31d-4aa2-b269-f809cf2ea08b",
		Alias:       "domains",
		Title:       "Domain indicators",
		Description: "Indicators of domains whose verdict is Red (dangerous) or Orange (not trusted)",
		Domains:     true,
		Zones:       []intel.Zone{intel.ZoneRed, intel.ZoneOrange},
	},
	{
		ID:          "2d6fc925-4c71-4d9d-bcc0-1d5fd439575b",
		Alias:       "files",
		Title:       "File indicators",
		Description: "Indicators of files whose verdict is Red (malicious)",
		Files:       true,
		Zones:       []intel.Zone{intel.ZoneRed},
	},
}

// objects reports whether the collection shows entries of objects
// (store.ChangedObjects).
func (c *Collection) objects() bool { return c.URLs || c.Domains || c.Files }

// collection finds a collection by id or alias.
func collection(id string) (*Collection, bool) {
	for i := range Collections {
		c := &Collections[i]
		if c.ID == id || c.Alias == id {
			return c, true
		}
	}
	return nil, false
}
