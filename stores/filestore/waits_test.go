//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// A cache directory that cannot be created is a clear error at once: at
// Open when that can be told without creating anything, else at the first
// call that writes.
func TestUncreatableCacheDirectory(t *testing.T) {
	gone := t.TempDir()
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	_, err := filestore.Open("persist", filestore.Options{})
	if !errors.Is(err, filestore.ErrNoRoot) {
		t.Errorf("Open in a removed working directory: %v, want ErrNoRoot", err)
	}

	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc")
	}
	s, err := filestore.Open("/proc/nope/persist", filestore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	returns(t, "Lock under /proc", func() {
		_, err := s.Lock(ctx, "f", "h")
		if !errors.Is(err, filestore.ErrNoRoot) {
			t.Errorf("Lock under /proc: %v, want ErrNoRoot", err)
		}
	})
	returns(t, "Put under /proc", func() {
		err := s.Put(ctx, "f", "h", stores.Record{Result: []byte("r")})
		if !errors.Is(err, filestore.ErrNoRoot) {
			t.Errorf("Put under /proc: %v, want ErrNoRoot", err)
		}
	})
}

// capture collects the messages the store logs.
type capture struct {
	mu   sync.Mutex
	msgs []string
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	c.msgs = append(c.msgs, line)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }
func (c *capture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.msgs, "\n")
}

// A lock dated in the future (a clock stepped back, a file server ahead)
// is judged by what its waiter sees change: unchanged for lockstale, it
// is stale, whatever its modification time says. One dated more than
// lockstale ahead is stale at once, to Clear too.
func TestLockDatedInTheFuture(t *testing.T) {
	const stale = time.Second
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		ahead  time.Duration
		reason string
	}{
		{"by less than lockstale", stale * 9 / 10, "seen unchanged"},
		{"by an hour", time.Hour, "in the future"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log := &capture{}
			s := newStore(t, filestore.Options{LockStale: stale, Logger: slog.New(log)})
			lock := lockPath(s, "f", "h")
			mustWrite(t, lock, foreignLock)
			future := time.Now().Add(tt.ahead)
			if err := os.Chtimes(lock, future, future); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, blockedAfter)
			defer cancel()
			unlock, err := s.Lock(ctx, "f", "h")
			if err != nil {
				t.Fatalf("Lock: %v (the lock dated %v ahead was never judged stale)", err, tt.ahead)
			}
			unlock()
			if !strings.Contains(log.text(), tt.reason) {
				t.Errorf("log: %q, want the lock broken as %q", log.text(), tt.reason)
			}
		})
	}
	t.Run("Clear", func(t *testing.T) {
		s := newStore(t, filestore.Options{LockStale: stale, Logger: quiet})
		put(t, s, "f", "r", stores.Record{Result: []byte("r")})
		lock := lockPath(s, "f", "h")
		mustWrite(t, lock, foreignLock)
		future := time.Now().Add(time.Hour)
		if err := os.Chtimes(lock, future, future); err != nil {
			t.Fatal(err)
		}
		if err := s.Clear(ctx, "f"); err != nil {
			t.Fatal(err)
		}
		if names := listDir(t, s.Dir()); len(names) != 0 {
			t.Errorf("after Clear: %q, want the lock dated an hour ahead broken and the directory gone", names)
		}
	})
}

// holdDirLock takes the function directory's flock as another process
// would, and returns its release.
func holdDirLock(t *testing.T, s *fileStore, funcname string) func() {
	t.Helper()
	d, err := os.Open(filepath.Join(s.Dir(), funcname))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() { once.Do(func() { d.Close() }) }
	t.Cleanup(release)
	return release
}

// While another process holds the function's directory lock, every call
// that waits for it ends with its context, and unlock does not wait.
func TestDirLockWaitsHonourContext(t *testing.T) {
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("r")})
	unlock, err := s.Lock(context.Background(), "f", "held")
	if err != nil {
		t.Fatal(err)
	}
	release := holdDirLock(t, s, "f")
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"Put", func() error { return s.Put(short(), "f", "n", stores.Record{Result: []byte("r")}) }},
		{"Put through a held lock", func() error { return s.Put(short(), "f", "held", stores.Record{Result: []byte("r")}) }},
		{"Delete", func() error { return s.Delete(short(), "f", "h") }},
		{"Clear", func() error { return s.Clear(short(), "f") }},
	} {
		returns(t, c.name, func() {
			if err := c.call(); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s while the directory lock is held: %v, want DeadlineExceeded", c.name, err)
			}
		})
	}
	unlock2, err := s.Lock(context.Background(), "f", "other")
	if err != nil {
		t.Fatal(err)
	}
	returns(t, "unlock", unlock2)
	returns(t, "unlock", unlock)
	release()
	// The releases finish once the directory lock is free.
	for _, h := range []string{"held", "other"} {
		for {
			if _, err := os.Stat(lockPath(s, "f", h)); errors.Is(err, fs.ErrNotExist) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	if rec, err := s.Get(context.Background(), "f", "h"); err != nil || string(rec.Result) != "r" {
		t.Errorf("the record after all that: %q, %v", rec.Result, err)
	}
}

// bigDir is a directory on tmpfs when there is one: the large Puts test
// an order of events, and need not wait for a disk.
func bigDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "filestore-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// A Put writes its data before it takes the function's directory lock,
// which every hash of the function shares: a large Put holds up no Put
// of another hash. While another holder has the directory lock, a Put's
// data is already written in full, beside the live files, and after it
// the small Put of another hash commits before the large one.
func TestPutWritesDataBeforeDirLock(t *testing.T) {
	const size = 64 << 20
	big := bytes.Repeat([]byte{'b'}, size)
	for _, throughLock := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "through its lock"}[throughLock]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, filepath.Join(bigDir(t), "persist"), filestore.Options{Logger: quiet})
			put(t, s, "f", "x", stores.Record{Result: []byte("x")})
			if throughLock {
				unlock, err := s.Lock(ctx, "f", "big")
				if err != nil {
					t.Fatal(err)
				}
				defer unlock()
			}
			release := holdDirLock(t, s, "f")
			var events []string
			var mu sync.Mutex
			event := func(e string) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, e)
			}
			bigDone := make(chan error, 1)
			go func() {
				err := s.Put(ctx, "f", "big", stores.Record{Result: big})
				event("big committed")
				bigDone <- err
			}()
			// Wait for the data to be written in full while the directory
			// lock is held by another.
			deadline := time.Now().Add(blockedAfter)
			for !hasFileOfSize(t, filepath.Join(s.Dir(), "f"), size) {
				if time.Now().After(deadline) {
					release()
					<-bigDone
					t.Fatalf("the data of a Put was not written while another held the directory lock: %q", listDir(t, filepath.Join(s.Dir(), "f")))
				}
				time.Sleep(time.Millisecond)
			}
			event("big data written")
			release()
			// The big Put now commits; a small one of another hash needs
			// the lock only as long as its commit takes.
			if err := s.Put(ctx, "f", "small", stores.Record{Result: []byte("s")}); err != nil {
				t.Fatal(err)
			}
			event("small committed")
			if err := <-bigDone; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			if events[0] != "big data written" {
				t.Errorf("events: %q", events)
			}
			mu.Unlock()
			rec, err := s.Get(ctx, "f", "big")
			if err != nil || !bytes.Equal(rec.Result, big) {
				t.Errorf("Get big: %d bytes, %v", len(rec.Result), err)
			}
		})
	}
}

// hasFileOfSize reports whether dir holds a file of the size given.
func hasFileOfSize(t *testing.T, dir string, size int64) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Size() >= size {
			return true
		}
	}
	return false
}
