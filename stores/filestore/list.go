//go:build unix

package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores"
)

// readBatch is how many directory entries are read at a time: listing a
// function with a million records takes constant memory.
const readBatch = 256

// fileKind classifies a file name in a function directory.
type fileKind int

const (
	kindOther fileKind = iota // not ours: never counted, never removed
	kindOut                   // <hash>.out, the record itself
	kindKey                   // <hash>.key
	kindMeta                  // <hash>.meta
	kindLock                  // <hash>.lock
	kindTemp                  // <hash>.{out,key,meta}.tmp-X or <hash>.lock.stale-X
)

// classify tells what a file called name is to the store, and for whose
// hash. Anything it does not recognise exactly is kindOther.
func classify(name string) (hash string, kind fileKind) {
	for _, tag := range []string{tmpTag, staleTag} {
		if i := strings.LastIndex(name, tag); i >= 0 && isRandomTag(name[i+len(tag):]) {
			hash, k := classify(name[:i])
			switch {
			case tag == tmpTag && (k == kindOut || k == kindKey || k == kindMeta),
				tag == staleTag && k == kindLock:
				return hash, kindTemp
			case tag == tmpTag && name[:i] == ownerFile:
				return "", kindTemp // an owner record's, left by a crashed claim
			}
			return "", kindOther
		}
	}
	for _, c := range []struct {
		ext  string
		kind fileKind
	}{{extOut, kindOut}, {extKey, kindKey}, {extMeta, kindMeta}, {extLock, kindLock}} {
		if h, ok := strings.CutSuffix(name, c.ext); ok && stores.ValidName("hash", h) == nil {
			return h, c.kind
		}
	}
	return "", kindOther
}

// isRandomTag reports whether s is what randomTag returns.
func isRandomTag(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// scan calls fn for every regular file in the directory of funcname,
// reading it in batches. A missing directory has no files; a link or
// anything else in its place is foreign.
func (s *Driver) scan(ctx context.Context, funcname string, fn func(name string) (more bool, err error)) error {
	d, err := s.openFuncDir(funcname)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return scanEntries(ctx, d.f, fs.FileMode.IsRegular, fn)
}

// scanEntries calls fn for the names in the open directory f whose type
// keep accepts, reading the directory in batches, so that a directory of
// a million entries is listed in constant memory.
func scanEntries(ctx context.Context, f *os.File, keep func(fs.FileMode) bool, fn func(name string) (more bool, err error)) error {
	for {
		ents, err := f.ReadDir(readBatch)
		for _, e := range ents {
			if !keep(e.Type()) {
				continue
			}
			more, err := fn(e.Name())
			if err != nil || !more {
				return err
			}
		}
		if err == io.EOF || errors.Is(err, fs.ErrNotExist) {
			return nil // the end, or the directory was removed (by Clear) meanwhile
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Clear implements [driver.Store]. In the function's directory it removes
// the records' files (.out, .key, .meta), the owner record, stale .lock
// files and the store's temporary files, if they are regular files, and
// nothing else; then the directory itself if that left it empty.
func (s *Driver) Clear(ctx context.Context, funcname string) error {
	err := s.withFuncDir(ctx, funcname, false, func(d *funcDir) error {
		// A second pass catches anything a directory read may skip while
		// files are removed under it; it removes nothing in the usual case.
		for {
			removed, err := s.clearPass(ctx, d)
			if err != nil {
				return err
			}
			if removed == 0 {
				break
			}
		}
		if err := removeOwner(d); err != nil {
			return err
		}
		if err := s.syncDir(d); err != nil {
			return err
		}
		// rmdir(2) removes no link, and only an empty directory.
		err := ignoringEINTR(func() error { return unix.Rmdir(d.path) })
		if err == unix.ENOTEMPTY || err == unix.EEXIST || err == unix.ENOTDIR {
			return nil // files that are not ours stay, and so does the directory
		}
		if err != nil {
			return &fs.PathError{Op: "remove", Path: d.path, Err: err}
		}
		if s.opts.Sync {
			return fsyncPath(s.dir)
		}
		return nil
	})
	if errors.Is(err, errNoFuncDir) {
		err = nil
	}
	return err
}

// clearPass removes the store's files from d once, and counts them. A
// foreign file where one of ours would be is left.
func (s *Driver) clearPass(ctx context.Context, d *funcDir) (int, error) {
	f, err := d.entries()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	removed := 0
	err = scanEntries(ctx, f, fs.FileMode.IsRegular, func(name string) (bool, error) {
		hash, k := classify(name)
		switch k {
		case kindOut, kindTemp:
		case kindKey, kindMeta:
			// The record's .out goes before its companions, as in Delete,
			// whatever order the directory lists them in.
			if err := d.removeRegular(hash + extOut); err != nil && !errors.Is(err, ErrForeign) {
				return false, err
			}
		case kindLock:
			st, err := d.lstat(name)
			if errors.Is(err, fs.ErrNotExist) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				return true, nil
			}
			if reason := s.staleReason(filepath.Base(d.path), name, &st, 0); reason != "" {
				broke, err := s.breakLock(d, name, &st, reason)
				if broke {
					removed++
				}
				return err == nil, err
			}
			return true, nil
		default:
			return true, nil
		}
		st, err := d.lstat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return true, nil
		case err != nil:
			return false, err
		case st.Mode&unix.S_IFMT != unix.S_IFREG:
			return true, nil // swapped for something else since the listing
		}
		if err := d.unlink(name); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return true, nil
			}
			return false, err
		}
		removed++
		return true, nil
	})
	return removed, err
}

// Funcs implements [driver.FuncLister]: the subdirectories of the store's
// directory that hold at least one <hash>.out, in ascending order.
func (s *Driver) Funcs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		names, err := s.funcNames(ctx)
		if err != nil {
			yield("", err)
			return
		}
		for _, name := range names {
			has, err := s.hasEntry(ctx, name)
			if errors.Is(err, ErrForeign) {
				continue // swapped for a link since the listing
			}
			if err != nil {
				yield("", err)
				return
			}
			if has && !yield(name, nil) {
				return
			}
		}
	}
}

// funcNames returns the names of the subdirectories of the store's
// directory that could be function directories, sorted: the directory is
// read in batches, but the names are kept, since Funcs streams them in
// order. Links in the store's directory are not followed (Foreign lists
// them).
func (s *Driver) funcNames(ctx context.Context) ([]string, error) {
	f, err := os.Open(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	err = scanEntries(ctx, f, fs.FileMode.IsDir, func(name string) (bool, error) {
		if stores.ValidName("funcname", name) == nil {
			names = append(names, name)
		}
		return true, nil
	})
	slices.Sort(names)
	return names, err
}

// hasEntry reports whether the directory of funcname holds at least one
// <hash>.out.
func (s *Driver) hasEntry(ctx context.Context, funcname string) (bool, error) {
	found := false
	err := s.scan(ctx, funcname, func(name string) (bool, error) {
		_, k := classify(name)
		found = k == kindOut
		return !found, nil
	})
	return found, err
}
