package intel

import (
	"slices"
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

// UpperHash and normalHash, which read eight bytes at a time, agree with
// NormalizeHash on every input.
func FuzzUpperHash(f *testing.F) {
	for _, s := range []string{"0F343B0931126A20F133D67C2B018A3B", "0f343b0931126a20f133d67c2b018a3b", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
		"32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771", "0F343B0931126A20F133D67C2B018A3G", "0F343B0931126A20F133D67C2B018A3`",
		"0F343B0931126A20F133D67C2B018A3@", "0F343B0931126A20F133D67C2B018A3/", "0F343B0931126A20F133D67C2B018A3:", "0F343B0931126A20F133D67C2B018A3\xe6", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := NormalizeHash(s)
		got, ok := UpperHash(s)
		if ok != (err == nil) || got != want {
			t.Fatalf("UpperHash(%q) = %q, %v; NormalizeHash: %q, %v", s, got, ok, want, err)
		}
		if normalHash(s) != (err == nil && want == s) {
			t.Fatalf("normalHash(%q) = %v; NormalizeHash: %q, %v", s, normalHash(s), want, err)
		}
	})
}

// Every byte value at every position of an MD5 is told apart as
// NormalizeHash tells it.
func TestUpperHashEveryByte(t *testing.T) {
	base := []byte("0f343B0931126A20F133D67C2B018A3B")
	for i := range base {
		for c := range 256 {
			h := slices.Clone(base)
			h[i] = byte(c)
			s := string(h)
			want, err := NormalizeHash(s)
			if got, ok := UpperHash(s); ok != (err == nil) || got != want {
				t.Fatalf("UpperHash(%q) = %q, %v; NormalizeHash: %q, %v", s, got, ok, want, err)
			}
			if normalHash(s) != (err == nil && want == s) {
				t.Fatalf("normalHash(%q) = %v", s, normalHash(s))
			}
		}
	}
}
