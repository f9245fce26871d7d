//go:build unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// DefaultLockStale is how long a lock file may go without its holder's
// heartbeat before a waiter breaks it, when Options.LockStale is zero.
const DefaultLockStale = 30 * time.Second

// File-name suffixes of the layout, and the tags of our temporary files.
const (
	extOut   = ".out"
	extKey   = ".key"
	extMeta  = ".meta"
	extLock  = ".lock"
	tmpTag   = ".tmp-"   // <hash>.out.tmp-<16 hex>: a file being written
	staleTag = ".stale-" // <hash>.lock.stale-<16 hex>: a lock being broken
)

func init() {
	stores.Register("file", func(_ context.Context, u *url.URL) (driver.Store, error) {
		dir, opts, err := parseURL(u)
		if err != nil {
			return nil, &stores.OpError{Op: "open", Store: stores.Redact(u.String()), Err: err}
		}
		return openDriver(dir, opts)
	})
}

// Options tune a file store. The zero value is the default: no fsync,
// DefaultLockStale, slog.Default for the rare log line.
type Options struct {
	// Sync makes every write durable before it returns: files are fsynced
	// before they are renamed into place and the directory after, so a
	// power loss keeps every record whose Put returned. Without it a crash
	// of the program is still safe, but a crash of the machine may lose the
	// latest writes. URL form: ?sync=true.
	Sync bool
	// LockStale is how long a lock file may go without its holder's
	// heartbeat before waiters break it; zero means DefaultLockStale. URL
	// form: ?lockstale=45s.
	LockStale time.Duration
	// Logger receives a line when a stale lock is broken or a held lock is
	// lost; nil means slog.Default().
	Logger *slog.Logger
}

// Driver is the file store's [driver.Store]: it keeps records as files
// under one directory, and is safe for concurrent use by goroutines and by
// other processes opening the same directory. Programs use it through the
// portable *stores.Store that [Open] returns, which checks names and the
// closed state before it calls the driver's [driver.Store] methods (they
// assume those checks: call them through it). Callers who know the backend
// reach the driver with st.As(&d), for a d of type *Driver, for
// [Driver.Dir], [Driver.Options] and [Driver.Foreign], which check their
// own arguments.
type Driver struct {
	dir  string
	root string // dir cleaned, the start of every path the store opens
	url  string
	opts Options
	log  *slog.Logger

	// rootLinked is set once dir's own path is known to hold a symbolic
	// link (see openIn).
	rootLinked atomic.Bool

	// held registers the locks this store created and has not released,
	// by function and hash, so that a Put can turn the lock file into the
	// result.
	heldMu sync.Mutex
	held   map[lockKey]*heldLock

	// beats refreshes the held locks (see heartbeat.go).
	beats heartbeats

	// closes remembers whether close(2) can report a failed write on one
	// file system (see closeReports).
	closes closeCache

	// names caches the sorted names of function directories, for List
	// and Len (see listcache.go).
	names nameCache
}

// The driver's interfaces, the optional ones included.
var (
	_ driver.Store      = (*Driver)(nil)
	_ driver.Locker     = (*Driver)(nil)
	_ driver.Counter    = (*Driver)(nil)
	_ driver.FuncLister = (*Driver)(nil)
	_ driver.Mapper     = (*Driver)(nil)
	_ driver.As         = (*Driver)(nil)
)

// Open returns a store on the directory dir, which is created by the first
// write, not here. Options are as in the URL form.
func Open(dir string, opts Options) (*stores.Store, error) {
	d, err := openDriver(dir, opts)
	if err != nil {
		return nil, err
	}
	return stores.NewStore(d, d.url), nil
}

// openDriver checks dir and opts and returns the driver on them.
func openDriver(dir string, opts Options) (*Driver, error) {
	u := "file://" + dir
	fail := func(err error) (*Driver, error) {
		return nil, &stores.OpError{Op: "open", Store: u, Err: err}
	}
	if dir == "" {
		return fail(fmt.Errorf("%w: no directory", ErrInvalidURL))
	}
	if opts.LockStale < 0 {
		return fail(fmt.Errorf("%w: negative lock staleness %v", ErrInvalidURL, opts.LockStale))
	}
	if opts.LockStale == 0 {
		opts.LockStale = DefaultLockStale
	}
	// A directory that does not exist yet is fine; a file in its place is a
	// mistake better reported now than on the first write.
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fail(&fs.PathError{Op: "open", Path: dir, Err: errNotDir})
	}
	if err := creatable(dir); err != nil {
		return fail(err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Driver{dir: dir, root: filepath.Clean(dir), url: u, opts: opts, log: log.With("store", u)}, nil
}

var errNotDir = errors.New("not a directory")

// creatable reports, as far as can be told without creating anything, why
// dir could not be created: the nearest of its parents that exists is
// not a directory, or was removed (a working directory deleted under the
// program). What only an attempt can tell (a parent such as /proc) is
// reported by the first write, as ErrNoRoot too.
func creatable(dir string) error {
	for p := dir; ; {
		fi, err := os.Stat(p)
		if err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			switch {
			case !fi.IsDir():
				return fmt.Errorf("%w %s: %s is not a directory", ErrNoRoot, dir, p)
			case ok && st.Nlink == 0:
				return fmt.Errorf("%w %s: %s was removed", ErrNoRoot, dir, p)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil // the first write will say what is wrong
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}

// parseURL turns a file:// URL into a directory and options. The directory
// is Host+Path ("file://persist/" is the relative "persist/", "file:///abs"
// is absolute) or the opaque part ("file:results").
func parseURL(u *url.URL) (string, Options, error) {
	var opts Options
	bad := func(format string, args ...any) (string, Options, error) {
		return "", opts, fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		return bad("scheme %q is not file", u.Scheme)
	}
	if u.User != nil {
		return bad("user information is not allowed")
	}
	if u.Fragment != "" {
		return bad("fragment %q is not allowed", u.Fragment)
	}
	dir := u.Host + u.Path
	if u.Opaque != "" {
		var err error
		if dir, err = url.PathUnescape(u.Opaque); err != nil {
			return bad("%v", err)
		}
	}
	if dir == "" {
		return bad("no directory")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("query: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		vals := q[name]
		if len(vals) != 1 {
			return bad("parameter %s given %d times", name, len(vals))
		}
		switch v := vals[0]; name {
		case "sync":
			if opts.Sync, err = strconv.ParseBool(v); err != nil {
				return bad("sync=%q is not a boolean", v)
			}
		case "lockstale":
			if opts.LockStale, err = time.ParseDuration(v); err != nil || opts.LockStale <= 0 {
				return bad("lockstale=%q is not a positive duration such as 30s", v)
			}
		default:
			return bad("unknown parameter %q (known: sync, lockstale)", name)
		}
	}
	return dir, opts, nil
}

// Dir returns the store's directory, as given to Open.
func (s *Driver) Dir() string { return s.dir }

// Options returns the options in force, with defaults filled in.
func (s *Driver) Options() Options { return s.opts }

// As implements [driver.As]: it accepts a **Driver, which receives s.
func (s *Driver) As(target any) bool {
	if p, ok := target.(**Driver); ok {
		*p = s
		return true
	}
	return false
}

// NameRules implements [driver.Store]: a funcname or hash is one path
// element, as stores.ValidName has it, of at most stores.MaxNameLen bytes,
// which leaves room under the usual 255-byte limit of a file name for the
// layout's suffixes and temporary-file tags.
func (s *Driver) NameRules() driver.NameRules {
	return driver.NameRules{MaxLen: stores.MaxNameLen}
}

// Close implements [driver.Store]. Locks still held stay held until their
// unlock functions are called.
func (s *Driver) Close() error {
	s.names.drop()
	return nil
}
