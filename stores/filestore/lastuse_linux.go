//go:build linux

package filestore

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setAtime sets the access time of the file open as fd to t, leaving its
// modification time: utimensat(2) with no path changes the file the
// descriptor names, as futimens(3) does, so no name is looked up and
// nothing outside the cache can be touched.
func setAtime(fd int, t time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(t.UnixNano()), {Nsec: unix.UTIME_OMIT}}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
