//go:build unix

package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gopersist/persist/stores"
)

// readBatch is how many directory entries are read at a time, so that a
// pass over a directory of a million entries (Clear, Funcs, Foreign) holds
// a batch of them, not all; List keeps the names of the records alone.
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
	return scanEntries(ctx, d.file(), fs.FileMode.IsRegular, fn)
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
