package reststore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

func init() {
	open := func(_ context.Context, u *url.URL) (driver.Store, error) {
		return openDriver(u, Options{})
	}
	stores.Register("http", open)
	stores.Register("https", open)
}

// TokenEnv is the environment variable a token is read from when
// Options.Token is empty.
const TokenEnv = "PERSIST_TOKEN"

// Defaults for the zero Options.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultRetries  = 3
	DefaultBackoff  = 50 * time.Millisecond
	DefaultPageSize = 1000
)

// Options tunes a store. The zero value is ready to use.
type Options struct {
	// Token is sent as a bearer token; empty means $PERSIST_TOKEN (which
	// may be empty too: then no token is sent).
	Token string
	// Client makes the requests; nil means a client of the store's own,
	// with a transport tuned for many concurrent requests to one server.
	Client *http.Client
	// Timeout bounds each request of the store's own client, body
	// included (0 means DefaultTimeout). Contexts bound calls too.
	Timeout time.Duration
	// Retries is how many times a read is retried after a connection error
	// or a 502/503/504 (0 means DefaultRetries; negative means never).
	Retries int
	// Backoff is the wait before the first retry; it doubles, with jitter,
	// up to 2 s (0 means DefaultBackoff).
	Backoff time.Duration
	// PageSize is the most items one list request asks for; the server
	// may answer fewer (persist serve answers up to 1000 metadata-only
	// items, Eve 50), and List asks again until it has what it was asked
	// for. 0 means DefaultPageSize.
	PageSize int
	// LeaseTTL is the time to live of the leases Lock takes (0 means
	// DefaultLeaseTTL; the server keeps it within its bounds, 100 ms to
	// 5 min for persist serve): a holder that dies keeps its waiters out
	// for at most this long after its last renewal.
	LeaseTTL time.Duration
}

// restDriver is a handle on one server, the driver under the
// *stores.Store that Open returns. It is safe for concurrent use.
type restDriver struct {
	base      string // scheme://host/path, no trailing slash
	display   string // the URL for messages
	client    *http.Client
	ownClient bool
	// transport is the own client's, which a read's request goes to
	// directly (transport.go); nil with Options.Client.
	transport http.RoundTripper
	// raw sends the own client's GETs over plain HTTP (rawget.go); nil
	// with Options.Client, for https and behind a proxy.
	raw   *rawGetter
	token string
	// authHeader is the Authorization header's value, shared by every
	// request.
	authHeader []string
	retries    int
	backoff    time.Duration
	pageSize   int

	// Leases (lease.go).
	leaseTTL  time.Duration
	leaseWait time.Duration  // the longest wait one lease request asks for
	noLeases  atomic.Bool    // the server answered that it has no leases
	closed    chan struct{}  // closed by Close: heartbeats stop
	leaseWG   sync.WaitGroup // the heartbeats, which Close waits for
}

// Open returns a store on the server at rawURL (http:// or https://). It
// sends no request: a server that is down shows in the first call.
func Open(rawURL string, opts Options) (*stores.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &stores.OpError{Op: "open", Store: stores.Redact(rawURL), Err: err}
	}
	return OpenURL(u, opts)
}

// OpenURL is Open for a parsed URL. Its query may set timeout (a Go
// duration), retries and lease (Options.LeaseTTL, a Go duration); any
// other parameter is refused, so that a typo is not silently ignored. The
// store's URL (stores.Store.URL) is the server's base URL, for example
// http://localhost:5000/persist.
func OpenURL(u *url.URL, opts Options) (*stores.Store, error) {
	d, err := openDriver(u, opts)
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, d.display), nil
}

func openDriver(u *url.URL, opts Options) (*restDriver, error) {
	fail := func(format string, args ...any) (*restDriver, error) {
		return nil, &stores.OpError{Op: "open", Store: u.Redacted(), Err: fmt.Errorf(format, args...)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return fail("the URL names no host")
	}
	if u.User != nil {
		return fail("the URL carries credentials; give the token in Options.Token or $%s instead", TokenEnv)
	}
	for name, values := range u.Query() {
		v := values[len(values)-1]
		switch name {
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fail("timeout=%q is not a positive duration", v)
			}
			opts.Timeout = d
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil {
				return fail("retries=%q is not a number", v)
			}
			if n == 0 {
				n = -1 // in the URL, 0 means what it says
			}
			opts.Retries = n
		case "lease":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fail("lease=%q is not a positive duration", v)
			}
			opts.LeaseTTL = d
		default:
			return fail("unknown parameter %q (known: timeout, retries, lease)", name)
		}
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		path = wire.BasePath
	}
	s := &restDriver{
		base:     u.Scheme + "://" + u.Host + path,
		display:  u.Scheme + "://" + u.Host + path,
		token:    opts.Token,
		retries:  opts.Retries,
		backoff:  opts.Backoff,
		pageSize: opts.PageSize,
		leaseTTL: opts.LeaseTTL,
		closed:   make(chan struct{}),
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = DefaultLeaseTTL
	}
	if s.token == "" {
		s.token = os.Getenv(TokenEnv)
	}
	s.authHeader = []string{"Bearer " + s.token}
	switch {
	case s.retries == 0:
		s.retries = DefaultRetries
	case s.retries < 0:
		s.retries = 0
	}
	if s.backoff <= 0 {
		s.backoff = DefaultBackoff
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	s.client = opts.Client
	if s.client == nil {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		s.transport = newTransport()
		s.client = &http.Client{Transport: s.transport, Timeout: timeout}
		s.ownClient = true
		s.raw = newRawGetter(s.base)
	}
	// A lease request that waits must end before the client's timeout.
	s.leaseWait = leaseWait
	if s.client.Timeout > 0 {
		s.leaseWait = min(s.leaseWait, s.client.Timeout/2)
	}
	return s, nil
}

// newTransport is tuned for one server and many goroutines: connections are
// kept and reused (up to 64 idle ones, so a burst of concurrent calls does
// not end in a storm of new connections), dialing and TLS are bounded.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Close implements [driver.Store]: it ends the waits of Lock, releases the
// leases held (their unlock then does nothing) and closes the idle
// connections of the store's own client.
func (s *restDriver) Close() error {
	close(s.closed)
	s.leaseWG.Wait()
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	if s.raw != nil {
		s.raw.closeIdle()
	}
	return nil
}

// funcURL is the URL of a function's collection.
func (s *restDriver) funcURL(funcname string) string { return s.base + "/" + funcname }

// itemURL is the URL of one item; the hash is escaped as one path segment.
func (s *restDriver) itemURL(funcname, hash string) string {
	return s.base + "/" + funcname + "/" + url.PathEscape(hash)
}

// NameRules implements [driver.Store]: the protocol's URLs carry
// funcnames of [A-Za-z0-9_]+ only. A hash travels escaped in URLs, which
// carry any byte, and as a JSON string in bodies, which carries only
// UTF-8: hashes are any valid UTF-8.
func (s *restDriver) NameRules() driver.NameRules {
	return driver.NameRules{FuncBytes: "A-Za-z0-9_", UTF8: true, Why: "the REST protocol's URLs carry only these"}
}
