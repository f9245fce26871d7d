package reststore_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/url"
	"strconv"
	"testing"
)

// The floors under any hit over HTTP on loopback, for BenchmarkHit: what
// the kernel and Go's network poller cost to carry a hit's bytes there and
// back, and what net/http's server costs on top of that.

// tcpRoundTrip returns a function that writes req bytes on a loopback TCP
// connection and reads resp bytes back from a goroutine that answers each
// request at once: a hit's round trip with no HTTP at all.
func tcpRoundTrip(b *testing.B, req, resp int) func() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		in, out := make([]byte, req), make([]byte, resp)
		for {
			if _, err := io.ReadFull(c, in); err != nil {
				return
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	in, out := make([]byte, resp), make([]byte, req)
	return func() {
		if _, err := c.Write(out); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			b.Fatal(err)
		}
	}
}

// handWrittenGet returns a function that sends a GET of rawURL, written
// by hand, on one kept connection and reads the answer's body by its
// Content-Length: the cost of the server alone, with the least a client
// can do.
func handWrittenGet(b *testing.B, rawURL string, want int) func() {
	u, err := url.Parse(rawURL)
	if err != nil {
		b.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	req := []byte("GET / HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n")
	body := make([]byte, want)
	return func() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n := -1
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if len(line) <= 2 {
				break
			}
			if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
				n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if n != want {
			b.Fatalf("the server sent %d bytes, want %d", n, want)
		}
		if _, err := io.ReadFull(br, body); err != nil {
			b.Fatal(err)
		}
	}
}
