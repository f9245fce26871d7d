//go:build unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// errNoFuncDir reports that a function's directory does not exist, to an
// operation that does not create it.
var errNoFuncDir = errors.New("no directory for the function")

// withFuncDir runs fn while holding an exclusive flock(2) on the function
// directory of funcname, creating it first when create is set. The lock
// serialises the writers of one function (the commits of Put, Delete,
// Clear, breaking stale locks) across goroutines and processes, so that
// two writers never interleave their renames of one record's files.
// Readers take no lock, and a Put writes its data before it takes it.
//
// The wait for the lock ends with ctx: a writer holds it for a few file
// operations, Clear for one pass over the directory, but a process that
// holds it may be stopped.
func (s *Driver) withFuncDir(ctx context.Context, funcname string, create bool, fn func(d *funcDir) error) error {
	return s.withFuncDirVouched(ctx, funcname, create, nil, fn)
}

// withFuncDirVouched is withFuncDir, where vouch (if not nil) may spare
// the check that d is still the directory named funcname (stillNamed,
// two system calls, one of them a walk of the whole path). vouch reports
// that d holds a file of the caller's own, recognised by its inode: then
// d was not removed, since a Clear removes only an empty directory. It
// is asked only when the flock was free, so the path was checked as d
// was opened, one system call before, as closely as stillNamed checks
// it; after a wait, stillNamed looks again.
func (s *Driver) withFuncDirVouched(ctx context.Context, funcname string, create bool, vouch func(d *funcDir) bool, fn func(d *funcDir) error) error {
	for {
		d, err := s.openFuncDir(funcname)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if !create {
				return errNoFuncDir
			}
			if err := s.makeFuncDir(funcname); err != nil {
				return err
			}
			continue
		}
		waited, err := lockDir(ctx, d)
		if err != nil {
			return err // d is closed
		}
		same := !waited && vouch != nil && vouch(d)
		if !same {
			same, err = s.stillNamed(d, funcname)
		}
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

// lockDir flocks d, waiting no longer than ctx allows; waited reports
// that another held the lock first. On error d is closed: a wait that ctx
// ended goes on in the background, holding d, and releases the lock the
// moment it gets it.
func lockDir(ctx context.Context, d *funcDir) (waited bool, err error) {
	err = flock(d, syscall.LOCK_EX|syscall.LOCK_NB)
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		if err != nil {
			d.Close()
		}
		return false, err
	}
	if ctx.Err() != nil {
		d.Close()
		return true, ctx.Err()
	}
	if ctx.Done() == nil {
		if err := flock(d, syscall.LOCK_EX); err != nil {
			d.Close()
			return true, err
		}
		return true, nil
	}
	// flock(2) cannot be interrupted by a context: a goroutine waits,
	// and hands the lock over or, if no one wants it any more, drops it.
	got := make(chan error, 1)
	go func() { got <- flock(d, syscall.LOCK_EX) }()
	select {
	case err := <-got:
		if err != nil {
			d.Close()
		}
		return true, err
	case <-ctx.Done():
		go func() {
			<-got
			d.Close()
		}()
		return true, ctx.Err()
	}
}

// stillNamed reports whether the function directory of funcname is still
// the directory d, and not a link.
func (s *Driver) stillNamed(d *funcDir, funcname string) (bool, error) {
	var held, now unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(d.fd, &held) }); err != nil {
		return false, &fs.PathError{Op: "stat", Path: d.path, Err: err}
	}
	err := ignoringEINTR(func() error { return unix.Lstat(d.path, &now) })
	if err == unix.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, &fs.PathError{Op: "stat", Path: d.path, Err: err}
	}
	return sameFile(&held, &now), nil
}

// flock applies flock(2) to d, retrying when a signal interrupts the wait.
func flock(d *funcDir, how int) error {
	if err := ignoringEINTR(func() error { return syscall.Flock(d.fd, how) }); err != nil {
		return &fs.PathError{Op: "flock", Path: d.path, Err: err}
	}
	return nil
}

// syncDir fsyncs the directory d when the store syncs, making the renames
// and removals in it durable.
func (s *Driver) syncDir(d *funcDir) error {
	if !s.opts.Sync {
		return nil
	}
	if err := ignoringEINTR(func() error { return unix.Fsync(d.fd) }); err != nil {
		return &fs.PathError{Op: "sync", Path: d.path, Err: err}
	}
	return nil
}

// makeFuncDir creates the function directory of funcname, and the cache
// directory first if it is missing. A link in its place is foreign.
func (s *Driver) makeFuncDir(funcname string) error {
	dir := filepath.Join(s.dir, funcname)
	err := s.mkdir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if rerr := s.mkdirs(s.dir); rerr != nil {
			return fmt.Errorf("%w %s: %w", ErrNoRoot, s.dir, rerr)
		}
		err = s.mkdir(dir)
	}
	if errors.Is(err, fs.ErrExist) {
		// Something in the way that is not a directory (mkdir does not
		// follow a link as its last element).
		var st unix.Stat_t
		if unix.Lstat(dir, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return &ForeignError{Path: dir, Type: fileType(uint32(st.Mode))}
		}
	}
	return err
}

// mkdirs creates dir and its missing parents, as the user named them
// (links in that path are followed). Each Mkdir is tried at most twice, so
// a parent that exists but in which nothing can be made (a removed
// working directory, /proc) is an error, not a loop.
func (s *Driver) mkdirs(dir string) error {
	err := s.mkdir(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return err
	}
	if err := s.mkdirs(parent); err != nil {
		return err
	}
	return s.mkdir(dir)
}

// mkdir makes the one directory dir, durable in its parent when the store
// syncs. A directory already there (made meanwhile by someone else) is
// not an error; anything else in the way is.
func (s *Driver) mkdir(dir string) error {
	err := os.Mkdir(dir, 0o777)
	switch {
	case err == nil:
		if !s.opts.Sync {
			return nil
		}
		return fsyncPath(filepath.Dir(dir))
	case errors.Is(err, fs.ErrExist):
		if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

// openRoot opens the store's directory to read its entries: as a
// directory (following a link in its own path, the user's choice), so
// that a FIFO or another file in its place is an error at once, never a
// wait for a writer.
func (s *Driver) openRoot() (*os.File, error) {
	return openDir(s.dir)
}

// openDir opens the directory at path; anything else is an error
// (ENOTDIR: O_DIRECTORY is checked before a FIFO would wait).
func openDir(path string) (*os.File, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fsyncPath fsyncs the directory at path.
func fsyncPath(path string) error {
	f, err := openDir(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
