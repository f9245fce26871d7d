//go:build linux

package filestore

import (
	"sync"

	"golang.org/x/sys/unix"
)

// openBeneath opens path as open(2) does with flag, but fails with ELOOP
// if any element of it is a symbolic link, in one openat2(2). tried is
// false when the kernel has no openat2 (before Linux 5.6, or a sandbox
// that forbids it).
func openBeneath(path string, flag int, perm uint32) (fd int, tried bool, err error) {
	if !openat2Works() {
		return -1, false, nil
	}
	how := unix.OpenHow{Flags: uint64(flag), Mode: uint64(perm), Resolve: unix.RESOLVE_NO_SYMLINKS}
	err = ignoringEINTR(func() (err error) {
		fd, err = unix.Openat2(unix.AT_FDCWD, path, &how)
		return err
	})
	return fd, true, err
}

// openat2Works reports whether openat2(2) can be used, tried once.
var openat2Works = sync.OnceValue(func() bool {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &how)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})
