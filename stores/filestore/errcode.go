//go:build unix

package filestore

import (
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// errNotFound is the driver's report that no record, or no owner record,
// is stored under a name. One value, so that a miss (the most common
// answer of Read) allocates nothing; the portable store's error names the
// record. It also matches fs.ErrNotExist.
var errNotFound = fmt.Errorf("no such record: %w", fs.ErrNotExist)

// errTooLong reports a file longer than its reader allows: an owner
// record over stores.MaxOwnerLen, or any file over maxFileSize, twice the
// largest result persist writes (a larger one was not written by it).
var errTooLong = errors.New("file too long")

// maxFileSize is the largest file of the layout that is read.
const maxFileSize = 2 << 30

// errClaimRace reports an owner claim that a Clear kept undoing.
var errClaimRace = errors.New("the function directory was removed again and again while its owner was claimed")

// errUnmappable reports a result that cannot be mapped (an empty one, or
// one too large for the address space); the caller reads it instead.
var errUnmappable = errors.New("empty or too large to map")

// unavailable are the system errors of a medium that is full, read-only or
// gone: trying again later, or elsewhere, may succeed. They stay in the
// chain, so errors.Is(err, syscall.ENOSPC) holds too.
var unavailable = []error{
	unix.ENOSPC, unix.EDQUOT, unix.EROFS, unix.EIO, unix.ENXIO, unix.ENODEV,
	unix.ESTALE, unix.ENOTCONN, unix.EHOSTDOWN, unix.EHOSTUNREACH, unix.ETIMEDOUT,
}

// ErrorCode implements [driver.Store]. Foreign files keep no code of their
// own: errors.Is(err, ErrForeign) finds them through the portable store's
// error, which unwraps to the driver's.
func (s *Driver) ErrorCode(err error) driver.Code {
	switch {
	case errors.Is(err, errNotFound):
		return driver.NotFound
	case errors.Is(err, errUnmappable):
		return driver.Unsupported
	case errors.Is(err, errTooLong):
		return driver.TooLarge
	case errors.Is(err, ErrNoRoot), errors.Is(err, errClaimRace):
		return driver.Unavailable
	}
	for _, e := range unavailable {
		if errors.Is(err, e) {
			return driver.Unavailable
		}
	}
	return driver.Unknown
}
