//go:build unix

package filestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Containment: every file the store reads, writes, renames or removes is
// in <dir>/<funcname>, and is reached without following a symbolic link
// below <dir>. The cache directory itself may be a link, or lie under
// one: the user chose that path. A function directory, or a file in one,
// that is a link is foreign (ErrForeign): a link planted there must not
// lead the store elsewhere.
//
// Every open uses O_NOFOLLOW, so a link as the last element fails, and
// the files the store reads are opened with O_NONBLOCK as well, so that a
// FIFO planted as a .out opens at once instead of waiting for a writer;
// an fstat then refuses anything but a regular file. (O_NONBLOCK means
// nothing for regular files, so it is left set: their descriptors never
// go to os.NewFile, which would give them to the network poller.)
// O_NOFOLLOW does not cover the function directory on the way: on Linux,
// openat2(2) with RESOLVE_NO_SYMLINKS refuses a link anywhere in the path
// in the same one system call; elsewhere, or when the cache directory's
// own path has a link, the function directory is opened first with
// O_DIRECTORY|O_NOFOLLOW and the file opened relative to it. Writers work
// under the function's directory lock through that directory's descriptor
// (openat, renameat, unlinkat), so a directory swapped for a link while
// they work cannot redirect them either.

// readFlags open a file of the layout to read it.
const readFlags = unix.O_RDONLY | unix.O_NONBLOCK

// openIn opens base+ext in the directory of funcname with flag (O_NOFOLLOW
// and O_CLOEXEC are added), following no link below the store's
// directory; base and ext empty open the directory itself. A link or a
// non-directory in the way gives a *ForeignError; other errors may be bare
// system errors (see pathErr). The name comes in two pieces, and the path
// is built on the stack, because a hit opens a .out through here: its
// joined path string would be two allocations of the few a hit may make.
func (s *Driver) openIn(funcname, base, ext string, flag int, perm uint32) (int, error) {
	fellBack := false
	if !s.rootLinked.Load() {
		var buf [pathBufLen]byte
		fd, tried, err := openBeneath(s.cpath(buf[:0], funcname, base, ext), flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		switch {
		case !tried:
		case err == nil:
			return fd, nil
		case err == unix.ENXIO:
			// A socket (or a device without its driver) at the path:
			// openat below tells which.
		case err != unix.ELOOP && err != unix.ENOTDIR:
			return -1, err // bare: a missing file must cost no allocation
		default:
			fellBack = true
		}
	}
	// A link somewhere in the path, or no openat2: find out where, one
	// directory at a time.
	d, err := s.openFuncDirFD(funcname)
	if err != nil {
		return -1, err
	}
	fd := d
	if name := base + ext; name != "" {
		fd, err = openat(d, s.join(funcname, ""), name, flag, perm)
		unix.Close(d)
	}
	if err == nil && fellBack {
		// The link is in the cache directory's own path, the user's
		// choice: later opens go straight to this way.
		s.rootLinked.Store(true)
	}
	return fd, err
}

// pathBufLen is the stack room for a path that openIn builds: a longer
// path (a deep cache directory) grows onto the heap.
const pathBufLen = 320

// cpath appends to b the NUL-terminated path of base+ext in the directory
// of funcname (the directory itself when both are empty). It is the path
// that s.join names, but not cleaned: the cache directory was cleaned
// once, and funcname and base+ext are single path elements (the portable
// store checks them).
func (s *Driver) cpath(b []byte, funcname, base, ext string) []byte {
	b = append(b, s.root...)
	b = append(b, '/')
	b = append(b, funcname...)
	if base != "" || ext != "" {
		b = append(b, '/')
		b = append(b, base...)
		b = append(b, ext...)
	}
	return append(b, 0)
}

// openRegular opens base+ext in funcname's directory to read it, and
// returns it with its fstat, or a *ForeignError if it is not a regular
// file. Errors of the open itself may be bare (see pathErr).
func (s *Driver) openRegular(funcname, base, ext string) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := s.openIn(funcname, base, ext, readFlags, 0)
	if err != nil {
		return -1, st, err
	}
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		unix.Close(fd)
		return -1, st, &fs.PathError{Op: "stat", Path: s.join(funcname, base+ext), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, st, &ForeignError{Path: s.join(funcname, base+ext), Type: fileType(uint32(st.Mode))}
	}
	return fd, st, nil
}

// fstatRegular fstats fd, opened at path, and refuses anything but a
// regular file.
func fstatRegular(fd int, path string) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return st, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return st, &ForeignError{Path: path, Type: fileType(uint32(st.Mode))}
	}
	return st, nil
}

// openFuncDirFD opens the function directory of funcname, following a link
// in the cache directory's own path but not the function directory itself.
func (s *Driver) openFuncDirFD(funcname string) (int, error) {
	var root int
	err := ignoringEINTR(func() (err error) {
		root, err = unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: s.dir, Err: err}
	}
	defer unix.Close(root)
	return openat(root, s.dir, funcname, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

// openat opens name relative to the directory dirfd, whose path is dir
// (for messages), never following a link as name. A missing file is a
// bare ENOENT, which costs a writer's probes of absent files no
// allocation (see pathErr).
func openat(dirfd int, dir, name string, flag int, perm uint32) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		return err
	})
	if err == nil {
		return fd, nil
	}
	if err == unix.ENOENT {
		return -1, err
	}
	path := filepath.Join(dir, name)
	if err == unix.ELOOP || err == unix.ENOTDIR || err == unix.ENXIO {
		// Either is what O_NOFOLLOW or O_DIRECTORY says of a link or of
		// a file that is not a directory, depending on the system.
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			(st.Mode&unix.S_IFMT == unix.S_IFLNK || flag&unix.O_DIRECTORY != 0 && st.Mode&unix.S_IFMT != unix.S_IFDIR ||
				err == unix.ENXIO && st.Mode&unix.S_IFMT != unix.S_IFREG) {
			return -1, &ForeignError{Path: path, Type: fileType(uint32(st.Mode))}
		}
	}
	return -1, &fs.PathError{Op: "open", Path: path, Err: err}
}

// fileType turns the type bits of a stat mode into an fs.FileMode's.
func fileType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

// funcDir is a function directory opened (and, while a writer works,
// flocked) through its descriptor: names in it are reached relative to
// that descriptor, never through the path again.
type funcDir struct {
	fd   int
	path string
	// f owns fd once made, for reading entries; a writer's commit has no
	// use for it, and os.NewFile would cost it an fcntl(2).
	f *os.File
}

// openFuncDir opens the function directory of funcname.
func (s *Driver) openFuncDir(funcname string) (*funcDir, error) {
	path := filepath.Join(s.dir, funcname)
	fd, err := s.openIn(funcname, "", "", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &funcDir{fd: fd, path: path}, nil
}

// file returns d as an *os.File, which then owns its descriptor.
func (d *funcDir) file() *os.File {
	if d.f == nil {
		d.f = os.NewFile(uintptr(d.fd), d.path)
	}
	return d.f
}

// Close closes the directory, which releases its flock.
func (d *funcDir) Close() error {
	if d.f != nil {
		return d.f.Close()
	}
	if err := unix.Close(d.fd); err != nil {
		return &fs.PathError{Op: "close", Path: d.path, Err: err}
	}
	return nil
}

// join names name in d, for messages.
func (d *funcDir) join(name string) string { return filepath.Join(d.path, name) }

// open opens name in d, never following a link as name.
func (d *funcDir) open(name string, flag int, perm uint32) (int, error) {
	return openat(d.fd, d.path, name, flag, perm)
}

// lstat returns the stat of name in d, not following a link.
func (d *funcDir) lstat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err != nil {
		return st, &fs.PathError{Op: "stat", Path: d.join(name), Err: err}
	}
	return st, nil
}

// rename renames old to new, both in d.
func (d *funcDir) rename(old, new string) error {
	if err := ignoringEINTR(func() error { return unix.Renameat(d.fd, old, d.fd, new) }); err != nil {
		return &os.LinkError{Op: "rename", Old: d.join(old), New: d.join(new), Err: err}
	}
	return nil
}

// renameOver renames old to new, both in d, unless new is a foreign file
// (not a regular one), which it reports as a *ForeignError and leaves
// alone. Where new does not exist yet, the usual case of a miss, that is
// one renameat2(2) with RENAME_NOREPLACE and no stat.
func (d *funcDir) renameOver(old, new string) error {
	done, err := renameNew(d.fd, old, new)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.join(old), New: d.join(new), Err: err}
	}
	if done {
		return nil
	}
	if err := d.notForeign(new); err != nil {
		return err
	}
	return d.rename(old, new)
}

// link makes new, in d, a hard link to old, in d; it fails if new exists.
func (d *funcDir) link(old, new string) error {
	if err := ignoringEINTR(func() error { return unix.Linkat(d.fd, old, d.fd, new, 0) }); err != nil {
		return &os.LinkError{Op: "link", Old: d.join(old), New: d.join(new), Err: err}
	}
	return nil
}

// unlink removes name from d, whatever it is.
func (d *funcDir) unlink(name string) error {
	if err := ignoringEINTR(func() error { return unix.Unlinkat(d.fd, name, 0) }); err != nil {
		return &fs.PathError{Op: "remove", Path: d.join(name), Err: err}
	}
	return nil
}

// notForeign reports a *ForeignError if name in d exists and is not a
// regular file: a name the store must not replace.
func (d *funcDir) notForeign(name string) error {
	st, err := d.lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return &ForeignError{Path: d.join(name), Type: fileType(uint32(st.Mode))}
	}
	return nil
}

// removeRegular removes name from d if it is a regular file; one already
// gone is not an error, and anything else is a *ForeignError, left alone.
func (d *funcDir) removeRegular(name string) error {
	if err := d.notForeign(name); err != nil {
		return err
	}
	// Between the check and the removal the name could be swapped for
	// something else; removing that entry still touches nothing outside d.
	if err := d.unlink(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// entries returns a fresh reading of d's entries (its own descriptor, from
// the start), for a pass over the directory.
func (d *funcDir) entries() (*os.File, error) {
	fd, err := d.open(".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), d.path), nil
}

// sameFile reports whether the stat a and b are of one file.
func sameFile(a, b *unix.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }
