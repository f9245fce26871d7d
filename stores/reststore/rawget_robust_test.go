package reststore_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// rawServer accepts connections and calls serve for each request read
// (its index across the server, and the request), writing what serve
// writes.
func rawServer(t *testing.T, serve func(c net.Conn, i int, r *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					serve(c, int(n.Add(1)), r)
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/persist"
}

func frameResp(hash, result string) []byte {
	var body bytes.Buffer
	_ = wire.WriteFrame(&body, hash, stores.Record{Result: []byte(result)})
	return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", wire.FrameType, body.Len(), body.String()))
}

// A response that arrives on a kept connection after the previous answer
// was read (a server or proxy that answers twice) must not be taken as the
// answer of the next GET, which would return the old value although the
// server's is now v2: the connection is closed, as net/http's Transport
// closes an idle connection that receives an unsolicited response.
func TestRawGetUnsolicitedResponse(t *testing.T) {
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		if i == 1 {
			c.Write(frameResp("h", "v1"))
			time.Sleep(30 * time.Millisecond)
			c.Write(frameResp("h", "v1")) // a duplicate, unsolicited
			return
		}
		c.Write(frameResp("h", "v2"))
	})
	st, err := reststore.Open(url, reststore.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err != nil || string(rec.Result) != "v1" {
		t.Fatalf("first read: %q %v", rec.Result, err)
	}
	time.Sleep(100 * time.Millisecond)
	rec, err = st.Read(t.Context(), "f", "h", stores.PartResult)
	if err == nil && string(rec.Result) == "v1" {
		t.Errorf("second read returned the stale unsolicited answer %q; the server's answer to it is v2", rec.Result)
	}
	t.Logf("second read: %q %v", rec.Result, err)
}

// A header without end is refused at its bound, before it fills memory
// (net/http stops at 10 MB, its MaxResponseHeaderBytes).
func TestRawGetHugeHeader(t *testing.T) {
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		c.Write([]byte("HTTP/1.1 200 OK\r\nX-Big: "))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 200 { // 200 MiB in one header line
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		c.Write([]byte("\r\nContent-Length: 0\r\n\r\n"))
	})
	st, err := reststore.Open(url, reststore.Options{Retries: -1, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	_, err = st.Read(t.Context(), "f", "h", stores.PartResult)
	runtime.ReadMemStats(&m1)
	t.Logf("after %v: err=%v; allocated %d MiB", time.Since(start), err, (m1.TotalAlloc-m0.TotalAlloc)>>20)
	if m1.TotalAlloc-m0.TotalAlloc > 64<<20 {
		t.Errorf("a read allocated %d MiB for one response header (net/http stops at 10 MB)", (m1.TotalAlloc-m0.TotalAlloc)>>20)
	}
}

// A 103 Early Hints before the answer (allowed by HTTP/1.1, passed over by
// net/http).
func TestRawGetEarlyHints(t *testing.T) {
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		c.Write([]byte("HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"))
		c.Write(frameResp("h", "v"))
	})
	st, err := reststore.Open(url, reststore.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err != nil || string(rec.Result) != "v" {
		t.Errorf("read after a 103: %q %v (net/http would return v)", rec.Result, err)
	}
}

// Chunked body cut off by a close: must be an error, not a short record.
func TestRawGetChunkedCut(t *testing.T) {
	var body bytes.Buffer
	_ = wire.WriteFrame(&body, "h", stores.Record{Result: []byte("0123456789")})
	b := body.Bytes()
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", wire.FrameType, len(b)-3, b[:len(b)-3])
		c.Close()
	})
	st, _ := reststore.Open(url, reststore.Options{Retries: -1})
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err == nil {
		t.Errorf("cut chunked body read as %q", rec.Result)
	}
	t.Logf("chunked cut: %v", err)
}

// Content-Length larger than the body, then close.
func TestRawGetShortBody(t *testing.T) {
	var body bytes.Buffer
	_ = wire.WriteFrame(&body, "h", stores.Record{Result: []byte("0123456789")})
	b := body.Bytes()
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", wire.FrameType, len(b)+5, b)
		c.Close()
	})
	st, _ := reststore.Open(url, reststore.Options{Retries: -1})
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err == nil {
		t.Errorf("short body read as %q", rec.Result)
	}
	t.Logf("short body: %v", err)
}

// Close-delimited body (no length) cut at a part boundary of a record
// with a key: the frame's flags must catch it.
func TestRawGetCloseDelimitedCut(t *testing.T) {
	var body bytes.Buffer
	_ = wire.WriteFrame(&body, "h", stores.Record{Result: []byte("0123456789"), Key: []byte("k")})
	b := body.Bytes()
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n%s", wire.FrameType, b[:len(b)-2])
		c.Close()
	})
	st, _ := reststore.Open(url, reststore.Options{Retries: -1})
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.AllParts)
	if err == nil {
		t.Errorf("cut close-delimited body read as %+v", rec)
	}
	t.Logf("close-delimited cut: %v", err)
}

// A redirect loop ends with an error.
func TestRawGetRedirectLoop(t *testing.T) {
	url := rawServer(t, func(c net.Conn, i int, r *http.Request) {
		fmt.Fprintf(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", r.URL.Path)
	})
	st, _ := reststore.Open(url, reststore.Options{Retries: -1})
	defer st.Close()
	rec, err := st.Read(t.Context(), "f", "h", stores.PartResult)
	if err == nil {
		t.Errorf("redirect loop read as %q", rec.Result)
	}
	t.Logf("redirect loop: %v", err)
}
