//go:build linux

package filestore

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// setTimes sets the times of the file open as fd, through its
// /proc/self/fd link, which names that file whatever happened to its path
// since it was opened: nothing outside the cache is touched.
func setTimes(fd int, ts []unix.Timespec) error {
	return unix.UtimesNanoAt(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), ts, 0)
}
