//go:build unix

package filestore

import "sync/atomic"

// Why a lock file's result is not always flushed by a close.
//
// A result written into a lock file is renamed into place while the file
// stays open (see heldlock.go), so errors that a file system defers to
// close(2), as NFS does, are asked for by closing a duplicate of the
// descriptor before the rename. On file systems whose files have no flush
// operation (tmpfs, ext4, XFS on Linux) close(2) cannot fail that way, and
// the duplicate and its close are two system calls of a miss for nothing:
// they are skipped there. The answer is kept per device, the lock file's,
// so a function directory on another mount is asked about on its own.

// closeCache remembers the answer of closeReports for the device last
// asked about.
type closeCache struct {
	last atomic.Pointer[closeAnswer]
}

type closeAnswer struct {
	dev     uint64
	reports bool
}

// closeReports reports whether closing fd, a file on device dev, can
// report a write that failed.
func (s *Driver) closeReports(fd int, dev uint64) bool {
	if a := s.closes.last.Load(); a != nil && a.dev == dev {
		return a.reports
	}
	a := &closeAnswer{dev: dev, reports: !closeNeverFails(fd)}
	s.closes.last.Store(a)
	return a.reports
}
