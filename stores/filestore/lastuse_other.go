//go:build unix && !linux

package filestore

import (
	"time"

	"golang.org/x/sys/unix"
)

// setAtime would set the access time of the file open as fd; without
// Linux's /proc/self/fd there is no standard call that sets the access
// time alone by descriptor, so last use is the creation time there.
func setAtime(int, time.Time) error { return unix.ENOTSUP }
