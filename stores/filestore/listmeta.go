//go:build unix

package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores"
)

// List implements [stores.Lister] from the function directory's entries and
// fstatat(2) of each listed record's files, never opening a record: the
// names are read in batches, the n+1 smallest hashes kept, and only those
// stat'ed. Symbolic links are not followed, neither the function directory
// nor its files: a record whose .out is not a regular file is not listed,
// and a .key or .meta that is not one counts no bytes.
func (s *Store) List(ctx context.Context, funcname, pageToken string, n int) ([]stores.Meta, string, error) {
	if err := s.check(ctx, "list", funcname); err != nil {
		return nil, "", err
	}
	page, next, err := s.listMeta(ctx, funcname, pageToken, n)
	return page, next, s.opErr("list", err)
}

func (s *Store) listMeta(ctx context.Context, funcname, pageToken string, n int) ([]stores.Meta, string, error) {
	fd, err := s.openFuncDir(funcname)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrForeign) {
			return nil, "", nil // no directory, or not one of ours: no records
		}
		return nil, "", err
	}
	defer fd.Close()
	d := fd.f
	p := stores.NewPager(pageToken, n)
	for {
		ents, err := d.ReadDir(readBatch)
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			if hash, k := classify(e.Name()); k == kindOut {
				p.Offer(stores.Meta{Hash: hash})
			}
		}
		if err == io.EOF || errors.Is(err, fs.ErrNotExist) {
			break // the end, or the directory was removed (by Clear) meanwhile
		}
		if err != nil {
			return nil, "", err
		}
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
	}
	hashes, next := p.Page()
	page := hashes[:0]
	for _, m := range hashes {
		out, ok, err := statAt(d, m.Hash+extOut)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			continue // removed, or replaced by something else, since the read
		}
		m.Size, m.Created = out.Size, time.Unix(out.Mtim.Unix())
		for _, ext := range []string{extKey, extMeta} {
			st, ok, err := statAt(d, m.Hash+ext)
			if err != nil {
				return nil, "", err
			}
			if ok {
				m.Size += st.Size
			}
		}
		page = append(page, m)
	}
	return page, next, nil
}

// statAt lstats name in the open directory d; ok is false when it is
// missing or not a regular file.
func statAt(d *os.File, name string) (st unix.Stat_t, ok bool, err error) {
	rc, err := d.SyscallConn()
	if err != nil {
		return st, false, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = ignoringEINTR(func() error { return unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	}); err != nil {
		return st, false, err
	}
	switch {
	case serr == unix.ENOENT:
		return st, false, nil
	case serr != nil:
		return st, false, &fs.PathError{Op: "fstatat", Path: filepath.Join(d.Name(), name), Err: serr}
	}
	return st, st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
