package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `tipd demo` as a newcomer would and checks its stable output
// lines, and that every example — addresses, domains, web addresses and
// file hashes — is really answered by its lookup with the zone printed next
// to it.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-size", "3000"}, testEnv(nil), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("demo did not stop")
		}
	}()

	var token, url, taxiiRoot string
	examples := map[string][]string{}
	var all [][2]string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "token":
			token = v
		case "url":
			url = v
		case "taxii":
			taxiiRoot, _, _ = strings.Cut(v, " ")
		case "example":
			value, zone, _ := strings.Cut(v, " ")
			all = append(all, [2]string{value, zone})
			if _, err := netip.ParseAddr(value); err == nil {
				examples[zone] = append(examples[zone], value)
			}
		}
		if k == "try" {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if !strings.HasPrefix(token, "tipd_") || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("token %q url %q; stderr: %s", token, url, stderr.String())
	}
	for _, zone := range []string{"Red", "Orange", "Green", "Grey"} {
		if len(examples[zone]) == 0 {
			t.Errorf("no example line for %s", zone)
		}
	}
	// Every example — address, domain, web address, hash — is answered
	// with its zone by its own lookup.
	checkExamples(t, url, token, all)
	// The printed TAXII root serves the demo's Red examples as indicators.
	if taxiiRoot != url+"/taxii2/" {
		t.Fatalf("taxii line %q, want %s/taxii2/", taxiiRoot, url)
	}
	a := taxiiGet(t, taxiiRoot+"api/collections/ip-red/objects/?match[type]=indicator&limit=1000", token)
	if a.status != 200 || !strings.Contains(string(a.body), "[ipv4-addr:value = '"+examples["Red"][0]+"']") {
		t.Errorf("ip-red lacks the Red example %s: %d %.300s", examples["Red"][0], a.status, a.body)
	}
	// The demo's reports have YARA rules, and some a PDF.
	// The newest is the world's first report, which has a PDF.
	a = get(t, "GET", url+"/api/publications/get_list?limit=1", token)
	var list struct {
		ReturnData struct {
			Publications []struct {
				ID string `json:"id"`
			} `json:"publications"`
		} `json:"return_data"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil || len(list.ReturnData.Publications) != 1 {
		t.Fatalf("get_list: got %d %.200s (%v)", a.status, a.body, err)
	}
	id := list.ReturnData.Publications[0].ID
	a = get(t, "GET", url+"/api/publications/get_one?include_info=all&publication_id="+id, token)
	for _, field := range []string{`"report_iocs":"`, `"report_yara":"`, `"report_pdf":"JVBERi0`} {
		if a.status != 200 || !strings.Contains(string(a.body), field) {
			t.Errorf("get_one %s include_info=all: got %d %.200s, want %s", id, a.status, a.body, field)
		}
	}
	a = get(t, "GET", url+"/api/publications/get_master_yara", token)
	if a.status != 200 || !strings.Contains(string(a.body), `"master_yara":"H4sI`) {
		t.Errorf("get_master_yara: got %d %.200s", a.status, a.body)
	}
}
