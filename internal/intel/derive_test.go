package intel

import (
	"slices"
	"testing"
	"time"
)

// A download's file records go to the SHA-256 (else SHA-1) the batch's
// FileHashes give its MD5, the first one given; a file the batch gives no
// other hash keeps its MD5. The host lists the download by MD5 either way.
func TestAddObjectsFileOwner(t *testing.T) {
	const (
		md5a   = "0F343B0931126A20F133D67C2B018A3B"
		sha256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
		other  = "AA" + "BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
		md5b   = "5D41402ABC4B2A76B9719D911017C592"
		sha1b  = "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"
		md5c   = "E45738D4FA5472122B5F0A8CFC823F79"
	)
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	src := Source{Feed: "URLhaus", File: "payloads.csv"}
	dl := func(md5, url, det string) FileDownload {
		return FileDownload{MD5: md5, URL: url, DetectionName: det, Hits: 1, FirstSeen: seen, LastSeen: seen, Source: src}
	}
	b := &Batch{
		Files: []FileDownload{dl(md5a, "http://dl.example/a", "Mirai"), dl(md5b, "http://dl.example/b", ""),
			dl(md5c, "http://dl.example/c", "")},
		FileHashes: []FileHashes{{MD5: md5a, SHA256: sha256, Source: src}, {MD5: md5a, SHA256: other, Source: src},
			{MD5: md5b, SHA1: sha1b, Source: src}},
	}
	b.AddObjects()
	var infos []string
	for _, r := range b.ObjectInfos {
		infos = append(infos, r.Key)
	}
	if want := []string{sha256, sha1b, md5c}; !slices.Equal(infos, want) {
		t.Errorf("dated files: %v, want %v", infos, want)
	}
	owners := map[LinkList][]string{}
	for _, l := range b.Links {
		owners[l.List] = append(owners[l.List], l.Owner+" "+l.Item)
	}
	for list, want := range map[LinkList][]string{
		LinkFileURLs:   {sha256 + " dl.example/a", sha1b + " dl.example/b", md5c + " dl.example/c"},
		LinkDetections: {sha256 + " Mirai"},
		LinkHostFiles: {"dl.example " + md5a + ItemSep + "dl.example/a", "dl.example " + md5b + ItemSep + "dl.example/b",
			"dl.example " + md5c + ItemSep + "dl.example/c"},
	} {
		got := owners[list]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("list %d: %q, want %q", list, got, want)
		}
	}
}
