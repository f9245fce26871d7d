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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The lock protocol (the package documentation gives it in brief).
//
// The driver implements [driver.Locker] with pypersist's protocol: while
// <hash>.lock exists, other callers wait. Lock creates the file with
// O_CREATE|O_EXCL and writes "<pid> <host> <time>" into it for people and
// for the dead-holder check below, which reads the file's last line.
// While it is held, a heartbeat refreshes
// its modification time every third of the staleness limit; unlock stops
// the heartbeat and removes the file (only if it is still the holder's own,
// which it checks under the function's directory lock). Waiters poll,
// backing off from 1ms to 50ms, until the file disappears (then they try
// to create it), their context ends, or the lock is stale: seen unchanged
// (inode, size, modification and change times) for longer than lockstale
// by the waiter's own monotonic clock, or dated more than lockstale before
// or after the waiter's clock, or naming this host and a process that no
// longer exists. The first rule is what bounds the wait whatever the
// clocks say: a lock dated in the future (a clock stepped back, a file
// server ahead) is broken after lockstale, not at its date plus lockstale.
// Clear, which looks once, applies the others. A holder whose clock is
// ahead of a waiter's by more than lockstale looks stale to it: the result
// may then be computed twice.
//
// A stale lock is broken under the function's directory lock, and in a way
// that is safe against its holder and new lockers, who do not take that
// lock: it is renamed to a unique name, and removed only if the renamed
// file is the one judged stale (same inode, same modification time);
// otherwise it is put back with link(2), which fails rather than replace a
// lock taken meanwhile.
//
// Guarantee: while holders live, at most one caller at a time computes a
// given (funcname, hash). After a holder crashes, waiting is bounded by
// lockstale (plus one poll), or ends at once when the holder ran on this
// host. The worst case, when a live holder stalls for longer than lockstale
// or runs on another machine with the same host name in another process
// namespace, is a result computed twice; never a wrong or partial result
// (short of the case above, beyond the directory lock's reach).
// Read does not wait for locks: persist calls Lock after a miss, then
// reads again.

// Waiters poll a held lock, backing off from minPoll to maxPoll.
const (
	minPoll = time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// Lock implements [driver.Locker] with pypersist's lock files: it creates
// <hash>.lock exclusively and, while it exists, waits. A lock whose holder
// stopped refreshing it for Options.LockStale, or whose holder on this host
// has exited, is broken (see Locks in the package documentation).
func (s *Driver) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	name := hash + extLock
	wait := minPoll
	var seen sighting
	for {
		// "\n" and the identity: the trailer that follows a result
		// written into the lock (see writeResult), whose tail is the
		// file's first content.
		// Room for the usual identity, so that it is built in one
		// allocation.
		trailer := append(make([]byte, 0, 128), '\n')
		trailer = lockInfo{PID: pid(), Host: hostname(), Time: time.Now()}.appendTo(trailer)
		fd, err := s.createLock(funcname, name, trailer[1:])
		switch {
		case err == nil:
			return s.hold(fd, funcname, name, trailer)
		case errors.Is(err, fs.ErrNotExist):
			if err := s.makeFuncDir(funcname); err != nil {
				return nil, err
			}
			continue
		case !errors.Is(err, fs.ErrExist):
			return nil, err
		}
		broke, err := s.breakIfStale(ctx, funcname, name, &seen)
		if err != nil {
			return nil, err
		}
		if broke {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxPoll)
	}
}

// createLock creates the lock file name in the directory of funcname
// exclusively and writes info into it at once: a holder killed in between
// leaves a lock that names no holder, which only its age can break, so
// nothing else comes first.
func (s *Driver) createLock(funcname, name string, info []byte) (int, error) {
	fd, err := s.openIn(funcname, name, "", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o666)
	if err != nil {
		return -1, s.pathErr("open", funcname, name, err)
	}
	var n int
	err = ignoringEINTR(func() (err error) {
		n, err = unix.Write(fd, info)
		return err
	})
	if err == nil && n < len(info) {
		err = io.ErrShortWrite
	}
	if err != nil {
		// The identity is for people and for the dead-holder check; the
		// lock works without it.
		s.log.Warn("Cannot write the lock holder's identity.", "lock", s.join(funcname, name), "err", err)
	}
	return fd, nil
}

// sighting is what one waiter saw of a lock file, and since when by its
// own monotonic clock: a lock whose holder lives changes (its heartbeat
// sets the modification time, which changes the change time too), so one
// seen unchanged for lockstale is stale whatever its times say. Clocks
// stepped back, or a file server's ahead, cannot make a waiter wait
// longer than that.
type sighting struct {
	seen  [5]int64 // device, inode, size, mtime and ctime (ns)
	since time.Time
}

// unchangedFor records st as seen now and returns for how long the lock
// has been seen unchanged.
func (w *sighting) unchangedFor(st *unix.Stat_t, now time.Time) time.Duration {
	seen := [5]int64{int64(st.Dev), int64(st.Ino), st.Size, st.Mtim.Nano(), st.Ctim.Nano()}
	if seen != w.seen || w.since.IsZero() {
		w.seen, w.since = seen, now
		return 0
	}
	return now.Sub(w.since)
}

// breakIfStale examines the lock name in the directory of funcname and
// breaks it if its holder is gone. broke reports that the lock is no
// longer there to wait for. A lock that is not a regular file was not
// made by a holder: it is foreign, and an error.
func (s *Driver) breakIfStale(ctx context.Context, funcname, name string, seen *sighting) (broke bool, err error) {
	path := s.join(funcname, name)
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Lstat(path, &st) }); err != nil {
		if err == unix.ENOENT {
			return true, nil
		}
		return false, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, &ForeignError{Path: path, Type: fileType(uint32(st.Mode))}
	}
	reason := s.staleReason(funcname, name, &st, seen.unchangedFor(&st, time.Now()))
	if reason == "" {
		return false, nil
	}
	err = s.withFuncDir(ctx, funcname, false, func(d *funcDir) error {
		broke, err = s.breakLock(d, name, &st, reason)
		return err
	})
	if errors.Is(err, errNoFuncDir) {
		return true, nil
	}
	return broke, err
}

// staleReason says why the lock name in the directory of funcname, as
// examined in st and seen unchanged for unchanged, is stale, or returns
// "" if its holder may be alive. A lock dated more than lockstale ahead
// of this clock was not refreshed by a holder whose clock agrees with it.
func (s *Driver) staleReason(funcname, name string, st *unix.Stat_t, unchanged time.Duration) string {
	if unchanged > s.opts.LockStale {
		return fmt.Sprintf("seen unchanged for %v", unchanged.Round(time.Millisecond))
	}
	switch age := time.Since(time.Unix(st.Mtim.Unix())); {
	case age > s.opts.LockStale:
		return fmt.Sprintf("not refreshed for %v", age.Round(time.Millisecond))
	case -age > s.opts.LockStale:
		return fmt.Sprintf("dated %v in the future", (-age).Round(time.Millisecond))
	}
	info, ok := s.readLockInfo(funcname, name)
	if !ok || info.Host != hostname() || info.Host == "" {
		return ""
	}
	if err := syscall.Kill(info.PID, 0); errors.Is(err, syscall.ESRCH) {
		return fmt.Sprintf("process %d on this host has exited", info.PID)
	}
	return ""
}

// breakLock removes the stale lock name in d, examined as st. It must run
// under the function's directory lock, which keeps Clear and other
// breakers out. Holders and new lockers do not take that lock, so the lock
// is first renamed aside and checked to be the one examined; a lock taken
// or refreshed meanwhile is put back with link(2), which fails rather than
// replace a newer lock.
func (s *Driver) breakLock(d *funcDir, name string, st *unix.Stat_t, reason string) (broke bool, err error) {
	aside := name + staleTag + randomTag()
	if err := d.rename(name, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // released meanwhile
		}
		return false, err
	}
	moved, err := d.lstat(aside)
	if err == nil && sameFile(&moved, st) && moved.Mtim == st.Mtim && moved.Size == st.Size {
		s.log.Info("Broke a stale lock.", "lock", d.join(name), "reason", reason)
		return true, d.unlink(aside)
	}
	// Not the lock we judged: give it back. If a newer lock already took
	// its place, the one we moved is dropped; its holder computes on, and
	// the worst outcome is a result computed twice.
	if lerr := d.link(aside, name); lerr != nil && !errors.Is(lerr, fs.ErrExist) {
		err = lerr
	}
	if rerr := d.unlink(aside); err == nil {
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
func (l lockInfo) String() string { return string(l.appendTo(nil)) }

// appendTo appends the lock file's content to b. It is built by hand, not
// with fmt, since every miss writes one.
func (l lockInfo) appendTo(b []byte) []byte {
	host := l.Host
	if host == "" {
		host = "-" // keeps the fields apart; never matches a real host name
	}
	b = strconv.AppendInt(b, int64(l.PID), 10)
	b = append(b, ' ')
	b = append(b, host...)
	b = append(b, ' ')
	b = l.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '\n')
}

// maxLockInfo bounds what is read of a lock file: its end, where the
// holder's identity is.
const maxLockInfo = 512

// readLockInfo reads the end of the lock file name in the directory of
// funcname and parses it.
func (s *Driver) readLockInfo(funcname, name string) (lockInfo, bool) {
	fd, st, err := s.openRegular(funcname, name, "")
	if err != nil {
		return lockInfo{}, false
	}
	defer unix.Close(fd)
	b := make([]byte, min(st.Size, maxLockInfo))
	var n int
	err = ignoringEINTR(func() (err error) {
		n, err = unix.Pread(fd, b, st.Size-int64(len(b)))
		return err
	})
	if err != nil {
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

// pid is this process's id, asked of the system once: a Go program
// cannot fork without exec, so it never changes, and a miss need not pay
// a system call for it.
var pid = sync.OnceValue(os.Getpid)

// hostname is this machine's name as lock files record it: whitespace
// would split the fields, so it is replaced.
var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil {
		return "" // the dead-process check is then never applied
	}
	return strings.Join(strings.Fields(h), "_")
})
