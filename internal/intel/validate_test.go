package intel

import (
	"strings"
	"testing"
)

// TestValidateFileKeys: file keys and FileHashes must hold hashes in their
// normal form (NormalizeHash), each in the field of its kind.
func TestValidateFileKeys(t *testing.T) {
	md5, sha1, sha256 := strings.Repeat("A1", 16), strings.Repeat("B2", 20), strings.Repeat("C3", 32)
	for _, tc := range []struct {
		name  string
		b     Batch
		valid bool
	}{
		{"three hashes", Batch{FileHashes: []FileHashes{{MD5: md5, SHA1: sha1, SHA256: sha256}}}, true},
		{"one hash", Batch{FileHashes: []FileHashes{{SHA1: sha1}}}, true},
		{"no hash", Batch{FileHashes: []FileHashes{{}}}, false},
		{"lower case", Batch{FileHashes: []FileHashes{{MD5: strings.ToLower(md5)}}}, false},
		{"not hex", Batch{FileHashes: []FileHashes{{MD5: "G" + md5[1:]}}}, false},
		{"a NUL", Batch{FileHashes: []FileHashes{{MD5: "\x00" + md5[1:]}}}, false},
		{"short", Batch{FileHashes: []FileHashes{{MD5: md5[2:]}}}, false},
		{"SHA-1 as MD5", Batch{FileHashes: []FileHashes{{MD5: sha1}}}, false},
		{"file object", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: sha256}}}, true},
		{"file object, lower case", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: strings.ToLower(sha256)}}}, false},
		{"file object, not a hash", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: "example.com"}}}, false},
		{"file link owner", Batch{Links: []Link{{List: LinkFileNames, Owner: md5, Item: "a.exe"}}}, true},
		{"file link owner, 0x prefix", Batch{Links: []Link{{List: LinkFileNames, Owner: "0x" + md5[2:], Item: "a.exe"}}}, false},
		// Keys repeat from record to record; each is checked.
		{"one file's records", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: sha256}},
			ObjectListings: []ObjectListing{{Kind: ObjectFile, Key: sha256, Feed: "f"}},
			Links:          []Link{{List: LinkFileNames, Owner: sha256, Item: "a.exe"}}}, true},
		{"file object without a key", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: ""}}}, false},
		{"a bad key after a good one", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: sha256}, {Kind: ObjectFile, Key: strings.ToLower(sha256)}}}, false},
		{"no key after a good one", Batch{ObjectInfos: []ObjectInfo{{Kind: ObjectFile, Key: sha256}},
			Links: []Link{{List: LinkFileNames, Owner: "", Item: "a.exe"}}}, false},
	} {
		err := tc.b.Validate()
		if (err == nil) != tc.valid {
			t.Errorf("%s: got %v, want valid %v", tc.name, err, tc.valid)
		}
	}
}
