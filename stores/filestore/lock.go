package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Waiters poll a held lock, backing off from minPoll to maxPoll.
const (
	minPoll = time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// Lock implements [stores.Locker] with pypersist's lock files: it creates
// <hash>.lock exclusively and, while it exists, waits. A lock whose holder
// stopped refreshing it for Options.LockStale, or whose holder on this host
// has exited, is broken. See the package documentation for the protocol.
func (s *Store) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	if err := s.check(ctx, "lock", funcname, hash); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, funcname)
	path := filepath.Join(dir, hash+extLock)
	wait := minPoll
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		switch {
		case err == nil:
			return s.hold(f, path), nil
		case errors.Is(err, fs.ErrNotExist):
			if err := s.mkdirs(dir); err != nil {
				return nil, s.opErr("lock", err)
			}
			continue
		case !errors.Is(err, fs.ErrExist):
			return nil, s.opErr("lock", err)
		}
		broke, err := s.breakIfStale(dir, path)
		if err != nil {
			return nil, s.opErr("lock", err)
		}
		if broke {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, s.opErr("lock", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxPoll)
	}
}

// hold writes the holder's identity into the new lock file f, starts its
// heartbeat and returns the function that releases it.
func (s *Store) hold(f *os.File, path string) func() {
	// The content is for people and for the dead-holder check; a waiter
	// that reads it half-written just does not use it.
	if _, err := f.WriteString(lockInfo{PID: os.Getpid(), Host: hostname(), Time: time.Now()}.String()); err != nil {
		s.log.Warn("Cannot write the lock holder's identity.", "lock", path, "err", err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go s.heartbeat(f, path, stop, done)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			s.release(f, path)
		})
	}
}

// heartbeat refreshes the lock's modification time every third of the
// staleness limit, so waiters can tell a live holder from a dead one.
func (s *Store) heartbeat(f *os.File, path string, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(max(s.opts.LockStale/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := touch(f); err != nil {
				s.log.Warn("Cannot refresh a held lock.", "lock", path, "err", err)
			}
		}
	}
}

// touch sets f's modification time to now. It works on the open file, so
// it never refreshes a lock that replaced ours.
func touch(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	now := syscall.NsecToTimeval(time.Now().UnixNano())
	var terr error
	if err := rc.Control(func(fd uintptr) {
		terr = syscall.Futimes(int(fd), []syscall.Timeval{now, now})
	}); err != nil {
		return err
	}
	return terr
}

// release removes the lock file if it is still ours: a waiter may have
// broken it (thinking us dead) and another caller taken a new one.
func (s *Store) release(f *os.File, path string) {
	defer f.Close()
	mine, err := f.Stat()
	if err != nil {
		s.log.Warn("Cannot release a lock.", "lock", path, "err", err)
		return
	}
	cur, err := os.Stat(path)
	if err != nil || !os.SameFile(mine, cur) {
		s.log.Warn("A held lock was broken by another caller; the result may have been computed twice.", "lock", path)
		return
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("Cannot release a lock.", "lock", path, "err", err)
	}
}

// breakIfStale examines the lock at path and breaks it if its holder is
// gone. broke reports that the lock is no longer there to wait for.
func (s *Store) breakIfStale(dir, path string) (broke bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	reason := s.staleReason(path, fi)
	if reason == "" {
		return false, nil
	}
	err = s.withFuncDir(dir, false, func(*os.File) error {
		broke, err = s.breakLock(path, fi, reason)
		return err
	})
	if errors.Is(err, errNoFuncDir) {
		return true, nil
	}
	return broke, err
}

// staleReason says why the lock at path, as examined in fi, is stale, or
// returns "" if its holder may be alive.
func (s *Store) staleReason(path string, fi fs.FileInfo) string {
	if age := time.Since(fi.ModTime()); age > s.opts.LockStale {
		return fmt.Sprintf("not refreshed for %v", age.Round(time.Millisecond))
	}
	info, ok := readLockInfo(path)
	if !ok || info.Host != hostname() || info.Host == "" {
		return ""
	}
	if err := syscall.Kill(info.PID, 0); errors.Is(err, syscall.ESRCH) {
		return fmt.Sprintf("process %d on this host has exited", info.PID)
	}
	return ""
}

// breakLock removes the stale lock at path that was examined as fi. It must
// run under the function's directory lock, which keeps Clear and other
// breakers out. Holders and new lockers do not take that lock, so the lock
// is first renamed aside and checked to be the one examined; a lock taken
// or refreshed meanwhile is put back with link(2), which fails rather than
// replace a newer lock.
func (s *Store) breakLock(path string, fi fs.FileInfo, reason string) (broke bool, err error) {
	aside := path + staleTag + randomTag()
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // released meanwhile
		}
		return false, err
	}
	moved, err := os.Stat(aside)
	if err == nil && os.SameFile(moved, fi) && moved.ModTime().Equal(fi.ModTime()) {
		s.log.Info("Broke a stale lock.", "lock", path, "reason", reason)
		return true, os.Remove(aside)
	}
	// Not the lock we judged: give it back. If a newer lock already took
	// its place, the one we moved is dropped; its holder computes on, and
	// the worst outcome is a result computed twice.
	if lerr := os.Link(aside, path); lerr != nil && !errors.Is(lerr, fs.ErrExist) {
		err = lerr
	}
	if rerr := os.Remove(aside); err == nil {
		err = rerr
	}
	return false, err
}

// lockInfo is what a lock file says about its holder:
// "<pid> <host> <RFC 3339 time>\n".
type lockInfo struct {
	PID  int
	Host string
	Time time.Time
}

// String formats the lock file's content.
func (l lockInfo) String() string {
	host := l.Host
	if host == "" {
		host = "-" // keeps the fields apart; never matches a real host name
	}
	return fmt.Sprintf("%d %s %s\n", l.PID, host, l.Time.UTC().Format(time.RFC3339Nano))
}

// maxLockInfo bounds what is read of a lock file.
const maxLockInfo = 512

// readLockInfo reads and parses the lock file at path.
func readLockInfo(path string) (lockInfo, bool) {
	f, err := os.Open(path)
	if err != nil {
		return lockInfo{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLockInfo))
	if err != nil {
		return lockInfo{}, false
	}
	return parseLockInfo(b)
}

// parseLockInfo parses a lock file's content. The time is optional (it is
// for people); a missing or bad pid or host makes ok false.
func parseLockInfo(b []byte) (info lockInfo, ok bool) {
	fields := strings.Fields(string(b))
	if len(fields) < 2 || len(fields) > 3 {
		return lockInfo{}, false
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 || fields[0] != strconv.Itoa(pid) {
		return lockInfo{}, false
	}
	info = lockInfo{PID: pid, Host: fields[1]}
	if len(fields) == 3 {
		if info.Time, err = time.Parse(time.RFC3339Nano, fields[2]); err != nil {
			return lockInfo{}, false
		}
	}
	return info, true
}

// hostname is this machine's name as lock files record it: whitespace
// would split the fields, so it is replaced.
var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil {
		return "" // the dead-process check is then never applied
	}
	return strings.Join(strings.Fields(h), "_")
})
