//go:build unix && !linux

package filestore

import "golang.org/x/sys/unix"

// setTimes would set the times of the file open as fd; without Linux's
// /proc/self/fd there is no way to set the access time alone by descriptor
// in the standard calls, so last use is the creation time there.
func setTimes(int, []unix.Timespec) error { return unix.ENOTSUP }
