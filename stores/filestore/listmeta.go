//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// List implements [driver.Store] from the function directory's entries
// and fstatat(2) of the listed records' files, never opening a record's
// file: the sorted names come from the directory (see listcache.go, which
// keeps them while the directory is unchanged, so that a page costs its
// own size), and only the records of the page are stat'ed. Symbolic links
// are not followed, neither the function directory (one that is a link is
// an error wrapping ErrForeign) nor its files: a record whose .out is not
// a regular file is not listed, and a .key or
// .meta that is not one counts no bytes. Size is the bytes of the .out,
// .key and .meta; Created is the .out's modification time, as Read reports
// it.
func (s *Driver) List(ctx context.Context, funcname, after string, n int) ([]driver.Meta, error) {
	d, err := s.openFuncDir(funcname)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // no directory: no records
		}
		return nil, err
	}
	defer d.Close()
	names, err := s.names.get(ctx, funcname, d)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(names), func(i int) bool { return names[i].hash > after })
	page := make([]driver.Meta, 0, min(n, len(names)-i))
	for ; i < len(names) && len(page) < n; i++ {
		e := names[i]
		out, ok, err := statAt(d, e.out)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // removed, or replaced by something else, since the read
		}
		m := driver.Meta{Hash: e.hash, Size: out.Size, Created: created(&out), Used: used(&out)}
		// Companions the reading did not see are not looked for: one made
		// since then changed the directory, so the next reading sees it.
		for _, name := range [2]string{e.key, e.meta} {
			if name == "" {
				continue
			}
			st, ok, err := statAt(d, name)
			if err != nil {
				return nil, err
			}
			if ok {
				m.Size += st.Size
			}
		}
		page = append(page, m)
	}
	return page, nil
}

// Len implements [driver.Counter]: the regular <hash>.out files of the
// function directory, counted from the same names as List.
func (s *Driver) Len(ctx context.Context, funcname string) (int, error) {
	d, err := s.openFuncDir(funcname)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	defer d.Close()
	names, err := s.names.get(ctx, funcname, d)
	return len(names), err
}

// statAt lstats name in d; ok is false when it is missing or not a regular
// file.
func statAt(d *funcDir, name string) (st unix.Stat_t, ok bool, err error) {
	serr := ignoringEINTR(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	switch {
	case serr == unix.ENOENT:
		return st, false, nil
	case serr != nil:
		return st, false, &fs.PathError{Op: "fstatat", Path: d.join(name), Err: serr}
	}
	return st, st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
