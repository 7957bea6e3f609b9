package report

import (
	"context"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// maxWholeList bounds the lists that are never capped (DetectionsInfo,
// FileParentCertificates) per hash: the read stops there.
const maxWholeList = 10000

// File assembles the report of a file asked by one of its hashes (already
// normalised by intel.NormalizeHash) with at most count items per capped
// list (DefaultCount when count <= 0).
//
// The file's record and lists are read under every hash stored with the
// asked one and merged, so that its MD5, SHA-1 and SHA-256 give the same
// report. The zone is score.File's: Red, Yellow, Green or Grey on the
// file's own evidence only. HasRedZone: one of the most recent relScan
// web addresses it came from or contacted, or files of the started and
// downloaded sections, is Red by its own verdict.
func (b *Builder) File(ctx context.Context, hash string, sec Sections, count int) (*FileReport, error) {
	if count <= 0 {
		count = DefaultCount
	}
	return b.fileWith(ctx, b.judge(), hash, sec, count)
}

// fileWith is File with the judge j.
func (b *Builder) fileWith(ctx context.Context, j *judge, hash string, sec Sections, count int) (*FileReport, error) {
	f, err := j.file(ctx, hash)
	if err != nil {
		return nil, err
	}
	r := &FileReport{Sections: sec, Query: hash, Known: f.known, Zone: f.res.Zone, Status: f.res.Status,
		MD5: f.hashes.MD5, SHA1: f.hashes.SHA1, SHA256: f.hashes.SHA256}
	keys := f.keys
	if sec.Has(SecRelatedObjects) {
		red, err := j.anyRed(ctx, keys, j.urlZone, intel.LinkFileURLs, intel.LinkFileAccessedURLs)
		if err == nil && !red {
			red, err = j.anyRed(ctx, keys, j.fileZone, intel.LinkFileStarted, intel.LinkFileStartedBy,
				intel.LinkFileDownloadedObjects, intel.LinkFileDownloadedBy)
		}
		if err != nil {
			return nil, err
		}
		r.HasRedZone = red
	}
	var dets []intel.Link
	if sec.Has(SecDetectionsInfo | SecFileGeneralInfo) {
		if dets, err = j.wholeList(ctx, f, intel.LinkDetections); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFileGeneralInfo) {
		var info intel.ObjectInfo
		var downloads int64
		for i := range f.sums {
			s := f.sums[i]
			info.Merge(s.Info)
			downloads += s.Lists[intel.LinkFileURLs].Hits
			for _, l := range s.Listings {
				if !slices.Contains(r.Categories, l.Category) {
					r.Categories = append(r.Categories, l.Category)
				}
				info.FirstSeen = intel.MinTime(info.FirstSeen, l.FirstSeen)
				info.LastSeen = intel.MaxTime(info.LastSeen, l.LastSeen)
			}
		}
		for i := range dets {
			info.FirstSeen = intel.MinTime(info.FirstSeen, firstSeen(&dets[i]))
			info.LastSeen = intel.MaxTime(info.LastSeen, lastSeen(&dets[i]))
		}
		// The newest download dates the file too.
		if from, err := j.readLinks(ctx, intel.LinkFileURLs, keys, 1); err != nil {
			return nil, err
		} else if len(from) > 0 {
			info.FirstSeen = intel.MinTime(info.FirstSeen, firstSeen(&from[0]))
			info.LastSeen = intel.MaxTime(info.LastSeen, lastSeen(&from[0]))
		}
		slices.SortFunc(r.Categories, func(a, b intel.Category) int {
			za, _ := intel.CategoryZone(a)
			zb, _ := intel.CategoryZone(b)
			if d := zb.Severity() - za.Severity(); d != 0 {
				return d
			}
			return strings.Compare(string(a), string(b))
		})
		r.FirstSeen, r.LastSeen = info.FirstSeen, info.LastSeen
		r.Signer, r.SignerStatus, r.Packer, r.Size, r.Type = info.Signer, info.SignerStatus, info.Packer, info.Size, info.Type
		r.SignerZone = signerZone(info.SignerStatus)
		r.HitsCount = info.Hits + downloads
		for _, c := range r.Categories {
			if c == intel.CatAPT {
				r.HasAPT = true
			}
		}
	}
	var reports []intel.Report
	if sec.Has(SecFileGeneralInfo|SecIndustries) && f.in.Reports > 0 {
		if reports, err = j.linkedReports(ctx, intel.LinkFileReports, keys); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFileGeneralInfo) {
		var apt bool
		r.Reports, apt = refsOf(reports)
		r.HasAPT = r.HasAPT || apt
	}
	if sec.Has(SecDetectionsInfo) {
		r.Detections = make([]DetectionItem, 0, len(dets))
		for i := range dets {
			d := &dets[i]
			r.Detections = append(r.Detections, DetectionItem{LastDetect: lastSeen(d), DescriptionURL: d.Attr(1),
				Zone: intel.DetectionZone(d.Item), Name: d.Item, Method: intel.DetectionMethod(d.Item, d.Attr(0))})
		}
	}
	if sec.Has(SecFileParentCertificates) {
		links, err := j.wholeList(ctx, f, intel.LinkFileParentCertificates)
		if err != nil {
			return nil, err
		}
		r.ParentCertificates = certificateItems(links)
	}
	if sec.Has(SecFileCertificates) {
		links, err := j.readLinks(ctx, intel.LinkFileCertificates, keys, count)
		if err != nil {
			return nil, err
		}
		r.Certificates = certificateItems(links)
	}
	if sec.Has(SecFileNames) {
		links, err := j.readLinks(ctx, intel.LinkFileNames, keys, count)
		if err != nil {
			return nil, err
		}
		r.Names = make([]NameItem, 0, len(links))
		for i := range links {
			r.Names = append(r.Names, NameItem{Name: links[i].Item, Hits: links[i].Hits})
		}
	}
	if sec.Has(SecFilePaths) {
		links, err := j.readLinks(ctx, intel.LinkFilePaths, keys, count)
		if err != nil {
			return nil, err
		}
		r.Paths = make([]PathItem, 0, len(links))
		for i := range links {
			loc, path, ok := strings.Cut(links[i].Item, intel.ItemSep)
			if !ok {
				loc, path = "", links[i].Item
			}
			r.Paths = append(r.Paths, PathItem{Path: path, Location: loc, Hits: links[i].Hits})
		}
	}
	for _, s := range []struct {
		sec  Sections
		list intel.LinkList
		dst  *[]FileURLItem
	}{
		{SecFileDownloadedFromURLs, intel.LinkFileURLs, &r.DownloadedFrom},
		{SecFileAccessedURLs, intel.LinkFileAccessedURLs, &r.AccessedURLs},
	} {
		if !sec.Has(s.sec) {
			continue
		}
		var err error
		if *s.dst, err = shownItems(ctx, j, s.list, keys, count, j.fileURLItems); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct {
		sec  Sections
		list intel.LinkList
		dst  *[]RelatedFileItem
	}{
		{SecFileStartedObjects, intel.LinkFileStarted, &r.Started},
		{SecFileStartedBy, intel.LinkFileStartedBy, &r.StartedBy},
		{SecFileDownloadedObjects, intel.LinkFileDownloadedObjects, &r.DownloadedObjects},
		{SecFileDownloadedBy, intel.LinkFileDownloadedBy, &r.DownloadedBy},
	} {
		if !sec.Has(s.sec) {
			continue
		}
		var err error
		if *s.dst, err = shownItems(ctx, j, s.list, keys, count, j.relatedFileItems); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecIndustries) {
		r.Industries = industries(reports)
	}
	return r, nil
}

// wholeList reads a list that is never capped under every hash of the
// file (each read bounded by the list's item count, at most maxWholeList).
func (j *judge) wholeList(ctx context.Context, f *fileEv, list intel.LinkList) ([]intel.Link, error) {
	limit := int64(0)
	for i := range f.sums {
		limit += f.sums[i].Lists[list].Items
	}
	return j.readLinks(ctx, list, f.keys, int(min(limit, maxWholeList)))
}

// signerZone is SignerZone of a SignerStatus.
func signerZone(status string) intel.Zone {
	switch status {
	case "Trusted":
		return intel.ZoneGreen
	case "Not trusted":
		return intel.ZoneGrey
	case "Discredited":
		return intel.ZoneRed
	}
	return ""
}

// certificateItems turns certificate links into items.
func certificateItems(links []intel.Link) []CertificateItem {
	out := make([]CertificateItem, 0, len(links))
	for i := range links {
		l := &links[i]
		out = append(out, CertificateItem{Vendor: l.Attr(0), Publisher: l.Attr(1), TimeStamp: parseTime(l.Attr(2)),
			Issued: parseTime(l.Attr(3)), Expires: parseTime(l.Attr(4)), SerialNumber: strings.ToUpper(l.Item)})
	}
	return out
}

// Items is the number of list items the report holds.
func (r *FileReport) Items() int {
	return len(r.Categories) + len(r.Reports) + len(r.Detections) + len(r.ParentCertificates) + len(r.Certificates) +
		len(r.Names) + len(r.Paths) + len(r.DownloadedFrom) + len(r.AccessedURLs) + len(r.Started) + len(r.StartedBy) +
		len(r.DownloadedObjects) + len(r.DownloadedBy) + len(r.Industries)
}
