package stores

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gopersist/persist/stores/driver"
)

// Redact returns rawURL with any password replaced by "xxxxx", for error
// messages and logs: the user information's, and the values of query
// options whose names say they hold a secret (password, secret, token,
// credential, signature, authMechanismProperties, as MongoDB's, S3's and
// Redis's URLs may carry).
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q := u.Query()
	changed := false
	for name := range q {
		if secretOption.MatchString(name) {
			q[name] = []string{"xxxxx"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	if u.User == nil && !changed {
		return rawURL
	}
	return u.Redacted()
}

// secretOption matches the names of query options that hold secrets.
var secretOption = regexp.MustCompile(`(?i)pass|secret|token|credential|signature|^sig$|authmechanismproperties`)

// OpenFunc opens a driver for a parsed URL whose scheme it registered.
type OpenFunc func(ctx context.Context, u *url.URL) (driver.Store, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]OpenFunc{}
)

// Register makes a store available under a URL scheme. It is meant to be
// called from a backend's init function, as database/sql drivers do, and
// panics if the scheme is registered twice.
func Register(scheme string, open OpenFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	scheme = strings.ToLower(scheme)
	if _, dup := registry[scheme]; dup {
		panic("stores: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// UnknownSchemeError reports a URL whose scheme no store registered.
type UnknownSchemeError struct {
	Scheme string
	Known  []string
}

// Error implements the error interface.
func (e *UnknownSchemeError) Error() string {
	return fmt.Sprintf("no store for scheme %q (known: %s; a store in a module of its own, such as mongodb://, "+
		"is known to a program once it imports the store's package)",
		e.Scheme, strings.Join(e.Known, ", "))
}

// Is reports whether target is ErrUnknownScheme.
func (e *UnknownSchemeError) Is(target error) bool { return target == ErrUnknownScheme }

// Open opens the store that rawURL names. A string without a scheme is a
// directory for the file store, as in pypersist: "results" means
// "file://results". The options max_size (a size: 500MiB, 2GB) and
// max_entries, on any store that lists its functions, set its Budget. The
// options memory (a size: 64MiB), memory_entries and memory_ttl (a
// duration, or forever), on any store, put a memory tier in front of it
// (see [Store.SetMemoryTier] and [Tier]).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || len(u.Scheme) < 2 {
		// A bare path, or a Windows drive letter: a directory of files.
		path, parsed := rawURL, err == nil
		rawURL = "file://" + rawURL
		u, err = url.Parse(rawURL)
		if err != nil && parsed {
			// A path that is no host and path of a URL, such as C:\cache:
			// all of it is the directory.
			u, err = &url.URL{Scheme: "file", Opaque: url.PathEscape(path)}, nil
		}
	}
	if err != nil {
		return nil, openError(rawURL, err)
	}
	registryMu.RLock()
	open := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if open == nil {
		return nil, &UnknownSchemeError{Scheme: u.Scheme, Known: Schemes()}
	}
	budget, err := budgetOptions(u)
	if err != nil {
		return nil, openError(rawURL, err)
	}
	tier, err := tierOptions(u)
	if err != nil {
		return nil, openError(rawURL, err)
	}
	d, err := open(ctx, u)
	if err != nil {
		return nil, openError(rawURL, err)
	}
	s := NewStore(d, rawURL)
	if err := s.SetBudget(budget); err != nil {
		_ = s.Close()
		return nil, openError(rawURL, err)
	}
	if err := s.SetMemoryTier(tier); err != nil {
		_ = s.Close()
		return nil, openError(rawURL, err)
	}
	return s, nil
}

// openError wraps a failure to open rawURL in an OpError, with the URL's
// password, if it has one, replaced wherever the message holds it: a URL
// that does not parse, or a driver's message, may quote it whole.
func openError(rawURL string, err error) error {
	var op *OpError
	if errors.As(err, &op) && op.Op == "open" {
		op.Store = Redact(op.Store)
	} else {
		op = &OpError{Op: "open", Store: Redact(rawURL), Code: driver.Unknown, Err: err}
	}
	for _, secret := range secrets(rawURL) {
		if strings.Contains(op.Err.Error(), secret) {
			op.Err = &scrubbed{err: op.Err, msg: strings.ReplaceAll(op.Err.Error(), secret, "xxxxx")}
		}
	}
	return op
}

// secrets returns the password and the secret options' values of rawURL,
// which a driver's message may quote.
func secrets(rawURL string) []string {
	var out []string
	if pw := password(rawURL); pw != "" {
		out = append(out, pw, url.QueryEscape(pw))
	}
	if u, err := url.Parse(rawURL); err == nil {
		for name, vals := range u.Query() {
			if secretOption.MatchString(name) {
				for _, v := range vals {
					if v != "" {
						out = append(out, v, url.QueryEscape(v))
					}
				}
			}
		}
	}
	return out
}

// password finds the password of scheme://user:password@host/… without
// parsing the URL, which may not parse.
func password(rawURL string) string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// scrubbed is an error whose message had a password replaced; errors.Is
// and As still see the error underneath.
type scrubbed struct {
	err error
	msg string
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }
