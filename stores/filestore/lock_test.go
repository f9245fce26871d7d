//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// lockPath is where s keeps the lock of (funcname, hash).
func lockPath(s *fileStore, funcname, hash string) string {
	return filepath.Join(s.Dir(), funcname, hash+".lock")
}

// lockAsync calls Lock in a goroutine and delivers its outcome.
func lockAsync(ctx context.Context, s *fileStore, funcname, hash string) <-chan error {
	done := make(chan error, 1)
	go func() {
		unlock, err := s.Lock(ctx, funcname, hash)
		if err == nil {
			unlock()
		}
		done <- err
	}()
	return done
}

func TestLockWaitsForHandMadeLock(t *testing.T) {
	s := newStore(t, filestore.Options{})
	// A live holder: this process, on this host, freshly written.
	path := lockPath(s, "f", "h")
	mustWrite(t, path, fmt.Sprintf("%d %s", os.Getpid(), hostname(t)))

	const hold = 300 * time.Millisecond
	start := time.Now()
	done := lockAsync(context.Background(), s, "f", "h")
	time.Sleep(hold)
	select {
	case err := <-done:
		t.Fatalf("Lock returned (%v) while the lock file existed", err)
	default:
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock did not return after the lock file was removed")
	}
	if waited := time.Since(start); waited < hold {
		t.Errorf("Lock waited %v, less than the %v the lock was held", waited, hold)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unlock left the lock file: %v", err)
	}
}

func TestLockBreaksStaleLocks(t *testing.T) {
	host := hostname(t)
	deadPID := exitedProcess(t)
	tests := []struct {
		name      string
		content   string
		age       time.Duration // how old the lock's modification time is
		lockStale time.Duration
		broken    bool
	}{
		{"unrefreshed for an hour", fmt.Sprintf("%d %s", os.Getpid(), host), time.Hour, filestore.DefaultLockStale, true},
		{"holder exited on this host", fmt.Sprintf("%d %s 2020-01-01T00:00:00Z", deadPID, host), 0, filestore.DefaultLockStale, true},
		{"empty, unrefreshed", "", time.Hour, filestore.DefaultLockStale, true},
		{"exited pid on another host", fmt.Sprintf("%d not-%s", deadPID, host), 0, filestore.DefaultLockStale, false},
		{"live holder", fmt.Sprintf("%d %s", os.Getpid(), host), 0, filestore.DefaultLockStale, false},
		{"unparsable, fresh", "garbage", 0, filestore.DefaultLockStale, false},
		// A holder killed while its Put wrote the result into the lock.
		{"partial result, fresh", "(\xb5/\xfd\x04\x00", 0, filestore.DefaultLockStale, false},
		{"partial result, unrefreshed", "(\xb5/\xfd\x04\x00", time.Hour, filestore.DefaultLockStale, true},
		{"text result, fresh", "21\n", 0, filestore.DefaultLockStale, false},
		// A holder killed while its Put wrote the result, which is followed
		// by the holder's identity until the very end.
		{"result being written, holder exited", fmt.Sprintf("(\xb5/\xfd\n%d %s 2020-01-01T00:00:00Z\n", deadPID, host), 0, filestore.DefaultLockStale, true},
		{"result being written, live holder", fmt.Sprintf("(\xb5/\xfd\n%d %s\n", os.Getpid(), host), 0, filestore.DefaultLockStale, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, filestore.Options{LockStale: tt.lockStale})
			path := lockPath(s, "f", "h")
			mustWrite(t, path, tt.content)
			if tt.age > 0 {
				old := time.Now().Add(-tt.age)
				if err := os.Chtimes(path, old, old); err != nil {
					t.Fatal(err)
				}
			}
			// Broken locks must go long before they would by staleness
			// alone (30s); live ones must still be there after a while.
			wait := 10 * time.Second
			if !tt.broken {
				wait = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			unlock, err := s.Lock(ctx, "f", "h")
			if tt.broken {
				if err != nil {
					t.Fatalf("Lock: %v, want the stale lock broken", err)
				}
				info, _ := os.ReadFile(path)
				if f := strings.Fields(string(info)); len(f) < 2 || f[0] != strconv.Itoa(os.Getpid()) || f[1] != host {
					t.Errorf("lock file holds %q, want this process's pid and host", info)
				}
				unlock()
				return
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Lock: %v, want to wait until the deadline", err)
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != tt.content {
				t.Errorf("the live lock was changed: %q, %v", got, err)
			}
		})
	}
}

func TestLockBreaksWhenRefreshStops(t *testing.T) {
	const stale = time.Second
	s := newStore(t, filestore.Options{LockStale: stale})
	path := lockPath(s, "f", "h")
	// Alive by pid, so only the missing heartbeat can make it stale.
	mustWrite(t, path, fmt.Sprintf("%d %s", os.Getpid(), hostname(t)))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*stale)
	defer cancel()
	unlock, err := s.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if age := time.Since(fi.ModTime()); age < stale {
		t.Errorf("the lock was broken %v after its last refresh, before it was stale (%v)", age, stale)
	}
}

func TestLockHeartbeatKeepsLockAlive(t *testing.T) {
	const stale = time.Second
	s := newStore(t, filestore.Options{LockStale: stale})
	unlock, err := s.Lock(context.Background(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	// The holder is this live process, so the waiter can only break the
	// lock on its age, which the heartbeat keeps below stale.
	ctx, cancel := context.WithTimeout(context.Background(), 3*stale)
	defer cancel()
	if _, err := reopen(t, s).Lock(ctx, "f", "h"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock: %v, want to wait for the refreshed lock until the deadline", err)
	}
	unlock()
	if _, err := os.Stat(lockPath(s, "f", "h")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unlock left the lock file: %v", err)
	}
	unlock() // a second call does nothing
}

// TestLockHeartbeatAfterOthersEnded: one timer refreshes all the locks a
// store holds, and stops when none is left; a lock taken after that, and
// one held while another is released, are refreshed all the same.
func TestLockHeartbeatAfterOthersEnded(t *testing.T) {
	const stale = time.Second
	ctx := context.Background()
	s := newStore(t, filestore.Options{LockStale: stale})
	unlock, err := s.Lock(ctx, "f", "a")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	time.Sleep(stale / 2) // past a refresh period: the timer finds no lock and stops
	unlockB, err := s.Lock(ctx, "f", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockB()
	unlockC, err := s.Lock(ctx, "f", "c")
	if err != nil {
		t.Fatal(err)
	}
	unlockC()
	// As in TestLockHeartbeatKeepsLockAlive, the waiter could break b
	// only on its age.
	wctx, cancel := context.WithTimeout(ctx, 3*stale)
	defer cancel()
	if _, err := reopen(t, s).Lock(wctx, "f", "b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of b: %v, want to wait for the refreshed lock until the deadline", err)
	}
}

func TestUnlockLeavesAnotherHoldersLock(t *testing.T) {
	s := newStore(t, filestore.Options{})
	unlock, err := s.Lock(context.Background(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	// Someone judged us dead, broke our lock and took a new one.
	path := lockPath(s, "f", "h")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, "1 elsewhere")
	unlock()
	if got, err := os.ReadFile(path); err != nil || string(got) != "1 elsewhere" {
		t.Errorf("unlock removed or changed the new holder's lock: %q, %v", got, err)
	}
}

func TestLockContention(t *testing.T) {
	s1 := newStore(t, filestore.Options{})
	s2 := reopen(t, s1)
	const workers, rounds = 4, 15
	var inside, maxInside, acquired atomic.Int32
	var wg sync.WaitGroup
	for w := range 2 * workers {
		s := []*fileStore{s1, s2}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				unlock, err := s.Lock(context.Background(), "f", "h")
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
				}
				acquired.Add(1)
				time.Sleep(200 * time.Microsecond)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d callers held the lock at once", maxInside.Load())
	}
	if acquired.Load() != 2*workers*rounds {
		t.Errorf("%d acquisitions, want %d", acquired.Load(), 2*workers*rounds)
	}
}

func TestLockCreatesDirectoryAndHonoursContext(t *testing.T) {
	s := newStore(t, filestore.Options{})
	unlock, err := s.Lock(context.Background(), "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.Lock(ctx, "f", "h")
	var opErr *stores.OpError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &opErr) || opErr.Op != "lock" {
		t.Errorf("Lock of a held lock with a deadline: %v, want a lock *OpError wrapping DeadlineExceeded", err)
	}
}

// exitedProcess returns the pid of a process that has exited (and been
// reaped).
func exitedProcess(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=exit")
	_ = cmd.Run() // exits with status 2: an unknown child role
	return cmd.ProcessState.Pid()
}
