package server

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// DefaultMaxBody is the default limit on a request body: room for a 16 MiB
// binary result and a key, base64-encoded.
const DefaultMaxBody = 32 << 20

// TokenScope says which requests need the token.
type TokenScope int

const (
	// TokenForWrites requires the token for every method but GET, HEAD and
	// OPTIONS: anyone may read, only holders of the token may write.
	TokenForWrites TokenScope = iota
	// TokenForAll requires the token for every request.
	TokenForAll
)

// Options configures a server. The zero value serves without a token, with
// Eve's page sizes and a 32 MiB body limit, and logs nothing.
type Options struct {
	// Token, if not empty, must be presented as a bearer token (or as the
	// user name of HTTP Basic authentication) by the requests TokenFor
	// names; others are answered 401.
	Token    string
	TokenFor TokenScope
	// MaxBody limits a request body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// PageSize is how many items a list answers when the client does not
	// say (0 means Eve's 25); PageMax caps what a client may ask for (0
	// means Eve's 50, and never less than PageSize).
	PageSize int
	PageMax  int
	// RefuseDuplicates answers a POST of a stored hash with 422 instead of
	// replacing the item (see the package documentation).
	RefuseDuplicates bool
	// Logger receives one structured access-log record per request and the
	// details of store failures; nil logs nothing.
	Logger *slog.Logger
	// Observer, if not nil, is told of every request and store failure.
	Observer Observer
	// Metrics, if not nil, is served at GET /metrics (for example a
	// Prometheus handler fed by the Observer), under the token rules of
	// reads.
	Metrics http.Handler
	// UI serves a read-only dashboard for people at /ui/: the functions,
	// a function's entries a page at a time, one entry decoded. It obeys
	// the token rules of reads.
	UI bool
}

// lockStripes is how many mutexes guard conditional writes; a hash of
// (funcname, hash) picks one, so unrelated items rarely wait for each other.
const lockStripes = 64

// server serves one store.
type server struct {
	store *stores.Store
	opts  Options
	log   *slog.Logger
	seed  maphash.Seed
	locks [lockStripes]sync.Mutex
	// leases are the computation leases held for clients (lease.go).
	leases leaseTable
}

// New returns a handler that serves store under /persist with the protocol
// described in the package documentation. The handler does not close store.
func New(store *stores.Store, opts Options) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.PageSize <= 0 {
		opts.PageSize = wire.DefaultPageSize
	}
	if opts.PageMax <= 0 {
		opts.PageMax = wire.DefaultPageMax
	}
	opts.PageMax = max(opts.PageMax, opts.PageSize)
	s := &server{store: store, opts: opts, log: opts.Logger, seed: maphash.MakeSeed()}

	mux := http.NewServeMux()
	const fn, item = wire.BasePath + "/{funcname}", wire.BasePath + "/{funcname}/{hash}"
	mux.HandleFunc("GET "+fn, s.withFuncname(s.list))
	mux.HandleFunc("POST "+fn, s.withFuncname(s.create))
	mux.HandleFunc("DELETE "+fn, s.withFuncname(s.clear))
	mux.HandleFunc(fn, methodNotAllowed("DELETE, GET, HEAD, OPTIONS, POST"))
	mux.HandleFunc("GET "+item, s.withItem(s.get))
	mux.HandleFunc("DELETE "+item, s.withItem(s.delete))
	mux.HandleFunc(item, methodNotAllowed("DELETE, GET, HEAD, OPTIONS"))
	const owner = wire.OwnerPath + "/{funcname}"
	mux.HandleFunc("GET "+owner, s.withFuncname(s.owner))
	mux.HandleFunc("POST "+owner, s.withFuncname(s.claimOwner))
	const lease = wire.LeasePath + "/{funcname}/{hash}"
	mux.HandleFunc("POST "+lease, s.withItem(s.takeLease))
	mux.HandleFunc("PUT "+lease, s.withItem(s.renewLease))
	mux.HandleFunc("DELETE "+lease, s.withItem(s.releaseLease))
	mux.HandleFunc(lease, methodNotAllowed("DELETE, OPTIONS, POST, PUT"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "The requested URL was not found on the server: the protocol serves /persist/<funcname> and /persist/<funcname>/<hash>.")
	})
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	if opts.UI {
		s.routeUI(mux)
	}
	// /healthz needs no token: load balancers do not carry one.
	top := http.NewServeMux()
	top.HandleFunc("GET /healthz", s.healthz)
	authorized := s.authorize(mux)
	top.Handle("/", authorized)

	// Every path but /healthz goes where top would send it, without a
	// second routing.
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			top.ServeHTTP(w, r)
			return
		}
		authorized.ServeHTTP(w, r)
	})
	h = canonicalPath(h)
	h = s.recoverPanics(h)
	if s.log != nil {
		h = s.accessLog(h)
	}
	if opts.Observer != nil {
		h = s.observe(h, top, mux)
	}
	return h
}

// withFuncname checks the URL's funcname before calling next.
func (s *server) withFuncname(next func(w http.ResponseWriter, r *http.Request, funcname string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		funcname := r.PathValue("funcname")
		if err := wire.ValidFuncname(funcname); err != nil {
			writeNameError(w, "funcname", err.Error())
			return
		}
		next(w, r, funcname)
	}
}

// withItem checks the URL's funcname and hash before calling next.
func (s *server) withItem(next func(w http.ResponseWriter, r *http.Request, funcname, hash string)) http.HandlerFunc {
	return s.withFuncname(func(w http.ResponseWriter, r *http.Request, funcname string) {
		hash := r.PathValue("hash")
		if err := stores.ValidName("hash", hash); err != nil {
			writeNameError(w, "hash", err.Error())
			return
		}
		next(w, r, funcname, hash)
	})
}

// methodNotAllowed answers the methods a path does not serve with 405 and
// the list of those it does, and OPTIONS with that list.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("The method %s is not allowed for the requested URL (allowed: %s).", r.Method, allow))
	}
}

// canonicalPath refuses paths that are not clean ("..", ".", "//"), which
// ServeMux would otherwise answer with a redirect: a client that sends one
// is confused or probing, and gets a plain error.
func canonicalPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if isCleanPath(p) {
			next.ServeHTTP(w, r)
			return
		}
		clean := path.Clean("/" + p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if p != clean {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("The path %q is not canonical (it would be %q).", p, clean))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isCleanPath reports, without allocating, a path that path.Clean would
// leave as it is: rooted, with no empty, "." or ".." segment, and no
// trailing slash but the root's. It may report false for a path that is
// clean after all; canonicalPath then cleans it to see.
func isCleanPath(p string) bool {
	if p == "/" {
		return true
	}
	if p == "" || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// authorize enforces Options.Token.
func (s *server) authorize(next http.Handler) http.Handler {
	if s.opts.Token == "" {
		return next
	}
	want := []byte(s.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
		if read && s.opts.TokenFor == TokenForWrites {
			next.ServeHTTP(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(presentedToken(r)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="persist", Basic realm="persist"`)
			writeError(w, http.StatusUnauthorized, "Please provide proper credentials: a bearer token, or the token as the user name of basic authentication.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// presentedToken returns the token a request carries: the bearer token, or
// the user name of basic authentication (as Eve's TokenAuth reads it).
func presentedToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(auth, " ")
	if !ok {
		return ""
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return strings.TrimSpace(rest)
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return ""
		}
		user, _, _ := strings.Cut(string(raw), ":")
		return user
	}
	return ""
}

// recoverPanics turns a panic in a handler into a logged 500, so that one
// bad request cannot take the connection's other requests with it.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				if s.log != nil {
					s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				}
				writeError(w, http.StatusInternalServerError, "Internal server error.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers what a handler answered, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one log record per request.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.EscapedPath()),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// lock takes the mutex that guards conditional writes of (funcname, hash)
// and returns its unlock.
func (s *server) lock(funcname, hash string) func() {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(funcname)
	h.WriteByte(0)
	h.WriteString(hash)
	mu := &s.locks[h.Sum64()%lockStripes]
	mu.Lock()
	return mu.Unlock
}
