//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

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
