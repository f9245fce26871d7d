package reststore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// rawGetter sends the GETs of the store's own client over plain HTTP/1.1
// connections of its own, when no proxy is in the way: it writes the
// request itself, reads the answer with http.ReadResponse, and reads the
// whole body before the call returns, so that a connection is reused at
// once and no goroutine but the caller's takes part. http.Transport hands
// every exchange between the caller and two goroutines of the connection
// (its write and read loops), which on a loopback hit cost more than the
// network itself. Everything else (writes, HEAD, https, proxies, a
// caller's Options.Client) goes through net/http as before.
type rawGetter struct {
	addr      string // host:port to dial
	origin    string // http://host, which the URLs asked for begin with
	host      string // the Host header
	userAgent string
	dialer    net.Dialer

	mu     sync.Mutex
	idle   []*rawConn // most recently used last
	closed bool       // by closeIdle: nothing is kept any more
}

// maxIdleRaw is how many idle connections a rawGetter keeps, as the
// transport's MaxIdleConnsPerHost.
const maxIdleRaw = 64

// rawConn is one kept-alive connection with its buffers. br reads
// through limit, which bounds what an answer's header may take.
type rawConn struct {
	net.Conn
	br    *bufio.Reader
	bw    *bufio.Writer
	limit *limitedReader
}

// maxHeaderBytes bounds an answer's status line and header, as
// http.Transport's MaxResponseHeaderBytes does (there 10 MB): a server
// that sends more is refused before it fills memory.
const maxHeaderBytes = 1 << 20

// limitedReader reads from r until n bytes are read, then fails: set
// before an answer's header is read, lifted for its body.
type limitedReader struct {
	r io.Reader
	n int64
}

var errHeaderTooLarge = errors.New("the answer's header is larger than " + fmt.Sprint(maxHeaderBytes) + " bytes")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// clean reports whether an idle connection holds nothing unasked for: a
// server that sent bytes no request asked for, or closed it, is not to be
// trusted with the next request, whose answer those bytes would be taken
// for. (net/http's client closes such a connection too.)
func (c *rawConn) clean() bool {
	return c.br.Buffered() == 0 && nothingWaiting(c.Conn)
}

// newRawGetter returns the getter for base, or nil when requests to base
// must go through net/http: https, or a proxy named by the environment.
func newRawGetter(base string) *rawGetter {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil
	}
	probe := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
	if p, err := http.ProxyFromEnvironment(probe); err != nil || p != nil {
		return nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawGetter{
		addr:      addr,
		origin:    "http://" + u.Host,
		host:      u.Host,
		userAgent: "Go-http-client/1.1", // what net/http sends, so server logs read the same
		dialer:    net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
	}
}

// errBadAnswer reports an answer after which a connection cannot be
// reused: bytes beyond its body.
var errBadAnswer = errors.New("the server sent more than its answer")

// get sends GET target (the URL, whose host is the getter's) with the
// headers accept and auth (nil: none), and returns the answer with its
// body read whole. The request ends at deadline or when ctx does, and is
// sent again on a fresh connection if a kept one turns out closed (a GET
// changes nothing). It returns the errors of the connection as they are;
// the caller tells the context's and the deadline's apart.
func (g *rawGetter) get(ctx context.Context, target string, accept, auth []string, deadline time.Time) (*http.Response, error) {
	uri, ok := strings.CutPrefix(target, g.origin)
	if !ok || !strings.HasPrefix(uri, "/") {
		u, err := url.Parse(target)
		if err != nil {
			return nil, err
		}
		uri = u.RequestURI()
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := g.conn(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		resp, err := g.exchange(ctx, c, uri, accept, auth, deadline)
		if err == nil {
			return resp, nil
		}
		_ = c.Close()
		if !reused || ctx.Err() != nil || !time.Now().Before(deadline) || attempt > 0 {
			return nil, err
		}
	}
}

// conn returns an idle connection (reused true) or a new one; fresh asks
// for a new one.
func (g *rawGetter) conn(ctx context.Context, fresh bool) (c *rawConn, reused bool, err error) {
	for !fresh {
		g.mu.Lock()
		if n := len(g.idle); n > 0 {
			c = g.idle[n-1]
			g.idle[n-1] = nil
			g.idle = g.idle[:n-1]
		}
		g.mu.Unlock()
		if c == nil {
			break
		}
		if c.clean() {
			return c, true, nil
		}
		_ = c.Close()
		c = nil
	}
	nc, err := g.dialer.DialContext(ctx, "tcp", g.addr)
	if err != nil {
		return nil, false, err
	}
	limit := &limitedReader{r: nc}
	return &rawConn{Conn: nc, br: bufio.NewReaderSize(limit, 4<<10), bw: bufio.NewWriterSize(nc, 1<<10), limit: limit}, false, nil
}

// put keeps c for the next request, or closes it when enough are kept.
func (g *rawGetter) put(c *rawConn) {
	g.mu.Lock()
	if !g.closed && len(g.idle) < maxIdleRaw {
		g.idle = append(g.idle, c)
		c = nil
	}
	g.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// closeIdle closes the idle connections, and those in use as they are
// put back.
func (g *rawGetter) closeIdle() {
	g.mu.Lock()
	g.closed = true
	idle := g.idle
	g.idle = nil
	g.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// aLongTimeAgo is a deadline that has passed: setting it ends a blocked
// read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange writes one request on c and reads its answer whole; on success
// c is kept again, unless the server asked to close it.
func (g *rawGetter) exchange(ctx context.Context, c *rawConn, uri string, accept, auth []string, deadline time.Time) (*http.Response, error) {
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(aLongTimeAgo) })
		defer stop()
	}
	w := c.bw
	_, _ = w.WriteString("GET ")
	_, _ = w.WriteString(uri)
	_, _ = w.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = w.WriteString(g.host)
	_, _ = w.WriteString("\r\nUser-Agent: ")
	_, _ = w.WriteString(g.userAgent)
	for _, h := range [...]struct {
		name   string
		values []string
	}{{"Accept", accept}, {"Authorization", auth}} {
		for _, v := range h.values {
			_, _ = w.WriteString("\r\n")
			_, _ = w.WriteString(h.name)
			_, _ = w.WriteString(": ")
			_, _ = w.WriteString(v)
		}
	}
	_, _ = w.WriteString("\r\n\r\n")
	if err := w.Flush(); err != nil {
		return nil, err
	}
	c.limit.n = maxHeaderBytes + int64(c.br.Buffered())
	resp, err := http.ReadResponse(c.br, nil)
	// An informational answer (103 Early Hints, say) comes before the
	// answer, as net/http's client passes them by.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(c.br, nil)
	}
	c.limit.n = 1<<63 - 1 // the body is bounded by its own length
	if err != nil {
		return nil, err
	}
	var body []byte
	if n := resp.ContentLength; n >= 0 && n <= maxPrealloc {
		body = make([]byte, n)
		_, err = io.ReadFull(resp.Body, body)
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		return nil, err
	}
	if c.br.Buffered() > 0 {
		return nil, fmt.Errorf("%w (%d bytes)", errBadAnswer, c.br.Buffered())
	}
	if resp.Close {
		_ = c.Close()
	} else {
		_ = c.SetDeadline(time.Time{})
		g.put(c)
	}
	wb := &wholeBody{b: body}
	wb.Reset(body)
	resp.Body = wb
	return resp, nil
}

// wholeBody is a body read whole already; readBody takes its bytes
// without a copy.
type wholeBody struct {
	bytes.Reader
	b []byte
}

// Close implements io.Closer.
func (*wholeBody) Close() error { return nil }

// bytes returns the body's bytes if none has been read yet.
func (b *wholeBody) bytes() ([]byte, bool) {
	return b.b, b.Reader.Len() == len(b.b)
}
