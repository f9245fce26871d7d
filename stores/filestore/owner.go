//go:build unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gopersist/persist/stores"
)

// ownerFile is the name of a function's owner record in its directory. No
// hash gives it (it ends in none of the layout's suffixes), so listings and
// pypersist, which look at <hash>.out files only, pass it by.
const ownerFile = ".owner"

// errNotRegular reports a file in the owner record's place that is not a
// regular file (a symbolic link, a FIFO, a directory): it is neither read
// nor replaced.
var errNotRegular = errors.New("not a regular file")

// Owner implements [stores.Store]: it reads <dir>/<funcname>/.owner.
func (s *Store) Owner(ctx context.Context, funcname string) ([]byte, error) {
	if err := s.check(ctx, "owner", funcname); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, funcname)
	if err := checkFuncDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, s.opErr("owner", fmt.Errorf("%s: %w", funcname, stores.ErrNotFound))
		}
		return nil, s.opErr("owner", err)
	}
	b, err := readOwner(filepath.Join(dir, ownerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, s.opErr("owner", fmt.Errorf("%s: %w", funcname, stores.ErrNotFound))
	}
	return b, s.opErr("owner", err)
}

// ClaimOwner implements [stores.Store]. The record is written to a
// temporary file and hard-linked into place, which fails if a record is
// there already: of concurrent claims, in this process or others, exactly
// one wins, and a reader never sees a partial record.
func (s *Store) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	if err := s.check(ctx, "claim owner", funcname); err != nil {
		return nil, err
	}
	if len(owner) > stores.MaxOwnerLen {
		return nil, s.opErr("claim owner", fmt.Errorf("owner record of %d bytes, more than %d", len(owner), stores.MaxOwnerLen))
	}
	dir := filepath.Join(s.dir, funcname)
	final := filepath.Join(dir, ownerFile)
	// A Clear may remove the directory between any two steps: start again
	// then, a few times.
	for range 4 {
		if b, err := readOwner(final); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return b, s.opErr("claim owner", err)
		}
		if err := s.mkdirs(dir); err != nil {
			return nil, s.opErr("claim owner", err)
		}
		if err := checkFuncDir(dir); err != nil {
			return nil, s.opErr("claim owner", err)
		}
		tmp, err := s.writeTemp(final, owner)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, s.opErr("claim owner", err)
		}
		err = os.Link(tmp, final)
		_ = os.Remove(tmp)
		switch {
		case err == nil:
			if s.opts.Sync {
				if err := fsyncPath(dir); err != nil {
					return nil, s.opErr("claim owner", err)
				}
			}
			return append([]byte(nil), owner...), nil
		case errors.Is(err, fs.ErrExist):
			b, err := readOwner(final)
			return b, s.opErr("claim owner", err)
		case errors.Is(err, fs.ErrNotExist):
			continue
		default:
			return nil, s.opErr("claim owner", err)
		}
	}
	return nil, s.opErr("claim owner", fmt.Errorf("%s was removed again and again while its owner was claimed: %w", dir, stores.ErrUnavailable))
}

// removeOwner removes the owner record of the function directory dir, for
// Clear. Only a regular file is removed: anything else in its place is not
// the store's, and stays (as does the directory then).
func removeOwner(dir string) error {
	path := filepath.Join(dir, ownerFile)
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return nil
	}
	return removeIfExists(path)
}

// checkFuncDir refuses a function directory that is not a directory of its
// own, such as a symbolic link to elsewhere.
func checkFuncDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "open", Path: dir, Err: errNotDir}
	}
	return nil
}

// readOwner reads an owner record without following a symbolic link or
// blocking on a FIFO, and only from a regular file.
func readOwner(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	b, err := io.ReadAll(io.LimitReader(f, stores.MaxOwnerLen+1))
	if err != nil {
		return nil, err
	}
	if len(b) > stores.MaxOwnerLen {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("more than %d bytes", stores.MaxOwnerLen)}
	}
	return b, nil
}
