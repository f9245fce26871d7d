//go:build linux

package filestore

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openBeneath opens path, NUL-terminated, as open(2) does with flag, but
// fails with ELOOP if any element of it is a symbolic link, in one
// openat2(2). tried is false when the kernel has no openat2 (before Linux
// 5.6, or a sandbox that forbids it). It makes the system call itself
// because unix.Openat2 copies its path string to the heap, an allocation
// on every hit.
func openBeneath(path []byte, flag int, perm uint32) (fd int, tried bool, err error) {
	if !openat2Works() {
		return -1, false, nil
	}
	how := unix.OpenHow{Flags: uint64(flag), Mode: uint64(perm), Resolve: unix.RESOLVE_NO_SYMLINKS}
	cwd := unix.AT_FDCWD
	for {
		r, _, errno := unix.Syscall6(unix.SYS_OPENAT2, uintptr(cwd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch errno {
		case 0:
			return int(r), true, nil
		case unix.EINTR:
			continue
		case unix.ENOENT:
			return -1, true, unix.ENOENT // a constant: no allocation
		}
		return -1, true, errno
	}
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

// renameNew renames old to new, both in the directory dirfd, if new does
// not exist. done is false when new exists, or when the file system
// cannot rename without replacing (RENAME_NOREPLACE unsupported): nothing
// was renamed then.
func renameNew(dirfd int, old, new string) (done bool, err error) {
	err = ignoringEINTR(func() error { return unix.Renameat2(dirfd, old, dirfd, new, unix.RENAME_NOREPLACE) })
	switch err {
	case nil:
		return true, nil
	case unix.EEXIST, unix.EINVAL, unix.ENOSYS:
		return false, nil
	}
	return false, err
}
