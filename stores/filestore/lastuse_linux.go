//go:build linux

package filestore

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// setAtime sets the access time of the file open as fd to t, leaving its
// modification time, through its /proc/self/fd link, which names that
// file whatever happened to its path since it was opened: nothing outside
// the cache is touched.
func setAtime(fd int, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), {Nsec: unix.UTIME_OMIT}}
	return unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), ts, 0)
}
