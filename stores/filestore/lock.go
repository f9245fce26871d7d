//go:build unix

package filestore

import (
	"bytes"
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
		info := lockInfo{PID: os.Getpid(), Host: hostname(), Time: time.Now()}.String()
		f, err := s.createLock(path, info)
		switch {
		case err == nil:
			unlock, err := s.hold(f, path, info)
			return unlock, s.opErr("lock", err)
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

// createLock creates the lock file at path exclusively and writes info
// into it at once: a holder killed in between leaves a lock that names no
// holder, which only its age can break, so nothing else comes first.
func (s *Store) createLock(path, info string) (*os.File, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o666)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var n int
	err = ignoringEINTR(func() (err error) {
		n, err = syscall.Write(fd, []byte(info))
		return err
	})
	if err == nil && n < len(info) {
		err = io.ErrShortWrite
	}
	if err != nil {
		// The identity is for people and for the dead-holder check; the
		// lock works without it.
		s.log.Warn("Cannot write the lock holder's identity.", "lock", path, "err", err)
	}
	return os.NewFile(uintptr(fd), path), nil
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

// maxLockInfo bounds what is read of a lock file: its end, where the
// holder's identity is.
const maxLockInfo = 512

// readLockInfo reads the end of the lock file at path and parses it.
func readLockInfo(path string) (lockInfo, bool) {
	f, err := openFile(path, syscall.O_RDONLY, 0)
	if err != nil {
		return lockInfo{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return lockInfo{}, false
	}
	b := make([]byte, min(fi.Size(), maxLockInfo))
	n, err := f.ReadAt(b, fi.Size()-int64(len(b)))
	if err != nil && err != io.EOF {
		return lockInfo{}, false
	}
	return parseLockInfo(b[:n])
}

// parseLockInfo parses a lock file's content: its last line, so that a
// lock into which a Put is writing the result, followed by the holder's
// identity, still names its holder. The time is optional (it is for
// people); a missing or bad pid or host makes ok false.
func parseLockInfo(b []byte) (info lockInfo, ok bool) {
	b = bytes.TrimRight(b, " \t\r\n")
	b = b[bytes.LastIndexByte(b, '\n')+1:]
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
