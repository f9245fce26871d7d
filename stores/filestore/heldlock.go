//go:build unix

package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopersist/persist/stores/driver"
)

// A memoised call that misses locks its record, computes, stores the
// result and unlocks: done with separate files, that is four changes to
// the directory (create the lock, create a temporary file, rename it,
// remove the lock). Instead, a Put of the record while this store holds its
// lock writes the result into the lock file itself and renames that to
// <hash>.out: two changes in all, and the lock disappears at the very
// instant the result appears, so a waiter that then takes the lock finds
// the result when it looks again. The package documentation gives the
// protocol and why it is safe.

// The protocol in detail.
//
// A memoised call that misses takes the lock, computes and stores the
// result with Put. A Put of the record on the store that holds its lock
// makes the lock file the result: it writes the result into the lock file
// followed by the holder's identity (before taking the function's
// directory lock, as the data of every Put), then under that lock stops
// the heartbeat, commits the .key and .meta as above, truncates the file
// to the result alone (and fsyncs it with sync=true; the file is kept
// open throughout), and renames it to <hash>.out, having checked that
// <hash>.lock still names that file (same device and inode). It checks
// that once under the directory lock, first thing when it got that lock
// at once, else just before the rename: nothing that follows the protocol
// can change it while the directory lock is held (see below). Two changes to
// the directory in all (create the lock, rename it) where separate files
// take four. The
// lock disappears at the instant the result appears: a waiter then takes
// the lock, looks again and finds the result. unlock after such a Put does
// nothing: by then <hash>.lock may be another caller's new lock. If the
// check fails (the lock was broken as stale, and perhaps taken by another
// caller) the Put writes the record the usual way and leaves <hash>.lock
// alone; if writing fails (a full disk) the lock file gets its holder's
// identity back and stays held until unlock. A program killed while it
// writes its result leaves a lock file that holds part of a result: it is
// a lock all the same, never read as a record. Waiters read a lock's last
// line, which still names the holder, so the dead-holder check applies; a
// lock whose content names no one (its holder was killed as it created the
// file, or between the truncation and the rename) is broken once it is
// unrefreshed for lockstale.
//
// Nothing that follows this protocol on the same machine can change
// <hash>.lock between the check and the rename: every removal or renaming
// of a lock file (unlock, breaking, Clear) runs under the function's
// directory lock, which the Put holds, and a new lock can only be created
// where none is. What remains are programs that remove lock files without
// that lock, and callers on other machines sharing the directory over a
// network file system, where the directory lock does not reach. They break
// a lock only when it has not been refreshed for lockstale, and writing the
// result into it (and truncating it) refreshes it shortly before the
// check; so they could get in only if the holder stalled for longer than
// lockstale after that, and while it stalled between the check and the
// rename (two consecutive system calls) its lock were broken and another
// caller took a new one.
// The rename would then move that caller's lock file to
// <hash>.out: a record that holds a lock's text instead of a result
// (persist reports it as damaged, since it cannot decode it) until that
// caller's own Put replaces it.
//

// heldLock is a lock file that this store created and has not released.
type heldLock struct {
	key      lockKey
	dir      string // the store's directory: path() is for messages only
	funcname string
	name     string // <hash>.lock, in the function directory
	trailer  []byte // "\n" and the holder's identity (info), kept after a result being written
	// fd is the lock file, kept open until the lock is released or
	// renamed; a bare descriptor, since an *os.File costs a miss an
	// fcntl(2) to find out what kind of file it is. It is closed once,
	// after the heartbeat has stopped (see gone).
	fd int
	id unix.Stat_t // fd's device and inode, to recognise it at path

	// mu is held by unlock and by a Put that uses the lock, so that the
	// two never act on it at once. A Put takes it before the function's
	// directory lock and so does unlock: always in that order.
	mu   sync.Mutex
	gone bool // released, or renamed into the result

	// once makes the unlock function returned by Lock act once.
	once sync.Once
}

// hold starts the heartbeat of the new lock file fd, name in the
// directory of funcname, which holds trailer[1:] (trailer is "\n" and the
// holder's identity), and registers it (a Put of the record turns it into
// the result); it returns the function that releases it.
func (s *Driver) hold(fd int, funcname, name string, trailer []byte) (func(), error) {
	id, err := fileID(fd)
	if err != nil {
		// Without its device and inode the lock could not be told from
		// another at its path. Created an instant ago, it is still ours.
		unix.Close(fd)
		_ = dirPath{s, funcname}.unlink(name)
		return nil, &fs.PathError{Op: "stat", Path: s.join(funcname, name), Err: err}
	}
	h := &heldLock{key: lockKey{funcname, strings.TrimSuffix(name, extLock)}, dir: s.dir, funcname: funcname, name: name, fd: fd, id: id, trailer: trailer}
	s.startHeartbeat(h)
	s.register(h)
	return func() { h.once.Do(func() { s.unlockHeld(h) }) }, nil
}

// touch sets the modification time of the file open as fd to now. It
// works on the open file, so it never refreshes a lock that replaced ours.
func touch(fd int) error {
	now := syscall.NsecToTimeval(time.Now().UnixNano())
	return syscall.Futimes(fd, []syscall.Timeval{now, now})
}

// unlockHeld is what the unlock function returned by Lock does: nothing if
// a Put already renamed the lock into the result (its path may by now hold
// another caller's lock), else stop the heartbeat and remove the lock.
func (s *Driver) unlockHeld(h *heldLock) {
	s.unregister(h)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone {
		return
	}
	h.gone = true
	s.stopHeartbeat(h)
	s.release(h)
}

// errLockLost is release's report that the lock at its path is not ours.
var errLockLost = errors.New("lock lost")

// noWait is a context that is already done: the directory lock is taken
// only if no one holds it.
var noWait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// release removes the lock file if it is still ours: a waiter may have
// broken it (thinking us dead) and another caller taken a new one. It runs
// under the function's directory lock, like the breaking of stale locks,
// so that the check and the removal are one step to them, and so that a
// Put holding that lock knows that its own lock file stays where it is.
// Unlock has no context to end a wait for that lock, so if another holds
// it, the release finishes in the background: the caller goes on at once.
func (s *Driver) release(h *heldLock) {
	err := s.releaseLocked(noWait, h)
	if errors.Is(err, context.Canceled) {
		go func() { s.logRelease(h, s.releaseLocked(context.Background(), h)) }()
		return
	}
	s.logRelease(h, err)
}

// releaseLocked is release once the directory lock is to be waited for
// as ctx allows; it closes the lock file unless ctx ended the wait.
func (s *Driver) releaseLocked(ctx context.Context, h *heldLock) error {
	err := s.withFuncDir(ctx, h.funcname, false, func(d *funcDir) error {
		st, err := d.lstat(h.name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err != nil || !sameFile(&st, &h.id) {
			return errLockLost
		}
		return d.unlink(h.name)
	})
	if !errors.Is(err, context.Canceled) || ctx != noWait {
		unix.Close(h.fd)
	}
	return err
}

// logRelease says why a release went wrong, if it did.
func (s *Driver) logRelease(h *heldLock, err error) {
	switch {
	case err == nil:
	case errors.Is(err, errLockLost) || errors.Is(err, errNoFuncDir):
		s.log.Warn("A held lock was broken by another caller; the result may have been computed twice.", "lock", h.path())
	default:
		s.log.Warn("Cannot release a lock.", "lock", h.path(), "err", err)
	}
}

// register records h as held by this store. A lock registered earlier at
// the same path was broken (the new one could not be created otherwise);
// its own unlock still releases what is left of it.
func (s *Driver) register(h *heldLock) {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	if s.held == nil {
		s.held = make(map[lockKey]*heldLock)
	}
	s.held[h.key] = h
}

// unregister forgets h, if it is still the lock registered at its path.
func (s *Driver) unregister(h *heldLock) {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	if s.held[h.key] == h {
		delete(s.held, h.key)
	}
}

// lockKey names a record's lock in the registry: its function and hash,
// not its path, which a Put would have to join to look it up.
type lockKey struct{ funcname, hash string }

// claim takes the lock of k out of the registry for a Put, and returns
// it with its mutex held; nil if this store does not hold it.
func (s *Driver) claim(k lockKey) *heldLock {
	s.heldMu.Lock()
	h := s.held[k]
	delete(s.held, k)
	s.heldMu.Unlock()
	if h == nil {
		return nil
	}
	h.mu.Lock()
	if h.gone {
		h.mu.Unlock()
		return nil
	}
	return h
}

// unclaim ends a Put's use of h. A lock that did not become the result is
// still held, and registered again unless another took its place.
func (s *Driver) unclaim(h *heldLock) {
	if !h.gone {
		s.heldMu.Lock()
		if _, taken := s.held[h.key]; !taken {
			s.held[h.key] = h // the map exists: h was in it
		}
		s.heldMu.Unlock()
	}
	h.mu.Unlock()
}

// putThroughLock writes rec through the lock h that this store holds on
// the record: the result into the lock file and the companions that
// change into temporary files, with no lock shared by other hashes held;
// then, under the function's directory lock, the companions as in Put,
// and the lock file is renamed to the .out. If the lock is no longer the
// file at its path (it was broken as stale, and another caller may have
// taken a new one), that path is not ours to move, and the record is
// written as by Put.
func (s *Driver) putThroughLock(ctx context.Context, funcname, hash string, rec driver.Record, h *heldLock) error {
	// As in Put, everything is written before a live file changes, so a
	// failure (a full disk) leaves the old record as it was; after that
	// only renames, removals and the truncation that ends the result
	// remain, whose failure leaves a miss at worst. On failure the lock
	// file gets its holder's identity back and stays held. The lock may
	// be broken while the result is written into it (if this writer
	// stalls for lockstale): the write then goes to a file set aside or
	// unlinked, which is harmless, and the check under the directory lock
	// sees that the lock is not ours.
	st := &staging{}
	defer st.discard(s, funcname)
	err := s.writeResult(h, rec.Result)
	if err == nil && (rec.Key != nil || rec.Meta != nil) {
		// (Guarded, since the dirPath would go to the heap for nothing.)
		err = s.stageCompanions(dirPath{s, funcname}, hash, rec, st)
	}
	if err == nil {
		// The lock file, found in the directory, vouches for it (see
		// withFuncDirVouched), and is then known to be ours.
		var vouched *funcDir
		err = s.withFuncDirVouched(ctx, funcname, true, func(d *funcDir) bool {
			if d.holdsLock(h) {
				vouched = d
			}
			return vouched == d
		}, func(d *funcDir) error {
			return s.commitThroughLock(d, hash, rec, h, st, vouched == d)
		})
	}
	if err != nil && !h.gone {
		s.restoreLock(h)
	}
	return err
}

// commitThroughLock is the part of putThroughLock under the directory
// lock; ours reports that the lock file was found to be h since that lock
// was taken.
func (s *Driver) commitThroughLock(d *funcDir, hash string, rec driver.Record, h *heldLock, st *staging, ours bool) error {
	// From here the lock file is not refreshed: it becomes the .out, whose
	// modification time is the record's.
	s.stopHeartbeat(h)
	if !ours && !d.holdsLock(h) {
		// Broken as stale (and perhaps taken by another): the result is
		// written the usual way, staged before anything live changes.
		return s.commit(d, hash, rec, st)
	}
	// A foreign file in the place of the .out is refused before anything
	// changes: by commitCompanions when the companions change (it removes
	// the .out first), else by renameOver.
	if err := s.commitCompanions(d, hash, rec, st); err != nil {
		return err
	}
	if err := s.endResult(h, len(rec.Result)); err != nil {
		return err
	}
	// The check that matters. Every removal or renaming of a lock file by
	// this package (release, breaking, Clear) runs under the directory
	// lock we hold, and a new lock can only be created where none is; so
	// a lock that is ours now is still ours at the rename. The package
	// documentation discusses callers that do not share the directory
	// lock.
	if !ours && !d.holdsLock(h) {
		return s.commit(d, hash, rec, st)
	}
	if err := d.renameOverName(h.name, "", hash, extOut); err != nil {
		return err
	}
	h.gone = true
	unix.Close(h.fd) // written, flushed and renamed: nothing left to report
	return s.syncDir(d)
}

// writeResult writes data into the lock file, followed by the holder's
// identity, which stays there until endResult: readLockInfo reads the
// last line, so a holder killed meanwhile leaves a lock that still names
// it, and that waiters on this host break at once. Without sync it reports
// the errors that some file systems (NFS) defer to close(2), as writeTemp
// does, while the file stays open: an open file's inode cannot be reused,
// which is what makes the check of the lock's path by inode sound. On the
// file systems whose close(2) has nothing to report (closeflush.go) it
// skips that.
func (s *Driver) writeResult(h *heldLock, data []byte) error {
	if err := pwriteAll(h, h.trailer, int64(len(data))); err != nil {
		return err
	}
	if err := pwriteAll(h, data, 0); err != nil {
		return err
	}
	// Dev is not a uint64 on every system.
	if s.opts.Sync || !s.closeReports(h.fd, uint64(h.id.Dev)) {
		return nil // endResult fsyncs, or close(2) has nothing to report
	}
	return flushByClose(h.fd, h.path())
}

// pwriteAll writes b at off in the lock file of h, as os.File.WriteAt
// does.
func pwriteAll(h *heldLock, b []byte, off int64) error {
	for len(b) > 0 {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = unix.Pwrite(h.fd, b, off)
			return err
		})
		if err != nil {
			return &fs.PathError{Op: "write", Path: h.path(), Err: err}
		}
		if n == 0 {
			return &fs.PathError{Op: "write", Path: h.path(), Err: io.ErrShortWrite}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// endResult cuts the identity off the lock file, which then holds exactly
// the result of length n, made durable when the store syncs. From here to
// the rename, which follows at once, the lock names no holder.
func (s *Driver) endResult(h *heldLock, n int) error {
	if err := ignoringEINTR(func() error { return unix.Ftruncate(h.fd, int64(n)) }); err != nil {
		return &fs.PathError{Op: "truncate", Path: h.path(), Err: err}
	}
	if s.opts.Sync {
		if err := ignoringEINTR(func() error { return unix.Fsync(h.fd) }); err != nil {
			return &fs.PathError{Op: "sync", Path: h.path(), Err: err}
		}
	}
	return nil
}

// flushByClose closes a duplicate of fd, the file at path: close(2)
// flushes the file for every descriptor closed and returns what the flush
// failed with.
func flushByClose(fd int, path string) error {
	// Under ForkLock the duplicate, which is not close-on-exec, never
	// leaks into a child process.
	syscall.ForkLock.RLock()
	dup, err := syscall.Dup(fd)
	if err == nil {
		err = syscall.Close(dup)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return &fs.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

// restoreLock gives a lock whose Put failed its holder's identity back and
// restarts its heartbeat: it is held until unlock, as if Put had not used
// it.
func (s *Driver) restoreLock(h *heldLock) {
	err := ignoringEINTR(func() error { return unix.Ftruncate(h.fd, 0) })
	if err == nil {
		err = pwriteAll(h, h.info(), 0)
	}
	if err != nil {
		s.log.Warn("Cannot restore the holder's identity in a held lock.", "lock", h.path(), "err", err)
	}
	s.startHeartbeat(h)
}

// path is the lock file's path, for messages.
func (h *heldLock) path() string { return filepath.Join(h.dir, h.funcname, h.name) }

// info is the holder's identity, the lock file's content while no result
// is written into it.
func (h *heldLock) info() []byte { return h.trailer[1:] }

// holdsLock reports whether the lock file of h is in d under its name.
// Under the directory lock that stays so (see the protocol above).
func (d *funcDir) holdsLock(h *heldLock) bool {
	var st unix.Stat_t
	return fstatatName(d.fd, h.name, "", &st) == nil && sameFile(&st, &h.id)
}

// fileID returns the device and inode of the file open as fd; its error
// is a bare errno, which the caller gives the path (on failure only: a
// miss joins no path for it).
func fileID(fd int) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) })
	return st, err
}
