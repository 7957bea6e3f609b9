package report

import (
	"context"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// The items of an address report's list sections (FilesDownloadedFromIp,
// HostedUrls, IpDnsResolutions) as the answer shows them: each with its
// object's own zone, as that object's lookup gives it on the same evidence
// and clock, and dated.

// itemVerdicts gives the returned list items of r their objects' own
// zones (a file's is never Orange) and fills their unknown dates (see
// itemDates). One judge serves the report, so that an object named by
// several items is computed once; only the returned items are judged.
func (b *Builder) itemVerdicts(ctx context.Context, r *IPReport) error {
	if len(r.Files)+len(r.HostedURLs)+len(r.Resolutions) == 0 {
		return nil
	}
	j := b.judge()
	for i := range r.Files {
		f := &r.Files[i]
		z := intel.ZoneGrey
		if md5 := strings.ToUpper(f.MD5); intel.HashKind(md5) == "MD5" {
			var err error
			if z, err = j.fileZone(ctx, md5); err != nil {
				return err
			}
		}
		f.Zone = z
	}
	for i := range r.HostedURLs {
		u := &r.HostedURLs[i]
		z, err := j.urlZone(ctx, u.URL)
		if err != nil {
			return err
		}
		u.Zone = z
	}
	for i := range r.Resolutions {
		d := &r.Resolutions[i]
		z, err := j.hostZone(ctx, d.Domain)
		if err != nil {
			return err
		}
		d.Zone = z
	}
	return nil
}
