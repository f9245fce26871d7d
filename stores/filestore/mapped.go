//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// MapResult maps the .out file of a record into memory, for persist's
// zero-copy reads of large results (persist.MapResult). The mapping is
// private and copy-on-write: writing to it changes neither the file nor
// another mapping of it.
//
// The mapping stays valid until unmap is called, whatever happens to the
// record meanwhile: the store replaces a record by renaming a new file
// over the old one and deletes it by unlinking it, never by writing into
// it, so the mapped inode keeps its bytes until it is unmapped. A program
// other than persist that truncates the file in place would make reading
// the lost pages fault (SIGBUS); nothing in this store does. Close does
// not unmap: each mapping belongs to its caller until unmap.
func (s *Store) MapResult(ctx context.Context, funcname, hash string) (data []byte, unmap func() error, err error) {
	if err := s.check(ctx, "map", funcname, hash); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(s.dir, funcname, hash+extOut))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = notFound(funcname, hash)
		}
		return nil, nil, s.opErr("map", err)
	}
	defer f.Close() // the mapping keeps the inode
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, s.opErr("map", err)
	}
	if fi.Size() == 0 || int64(int(fi.Size())) != fi.Size() {
		return nil, nil, s.opErr("map", &fs.PathError{Op: "mmap", Path: f.Name(), Err: errors.New("empty or too large to map")})
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, s.opErr("map", &fs.PathError{Op: "mmap", Path: f.Name(), Err: err})
	}
	var once sync.Once
	return data, func() error {
		err := error(nil)
		once.Do(func() { err = unix.Munmap(data) })
		return err
	}, nil
}
