package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// cache is an opened store and the name persist calls it by in messages.
type cache struct {
	*stores.Store
	name string // "./persist", "/var/cache/x" or a URL without its password
}

// noCacheError reports a cache directory that does not exist. The commands
// only look at caches: they never create one.
type noCacheError struct{ dir string }

func (e *noCacheError) Error() string { return "no cache at " + e.dir + " (no such directory)" }

// files returns the file store's driver, for the commands that look at
// the directory itself, and whether the cache is a file store.
func (c *cache) files() (*filestore.Driver, bool) {
	var d *filestore.Driver
	return d, c.As(&d)
}

// openCache opens the store that rawURL names, or ./persist when it is
// empty. A file store's directory must exist.
func openCache(ctx context.Context, rawURL string) (*cache, error) {
	if rawURL == "" {
		rawURL = persist.DefaultCache
	}
	s, err := stores.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	c := &cache{Store: s, name: stores.Redact(rawURL)}
	if strings.HasPrefix(s.URL(), "mem:") {
		_ = s.Close()
		return nil, usageErrorf("%s is a memory store, which lives inside the process that opened it: "+
			"persist, a process of its own, would see an empty one; name a directory, a file:// URL or "+
			"the http:// URL of a persist server", c.name)
	}
	if d, ok := c.files(); ok {
		c.name = displayDir(d.Dir())
		// (The store itself refuses a file in the directory's place.)
		if _, err := os.Stat(d.Dir()); err != nil {
			_ = s.Close()
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &noCacheError{dir: c.name}
			}
			return nil, err
		}
	}
	return c, nil
}

// displayDir writes a relative directory as ./dir, as people type it.
func displayDir(dir string) string {
	dir = filepath.Clean(dir)
	if filepath.IsAbs(dir) || dir == "." || dir == ".." ||
		strings.HasPrefix(dir, "."+string(filepath.Separator)) || strings.HasPrefix(dir, ".."+string(filepath.Separator)) {
		return dir
	}
	return "." + string(filepath.Separator) + dir
}

// openFuncs opens the cache of args[0] (the default when absent) and names
// the functions to work on: args[1], or every function it holds. The
// caller closes the cache.
func openFuncs(ctx context.Context, args []string) (*cache, []string, error) {
	c, err := openCache(ctx, argN(args, 0))
	if err != nil {
		return nil, nil, err
	}
	names, err := c.funcNames(ctx, argN(args, 1))
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, names, nil
}

// funcNames returns the function named on the command line, or when none
// is, every function of the cache, sorted.
func (c *cache) funcNames(ctx context.Context, named string) ([]string, error) {
	if named != "" {
		return []string{named}, nil
	}
	if !c.CanListFuncs() {
		return nil, usageErrorf("the store at %s cannot list its functions: name one after the URL", c.name)
	}
	var names []string
	for name, err := range c.Funcs(ctx) {
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		if err := c.funcDirError(ctx); err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	return names, nil
}

// funcDirError reports a directory cache that is a function's own
// directory, the entries of one function (persist ls persist/triple for
// persist ls persist triple): it holds no functions, but its parent has
// one by its name.
func (c *cache) funcDirError(ctx context.Context) error {
	d, ok := c.files()
	if !ok {
		return nil
	}
	dir := filepath.Clean(d.Dir())
	if base := filepath.Base(dir); base == "." || base == ".." {
		// persist ls . in the function's directory
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	parent, funcname := filepath.Split(dir)
	if stores.ValidName("funcname", funcname) != nil {
		return nil
	}
	if parent == "" {
		parent = "."
	}
	ps, err := filestore.Open(parent, filestore.Options{})
	if err != nil {
		return nil
	}
	defer ps.Close()
	for _, err := range ps.ListAll(ctx, funcname) {
		if err != nil {
			return nil
		}
		return usageErrorf("%s holds the entries of function %s, not functions: name the cache and the function apart, as in %s %s",
			c.name, funcname, displayDir(parent), funcname)
	}
	return nil
}

// otherFuncs returns the functions of the cache when it can list them, or
// nil (and false) when it cannot: for a function without entries, an empty
// function is not a missing one. Stores that cannot list their functions
// know only those with entries.
func (c *cache) otherFuncs(ctx context.Context) ([]string, bool, error) {
	if !c.CanListFuncs() {
		return nil, false, nil
	}
	names, err := c.funcNames(ctx, "")
	return names, true, err
}

// argN returns args[i], or "" when there are not that many.
func argN(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// entrySize is the bytes an entry takes: result, key and metadata.
func entrySize(rec stores.Record) int64 {
	return int64(len(rec.Result) + len(rec.Key) + len(rec.Meta))
}
