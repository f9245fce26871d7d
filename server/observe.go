package server

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// Observer is told what the server does, for metrics. Its methods are
// called from the goroutines that serve requests, concurrently, and must
// not block.
type Observer interface {
	// RequestDone is called once per request, when its answer is written.
	RequestDone(Request)
	// StoreFailed is called when a store operation fails for a reason that
	// is the server's, not the client's (not a missing item or a bad
	// name): op is what was asked of the store ("read", "write", "list",
	// "health", ...).
	StoreFailed(op string)
}

// Request describes one answered request.
type Request struct {
	// Route is the pattern of the path that served the request, such as
	// "/persist/{funcname}" or "/healthz"; "/" for a path the server does
	// not serve, "" for one refused before routing (not canonical).
	Route string
	// Method is the request's method, or "OTHER" for one the HTTP
	// specification does not define, so that clients cannot make an
	// observer keep one series per invented method.
	Method   string
	Status   int
	Duration time.Duration
	BytesIn  int64 // body bytes read
	BytesOut int64 // body bytes written
}

// observe reports every request to the Observer. routes are the muxes that
// route a request, outermost first; the route is the pattern of the first
// that serves the path with something other than its catch-all "/".
func (s *server) observe(next http.Handler, routes ...*http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body := &countingBody{ReadCloser: r.Body}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = body
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		// The mux that served the request left its pattern on it; one
		// refused before a mux saw it (a bad path, a missing token) is
		// routed again to find the pattern that would have served it.
		route := r.Pattern
		if route == "" {
			for _, mux := range routes {
				if _, route = mux.Handler(r); route != "/" {
					break
				}
			}
		}
		if _, path, ok := strings.Cut(route, " "); ok {
			route = path // without the method the pattern names
		}
		s.opts.Observer.RequestDone(Request{
			Route:    route,
			Method:   knownMethod(r.Method),
			Status:   rec.status,
			Duration: time.Since(start),
			BytesIn:  body.n,
			BytesOut: rec.bytes,
		})
	})
}

// reportStoreFailure tells the Observer, if any, of a store failure.
func (s *server) reportStoreFailure(op string) {
	if s.opts.Observer != nil {
		s.opts.Observer.StoreFailed(op)
	}
}

// knownMethod returns m if HTTP defines it, and "OTHER" if not.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
