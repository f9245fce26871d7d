//go:build unix

package filestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// errNoFuncDir reports that a function's directory does not exist, to an
// operation that does not create it.
var errNoFuncDir = errors.New("no directory for the function")

// withFuncDir runs fn while holding an exclusive flock(2) on the function
// directory dir, creating dir first when create is set. The lock serialises
// the writers of one function (Put, Delete, Clear, breaking stale locks)
// across goroutines and processes, so that two writers never interleave
// their renames of one record's files. Readers take no lock.
//
// The wait for the lock does not watch a context: writers hold it for a
// few file operations, Clear for one pass over the directory.
func (s *Store) withFuncDir(dir string, create bool, fn func(d *os.File) error) error {
	for {
		d, err := openFile(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if !create {
				return errNoFuncDir
			}
			if err := s.mkdirs(dir); err != nil {
				return err
			}
			continue
		}
		same, err := lockAndRecheck(d, dir)
		if err != nil || !same {
			d.Close()
			if err != nil {
				return err
			}
			// Clear removed the directory while we waited for it; the
			// lock we got is on a directory no longer reachable.
			continue
		}
		err = fn(d)
		d.Close() // releases the flock
		return err
	}
}

// lockAndRecheck flocks d and reports whether dir still names it.
func lockAndRecheck(d *os.File, dir string) (bool, error) {
	if err := flock(d, syscall.LOCK_EX); err != nil {
		return false, err
	}
	held, err := d.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, now), nil
}

// flock applies flock(2) to f, retrying when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if ferr != nil {
		return &fs.PathError{Op: "flock", Path: f.Name(), Err: ferr}
	}
	return nil
}

// syncDir fsyncs the directory d when the store syncs, making the renames
// and removals in it durable.
func (s *Store) syncDir(d *os.File) error {
	if !s.opts.Sync {
		return nil
	}
	return d.Sync()
}

// mkdirs creates dir and its missing parents. When the store syncs, each
// new directory's entry is made durable in its parent.
func (s *Store) mkdirs(dir string) error {
	err := os.Mkdir(dir, 0o777) // the usual case: only the last is missing
	switch {
	case err == nil:
		if !s.opts.Sync {
			return nil
		}
		return fsyncPath(filepath.Dir(dir))
	case errors.Is(err, fs.ErrExist):
		// Made meanwhile by someone else, or something else in the way
		// (a file, a dangling symbolic link) that callers must not retry.
		if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(dir)
		if parent == dir {
			return err
		}
		if err := s.mkdirs(parent); err != nil {
			return err
		}
		return s.mkdirs(dir)
	default:
		return err
	}
}

// fsyncPath fsyncs the file or directory at path.
func fsyncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
