//go:build linux && (amd64 || arm64)

package filestore

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls on a name in a function directory that a miss makes
// under the directory lock (the probes of the record's companions, the
// check of its lock file, the rename of the lock to the .out), with the
// name built on the stack: x/sys copies every path string to the heap,
// and a miss would pay that allocation for each of them.

// nameBufLen is the stack room for a name of the layout: a hash of at
// most stores.MaxNameLen bytes and a suffix. A longer name (there is
// none) grows onto the heap.
const nameBufLen = 256

// cname appends to b the NUL-terminated name base+ext.
func cname(b []byte, base, ext string) []byte {
	b = append(b, base...)
	b = append(b, ext...)
	return append(b, 0)
}

// fstatatName is fstatat(2) of base+ext in the directory dirfd, not
// following a link; its error is a bare errno.
func fstatatName(dirfd int, base, ext string, st *unix.Stat_t) error {
	var buf [nameBufLen]byte
	name := cname(buf[:0], base, ext)
	for {
		_, _, errno := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
			uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.ENOENT:
			return unix.ENOENT // a constant: no allocation
		}
		return errno
	}
}

// renameNewName renames oldBase+oldExt to newBase+newExt, both in the
// directory dirfd, with RENAME_NOREPLACE, as renameNew does.
func renameNewName(dirfd int, oldBase, oldExt, newBase, newExt string) (done bool, err error) {
	var ob, nb [nameBufLen]byte
	oldName := cname(ob[:0], oldBase, oldExt)
	newName := cname(nb[:0], newBase, newExt)
	for {
		_, _, errno := unix.Syscall6(unix.SYS_RENAMEAT2, uintptr(dirfd), uintptr(unsafe.Pointer(&oldName[0])),
			uintptr(dirfd), uintptr(unsafe.Pointer(&newName[0])), unix.RENAME_NOREPLACE, 0)
		switch errno {
		case 0:
			return true, nil
		case unix.EINTR:
			continue
		case unix.EEXIST, unix.EINVAL, unix.ENOSYS:
			return false, nil
		}
		return false, errno
	}
}
