package render

import (
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// Object is one STIX object on its own, as a TAXII collection serves it.
type Object struct {
	ID   string
	Type string
	// Version is the object's modified timestamp; zero for
	// cyber-observables, which have none.
	Version time.Time
	JSON    []byte
}

// objectWriter is a stixWriter whose objects are taken one by one.
type objectWriter struct{ stixWriter }

func newObjectWriter(now time.Time) *objectWriter {
	return &objectWriter{stixWriter{now: now.UTC(), identity: stableID("identity", identityName), seen: make(map[string]struct{})}}
}

// take returns the object written since the last take.
func (w *objectWriter) take(typ, id string, version time.Time) Object {
	b := w.b
	if len(b) > 0 && b[0] == ',' {
		b = b[1:]
	}
	o := Object{ID: id, Type: typ, Version: version, JSON: append([]byte(nil), b...)}
	w.b = w.b[:0]
	return o
}

// version is the modified timestamp sdo writes for created and modified.
func (w *objectWriter) version(created, modified time.Time) time.Time {
	if created.IsZero() {
		created = w.now
	}
	if modified.Before(created) {
		modified = created
	}
	return modified.UTC().Truncate(time.Millisecond)
}

// Identity is the portal's identity object, the producer of every domain
// object tipd writes.
func Identity() Object {
	w := newObjectWriter(fixedDate())
	w.identityObject()
	return w.take("identity", w.identity, fixedDate())
}

// IPIndicator renders the indicator of a Red or Orange address as three
// objects: the address (value and verdict), the indicator (identical to
// the one of a format=stix lookup) and the based-on relationship between
// them. Other zones have no indicator: nil. now dates undated evidence.
// r needs the sections SecZone and SecIPGeneralInfo (SecFeedMasks,
// SecIPSpamInfo and SecIPPhishingInfo to date the indicator exactly as a
// lookup does).
func IPIndicator(r *report.IPReport, now time.Time) []Object {
	if r.Zone != intel.ZoneRed && r.Zone != intel.ZoneOrange {
		return nil
	}
	w := newObjectWriter(now)
	g := &r.General
	typ, id := ipObservable(r.IP)
	value := r.IP.Unmap().String()
	latest := latestEvidence(r)
	out := make([]Object, 0, 3)

	w.begin(typ, id)
	w.kstr("value", value)
	w.kzone(r.Zone)
	w.kint("x_tipd_threat_score", int64(g.ThreatScore))
	w.kcategories(g.Categories)
	w.ktime("x_tipd_first_seen", g.FirstSeen)
	w.end()
	out = append(out, w.take(typ, id, time.Time{}))

	indID := stableID("indicator", typ+"\x00"+value)
	w.indicator(indID, "["+typ+":value = '"+patternEscape(value)+"']", value, r.Zone, g.ThreatScore, g.Categories, g.FirstSeen, latest)
	out = append(out, w.take("indicator", indID, w.version(g.FirstSeen, latest)))

	w.rel("based-on", indID, id, g.FirstSeen, latest, nil)
	out = append(out, w.take("relationship", stableID("relationship", "based-on\x00"+indID+"\x00"+id), w.version(g.FirstSeen, latest)))
	return out
}

// URLIndicator is IPIndicator for a web address; r needs SecZone,
// SecURLGeneralInfo and SecFeedMasks.
func URLIndicator(r *report.URLReport, now time.Time) []Object {
	if r.Zone != intel.ZoneRed && r.Zone != intel.ZoneOrange {
		return nil
	}
	w := newObjectWriter(now)
	value := urlValue(r.URL)
	latest := latestURLEvidence(r)
	out := make([]Object, 0, 3)
	urlID := w.urlObject(value, r.URL, r.Zone, func() {
		w.kcategories(r.Categories)
		w.seenDates(r.FirstSeen, r.LastSeen)
	})
	out = append(out, w.take("url", urlID, time.Time{}))

	indID := stableID("indicator", "url\x00"+value)
	first := firstURLEvidence(r, latest)
	w.indicator(indID, "[url:value = '"+patternEscape(value)+"']", value, r.Zone, -1, r.Categories, first, latest)
	out = append(out, w.take("indicator", indID, w.version(first, latest)))

	w.rel("based-on", indID, urlID, first, latest, nil)
	out = append(out, w.take("relationship", stableID("relationship", "based-on\x00"+indID+"\x00"+urlID), w.version(first, latest)))
	return out
}

// DomainIndicator is IPIndicator for a domain name; r needs SecZone,
// SecDomainGeneralInfo and SecFeedMasks.
func DomainIndicator(r *report.DomainReport, now time.Time) []Object {
	if r.Zone != intel.ZoneRed && r.Zone != intel.ZoneOrange {
		return nil
	}
	w := newObjectWriter(now)
	id := scoValueID("domain-name", r.Domain)
	latest := latestDomainEvidence(r)
	out := make([]Object, 0, 3)

	w.begin("domain-name", id)
	w.kstr("value", r.Domain)
	w.kzone(r.Zone)
	w.kcategories(r.Categories)
	w.seenDates(r.FirstSeen, r.LastSeen)
	w.end()
	out = append(out, w.take("domain-name", id, time.Time{}))

	indID := w.domainIndicator(r, latest)
	out = append(out, w.take("indicator", indID, w.version(r.FirstSeen, latest)))

	w.rel("based-on", indID, id, r.FirstSeen, latest, nil)
	return append(out, w.take("relationship", stableID("relationship", "based-on\x00"+indID+"\x00"+id), w.version(r.FirstSeen, latest)))
}

// FileIndicator is IPIndicator for a file: Red files only (files are
// never Orange); r needs SecZone and SecFileGeneralInfo.
func FileIndicator(r *report.FileReport, now time.Time) []Object {
	h := reportHashes(r)
	id := h.id()
	if r.Zone != intel.ZoneRed || id == "" {
		return nil
	}
	w := newObjectWriter(now)
	cats := fileCategories(r.Categories)
	latest := maxTime(r.FirstSeen, r.LastSeen)
	out := make([]Object, 0, 3)

	w.begin("file", id)
	h.write(&w.stixWriter)
	w.kzone(r.Zone)
	w.kcategories(cats)
	w.seenDates(r.FirstSeen, r.LastSeen)
	w.end()
	out = append(out, w.take("file", id, time.Time{}))

	indID := w.fileIndicator(r, h, cats)
	out = append(out, w.take("indicator", indID, w.version(r.FirstSeen, latest)))

	w.rel("based-on", indID, id, r.FirstSeen, latest, nil)
	return append(out, w.take("relationship", stableID("relationship", "based-on\x00"+indID+"\x00"+id), w.version(r.FirstSeen, latest)))
}
