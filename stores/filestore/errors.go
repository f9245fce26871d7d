package filestore

import (
	"errors"
	"io/fs"
)

// ErrInvalidURL reports a file:// URL or directory that the store cannot use.
// It is declared on every system, so that callers can test for it even where
// the store itself is not built (it needs Unix: see the package doc).
var ErrInvalidURL = errors.New("invalid file store URL")

// ErrForeign reports a file in the store's directory that the store did
// not write and does not follow: a symbolic link, a FIFO, a device or a
// socket where the layout has a file of results, or anything but a real
// directory where it has a function's directory. Such a file is never
// read, written through or removed; errors.As finds the [*ForeignError]
// that names it.
var ErrForeign = errors.New("foreign file in the cache directory")

// ErrNoRoot reports a cache directory that cannot be created, such as one
// under /proc or under a working directory that was removed.
var ErrNoRoot = errors.New("cannot create the cache directory")

// ForeignError names a foreign file (see [ErrForeign]) and its type.
type ForeignError struct {
	Path string      // the file, under the store's directory
	Type fs.FileMode // its type bits: fs.ModeSymlink, fs.ModeNamedPipe, ...
}

// Error says what the file is and what the store does with it.
func (e *ForeignError) Error() string {
	return e.Path + " is a " + e.Kind() + ", not a file of the cache: it is neither read nor removed (remove it by hand if it is not wanted)"
}

// Kind says in words what type of file it is: "symbolic link", "FIFO",
// "socket", "character device", "device", "directory", "regular file" or
// "special file".
func (e *ForeignError) Kind() string { return typeName(e.Type) }

// Is makes errors.Is(err, ErrForeign) hold.
func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

// typeName says in words what type of file the type bits t describe.
func typeName(t fs.FileMode) string {
	switch t := t & fs.ModeType; {
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "FIFO"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	case t&fs.ModeDir != 0:
		return "directory"
	case t == 0:
		return "regular file"
	}
	return "special file"
}
