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
	"sync/atomic"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

func init() {
	open := func(_ context.Context, u *url.URL) (stores.Store, error) {
		return OpenURL(u, Options{})
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
	DefaultPageSize = 100
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Token is sent as a bearer token; empty means $PERSIST_TOKEN (which
	// may be empty too: then no token is sent).
	Token string
	// Client makes the requests; nil means a client of the Store's own,
	// with a transport tuned for many concurrent requests to one server.
	Client *http.Client
	// Timeout bounds each request of the Store's own client, body
	// included (0 means DefaultTimeout). Contexts bound calls too.
	Timeout time.Duration
	// Retries is how many times a read is retried after a connection error
	// or a 502/503/504 (0 means DefaultRetries; negative means never).
	Retries int
	// Backoff is the wait before the first retry; it doubles, with jitter,
	// up to 2 s (0 means DefaultBackoff).
	Backoff time.Duration
	// PageSize is the max_results Entries asks for; the server may answer
	// fewer (Eve's default cap is 50). 0 means DefaultPageSize.
	PageSize int
}

// Store is a handle on one server. It is safe for concurrent use.
type Store struct {
	base      string // scheme://host/path, no trailing slash
	display   string // the URL for messages
	client    *http.Client
	ownClient bool
	token     string
	retries   int
	backoff   time.Duration
	pageSize  int
	closed    atomic.Bool
}

// Open returns a handle on the server at rawURL (http:// or https://). It
// sends no request: a server that is down shows in the first call.
func Open(rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &stores.OpError{Op: "open", Store: stores.Redact(rawURL), Err: err}
	}
	return OpenURL(u, opts)
}

// OpenURL is Open for a parsed URL. Its query may set timeout (a Go
// duration) and retries; any other parameter is refused, so that a typo is
// not silently ignored.
func OpenURL(u *url.URL, opts Options) (*Store, error) {
	fail := func(format string, args ...any) (*Store, error) {
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
		default:
			return fail("unknown parameter %q (known: timeout, retries)", name)
		}
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path == "" {
		path = wire.BasePath
	}
	s := &Store{
		base:     u.Scheme + "://" + u.Host + path,
		display:  u.Scheme + "://" + u.Host + path,
		token:    opts.Token,
		retries:  opts.Retries,
		backoff:  opts.Backoff,
		pageSize: opts.PageSize,
	}
	if s.token == "" {
		s.token = os.Getenv(TokenEnv)
	}
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
		s.client = &http.Client{Transport: newTransport(), Timeout: timeout}
		s.ownClient = true
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

// URL returns the server's base URL, for example
// http://localhost:5000/persist.
func (s *Store) URL() string { return s.display }

// Close implements [stores.Store]: later calls return ErrClosed, and the
// idle connections of the Store's own client are closed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	return nil
}

// funcURL is the URL of a function's collection.
func (s *Store) funcURL(funcname string) string { return s.base + "/" + funcname }

// itemURL is the URL of one item; the hash is escaped as one path segment.
func (s *Store) itemURL(funcname, hash string) string {
	return s.base + "/" + funcname + "/" + url.PathEscape(hash)
}

// check refuses a call before any request: a closed store, an ended
// context, a funcname the protocol cannot carry, an invalid hash.
func (s *Store) check(ctx context.Context, op, funcname string, hash ...string) error {
	if err := ctx.Err(); err != nil {
		return s.opError(op, err)
	}
	if s.closed.Load() {
		return s.opError(op, stores.ErrClosed)
	}
	if err := stores.ValidName("funcname", funcname); err != nil {
		return s.opError(op, err)
	}
	if err := wire.ValidFuncname(funcname); err != nil {
		return s.opError(op, err)
	}
	for _, h := range hash {
		if err := stores.ValidName("hash", h); err != nil {
			return s.opError(op, err)
		}
	}
	return nil
}

func (s *Store) opError(op string, err error) error {
	return &stores.OpError{Op: op, Store: s.display, Err: err}
}
