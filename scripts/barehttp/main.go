// Command barehttp is the reference of scripts/bench-http.sh: a bare
// net/http server that answers each request with bytes it holds in
// memory, and nothing else (no authentication, no store, no log). It
// shares no code with tipd.
//
// Usage:
//
//	barehttp -dir DIR [-addr 127.0.0.1:0]
//
// Every file DIR/<query>/<path> is the answer to GET /<path>?<query>
// (for example DIR/count=10/api/ip/192.0.2.1 answers
// /api/ip/192.0.2.1?count=10); anything else is answered 404. Once
// listening it prints "url: http://HOST:PORT".
//
// With -raw it does not use net/http: a loop of its own on each
// connection reads request heads (up to the empty line, nothing else
// checked), looks the request target up and writes the answer's status
// line, four header fields and body, the answers to pipelined requests in
// one write. It is no HTTP server; it is the floor of what any Go server
// costs per request on the machine (the read and write system calls, the
// runtime's network poller and scheduler).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	dir := flag.String("dir", "", "directory of answers: DIR/<query>/<path>")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	raw := flag.Bool("raw", false, "answer with a loop of its own on each connection, not net/http")
	flag.Parse()
	if *dir == "" {
		log.Fatal("barehttp: -dir is required")
	}
	answers, err := load(*dir)
	if err != nil {
		log.Fatalf("barehttp: %v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("barehttp: %v", err)
	}
	fmt.Printf("url: http://%s\n", ln.Addr())
	if *raw {
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatalf("barehttp: %v", err)
			}
			go answers.serveRaw(c)
		}
	}
	srv := &http.Server{Handler: answers, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// answers maps a query string, then a path, to a body with its
// Content-Length value.
type answers map[string]map[string]answer

type answer struct {
	body   []byte
	length []string
}

// Headers every answer carries, as tipd's do.
var (
	contentType = []string{"application/json; charset=utf-8"}
	nosniff     = []string{"nosniff"}
	noStore     = []string{"no-store"}
)

func (a answers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := a[r.URL.RawQuery][r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h["Content-Type"] = contentType
	h["Content-Length"] = b.length
	h["X-Content-Type-Options"] = nosniff
	h["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	w.Write(b.body) //nolint:errcheck // the client went away
}

// load reads every answer under dir.
func load(dir string) (answers, error) {
	out := answers{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		query, path, ok := strings.Cut(filepath.ToSlash(rel), "/")
		if !ok {
			return fmt.Errorf("%s: not under a query directory", p)
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if out[query] == nil {
			out[query] = map[string]answer{}
		}
		out[query]["/"+path] = answer{body: body, length: []string{strconv.Itoa(len(body))}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no answers under %s", dir)
	}
	return out, nil
}

// serveRaw answers the requests of c until it closes.
func (a answers) serveRaw(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16<<10)
	var out []byte
	n := 0
	for {
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
		start := 0
		for {
			i := bytes.Index(buf[start:n], []byte("\r\n\r\n"))
			if i < 0 {
				break
			}
			line, _, _ := bytes.Cut(buf[start:start+i], []byte("\r\n"))
			start += i + 4
			f := bytes.Fields(line)
			target := ""
			if len(f) == 3 {
				target = string(f[1])
			}
			path, query, _ := strings.Cut(target, "?")
			b, ok := a[query][path]
			if !ok {
				out = append(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"...)
				continue
			}
			out = append(out, "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Type: application/json; charset=utf-8\r\nDate: "...)
			out = time.Now().UTC().AppendFormat(out, http.TimeFormat)
			out = append(out, "\r\nX-Content-Type-Options: nosniff\r\nContent-Length: "...)
			out = append(out, b.length[0]...)
			out = append(out, "\r\n\r\n"...)
			out = append(out, b.body...)
		}
		n = copy(buf, buf[start:n])
		if n == len(buf) {
			return // a head larger than the buffer
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}
