//go:build unix

package filestore

import (
	"fmt"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

func TestErrorCode(t *testing.T) {
	d := &Driver{}
	for _, tt := range []struct {
		err  error
		want driver.Code
	}{
		{errNotFound, driver.NotFound},
		{fmt.Errorf("context: %w", errNotFound), driver.NotFound},
		{&fs.PathError{Op: "write", Path: "p", Err: unix.ENOSPC}, driver.Unavailable},
		{&fs.PathError{Op: "write", Path: "p", Err: unix.EDQUOT}, driver.Unavailable},
		{&fs.PathError{Op: "open", Path: "p", Err: unix.EROFS}, driver.Unavailable},
		{&fs.PathError{Op: "read", Path: "p", Err: unix.EIO}, driver.Unavailable},
		{fmt.Errorf("%w /x: %w", ErrNoRoot, unix.ENOENT), driver.Unavailable},
		{errClaimRace, driver.Unavailable},
		{&fs.PathError{Op: "mmap", Path: "p", Err: errUnmappable}, driver.Unsupported},
		// A foreign file has no code: callers match ErrForeign.
		{&ForeignError{Path: "p", Type: fs.ModeSymlink}, driver.Unknown},
		// A file that is missing on the way is not a missing record.
		{&fs.PathError{Op: "open", Path: "p", Err: unix.ENOENT}, driver.Unknown},
		{&fs.PathError{Op: "open", Path: "p", Err: unix.EACCES}, driver.Unknown},
	} {
		if got := d.ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
