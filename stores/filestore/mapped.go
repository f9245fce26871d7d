//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"sync"

	"golang.org/x/sys/unix"
)

// MapResult implements [driver.Mapper]: it maps the .out file of a record
// into memory, for persist's zero-copy reads of large results
// (persist.MapResult). The mapping is private and copy-on-write: writing
// to it changes neither the file nor another mapping of it.
//
// The mapping stays valid until unmap is called, whatever happens to the
// record meanwhile: the store replaces a record by renaming a new file
// over the old one and deletes it by unlinking it, never by writing into
// it, so the mapped inode keeps its bytes until it is unmapped. A program
// other than persist that truncates the file in place would make reading
// the lost pages fault (SIGBUS); nothing in this store does. Close does
// not unmap: each mapping belongs to its caller until unmap.
//
// The .out is opened as Read opens it (no link followed, a FIFO or other
// foreign file refused with ErrForeign). An empty result, which cannot be
// mapped, is an error of code Unsupported: the caller reads it instead.
func (s *Driver) MapResult(_ context.Context, funcname, hash string) (data []byte, unmap func() error, err error) {
	fd, st, err := s.openRegular(funcname, hash, extOut)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, errNotFound
		}
		return nil, nil, s.pathErr("open", funcname, hash+extOut, err)
	}
	defer unix.Close(fd) // the mapping keeps the inode
	path := s.join(funcname, hash+extOut)
	if st.Size == 0 || int64(int(st.Size)) != st.Size {
		return nil, nil, &fs.PathError{Op: "mmap", Path: path, Err: errUnmappable}
	}
	data, err = unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "mmap", Path: path, Err: err}
	}
	var once sync.Once
	return data, func() error {
		err := error(nil)
		once.Do(func() { err = unix.Munmap(data) })
		return err
	}, nil
}
