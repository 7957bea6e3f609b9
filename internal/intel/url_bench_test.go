package intel

import "testing"

// benchURLs are web addresses as feeds give them: mostly plain, some with
// ports, queries, userinfo, escapes and IDN hosts.
var benchURLs = []string{
	"http://45.95.147.10/bins/x86",
	"https://bad.example/panel/gate.php",
	"http://c2-0.badcorp.example:8080/a/b/c.exe",
	"https://login.example.com/signin?lang=en&ref=mail&token=abc123",
	"http://user:secret@bad.example/x",
	"HTTPS://Bad.EXAMPLE./Panel/Gate.php?id=42#frag",
	"http://[2a0e:97c0::1]:8443/x",
	"bad.example/wp-content/uploads/2024/01/invoice%20copy.zip",
	"http://münchen.example/%7euser/a/../b",
	"http://198.51.100.7:443/",
}

func BenchmarkNormalizeURL(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, u := range benchURLs {
			if _, _, err := NormalizeURL(u); err != nil {
				b.Fatal(err)
			}
		}
	}
}
