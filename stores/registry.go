package stores

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gopersist/persist/stores/driver"
)

// Redact returns rawURL with any password replaced by "xxxxx", for error
// messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	return u.Redacted()
}

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
// "file://results".
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
		return nil, &OpError{Op: "open", Store: Redact(rawURL), Err: err}
	}
	registryMu.RLock()
	open := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if open == nil {
		return nil, &UnknownSchemeError{Scheme: u.Scheme, Known: Schemes()}
	}
	d, err := open(ctx, u)
	if err != nil {
		return nil, err
	}
	return NewStore(d, rawURL), nil
}
