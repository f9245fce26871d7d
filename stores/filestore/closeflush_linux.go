//go:build linux

package filestore

import "golang.org/x/sys/unix"

// closeNeverFails reports whether the file open as fd is on a file system
// whose files have no flush operation, so that close(2) returns no error
// of a write: tmpfs, ext2/3/4 and XFS. Anything else, or a failed fstatfs,
// is assumed to report.
func closeNeverFails(fd int) bool {
	var fs unix.Statfs_t
	if err := ignoringEINTR(func() error { return unix.Fstatfs(fd, &fs) }); err != nil {
		return false
	}
	switch uint32(fs.Type) {
	case unix.TMPFS_MAGIC, unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC:
		return true
	}
	return false
}
