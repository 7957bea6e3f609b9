package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/pebble"
)

// busyIP is the address of busyStore with many items in every list.
const busyIP = "45.95.147.10"

// busyStore writes a Pebble store whose busyIP has n hosted web addresses,
// n files, n resolutions and n feed masks (count=10000 is an answer of
// about 8 MB), with the users "flood" and "other", and returns its
// directory and the users' tokens.
func busyStore(t *testing.T, n int) (dir string, tokens map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	st, err := pebble.Open(dir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ip := netip.MustParseAddr(busyIP)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	src := intel.Source{Feed: "test", File: "busy.jsonl", Imported: now}
	b := &intel.Batch{
		Listings:  []intel.Listing{{IP: ip, Category: intel.CatMalware, Feed: "Feed A", FirstSeen: now.AddDate(0, 0, -20), LastSeen: now, Source: src}},
		Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL"}},
	}
	for i := range n {
		ts := now.Add(-time.Duration(i) * time.Minute)
		zone := intel.ZoneGrey
		if i%3 == 0 {
			zone = intel.ZoneRed
		}
		url := fmt.Sprintf("%s/bins/campaign-%06d/payload.bin", busyIP, i)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: url, Zone: zone, Hits: int64(n - i),
			FirstSeen: ts.Add(-time.Hour), LastSeen: ts, Source: src})
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", i), URL: "http://" + url, Zone: zone,
			DetectionName: "HEUR:Trojan.Linux.Agent.gen", Hits: int64(n - i), FirstSeen: ts.Add(-time.Hour), LastSeen: ts, Source: src})
		dom := fmt.Sprintf("host-%06d.badcorp.example", i)
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: dom, FirstSeen: ts.Add(-48 * time.Hour),
			LastSeen: ts, Hits: 50, DailyPeak: 9, PeakDate: ts.Truncate(24 * time.Hour), Source: src})
		b.Domains = append(b.Domains, intel.DomainInfo{Domain: dom, Zone: zone, Categories: []intel.Category{intel.CatBotnetCNC}, Source: src})
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: fmt.Sprintf("%s/bins/campaign-%06d/", busyIP, i), MaskType: intel.MaskURLPrefix,
			Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}, LastSeen: ts, Source: src})
	}
	if err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	acc := &access.Service{Store: st, Now: func() time.Time { return now }}
	tokens = map[string]string{}
	for _, name := range []string{"flood", "other"} {
		if _, err := acc.AddUser(ctx, name, access.License{Access: intel.AccessCommercial, DayQuota: 1 << 40, APIAccess: true}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := acc.IssueToken(ctx, name, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	return dir, tokens
}

// procStatus reads the VmRSS and VmHWM (peak) of a process, in bytes.
func procStatus(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", name, line)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// TestServeMemoryStalledReaders runs `tipd serve` (a separate process, with
// its default flags but no burst limit) on a store with a busy address while one user opens
// 200 connections that each ask for count=10000 and never read the answer,
// and another user looks addresses up one after the other (25 a second). The server's
// resident memory must stay within 300 MiB of what it was before the
// flood, and every lookup of the other user must be answered 200. The
// other user's latencies are logged, not asserted.
func TestServeMemoryStalledReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/<pid>/status")
	}
	if testing.Short() {
		t.Skip("a flood of 200 connections")
	}
	const (
		conns     = 200
		flood     = 8 * time.Second // how long the other user looks up under the flood
		maxGrowth = 300 << 20
	)
	dir, tokens := busyStore(t, 12000)
	// No burst limit (under TIPD_NOW its buckets never refill): the flood's
	// 200 lookups all reach the bounds on lookups in flight.
	url, proc := startProcessCmd(t, "serve", "-store", dir, "-addr", "127.0.0.1:0", "-log", "text", "-rate", "0")
	addr := strings.TrimPrefix(url, "http://")

	// Warm up: the big answer read in full once, so that the block cache
	// holds the address before the idle size is taken.
	if a := get(t, "GET", url+"/api/ip/"+busyIP+"?count=10000", tokens["other"]); a.status != 200 || len(a.body) < 5<<20 {
		t.Fatalf("warm-up: status %d, %d bytes; want 200 and a multi-MB answer", a.status, len(a.body))
	}
	get(t, "GET", url+"/api/ip/"+busyIP+"?count=100", tokens["other"])
	time.Sleep(200 * time.Millisecond)
	idle, _ := procStatus(t, proc.Pid)

	// The flood: requests sent, answers never read, receive buffers small.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	req := "GET /api/ip/" + busyIP + "?count=10000 HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + tokens["flood"] + "\r\n\r\n"
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
	}

	// Memory sampled while the other user looks up, one after the other.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if rss, _ := procStatus(t, proc.Pid); rss > peak {
					peak = rss
				}
			}
		}
	}()
	client := &http.Client{Timeout: 3 * time.Second}
	var lat []time.Duration
	statuses := map[int]int{}
	end := time.Now().Add(flood)
	pace := time.NewTicker(40 * time.Millisecond) // 25 a second
	defer pace.Stop()
	for i := 0; time.Now().Before(end); i++ {
		<-pace.C
		target := url + "/api/ip/" + busyIP + "?count=100"
		if i%2 == 1 {
			target = url + "/api/ip/45.95.146.7"
		}
		r, _ := http.NewRequest("GET", target, nil)
		r.Header.Set("Authorization", "Bearer "+tokens["other"])
		start := time.Now()
		status := -1 // no answer
		resp, err := client.Do(r)
		if err == nil {
			var body []byte
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				status = resp.StatusCode
				if status != 200 && statuses[status] == 0 {
					t.Logf("%s: %d %s", target, status, body)
				}
			}
		}
		if err != nil && statuses[status] == 0 {
			t.Logf("%s: %v", target, err)
		}
		lat = append(lat, time.Since(start))
		statuses[status]++
	}
	close(stop)
	wg.Wait()
	_, hwm := procStatus(t, proc.Pid)
	peak = max(peak, hwm)

	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("idle RSS %d MiB, peak RSS %d MiB (+%d MiB) under %d stalled count=10000 lookups",
		idle>>20, peak>>20, (peak-idle)>>20, conns)
	t.Logf("other user: %d lookups, statuses %v, latency p50 %v, p99 %v, max %v",
		len(lat), statuses, q(0.50), q(0.99), lat[len(lat)-1])
	if peak-idle > maxGrowth {
		t.Errorf("resident memory grew by %d MiB under the flood; want at most %d MiB", (peak-idle)>>20, maxGrowth>>20)
	}
	if statuses[200] != len(lat) {
		t.Errorf("the other user's lookups were answered %v; want only 200", statuses)
	}
}
