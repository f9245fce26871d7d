//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// foreignLock is the content of a lock taken by another process.
const foreignLock = "1 elsewhere 2024-01-01T00:00:00Z\n"

// lockAndPut locks (funcname, hash) on s, puts rec and returns the lock
// file as it was before the Put, and unlock.
func lockAndPut(t *testing.T, s *fileStore, funcname, hash string, rec stores.Record) (os.FileInfo, func()) {
	t.Helper()
	ctx := context.Background()
	unlock, err := s.Lock(ctx, funcname, hash)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.Stat(lockPath(s, funcname, hash))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, funcname, hash, rec); err != nil {
		t.Fatal(err)
	}
	return lock, unlock
}

// TestPutThroughHeldLock checks that a Put of a record whose lock the
// store holds turns the lock file into the .out, and that unlock then
// touches nothing: by then the lock's path may hold another caller's lock.
func TestPutThroughHeldLock(t *testing.T) {
	tests := []struct {
		name string
		rec  stores.Record
		want []string
	}{
		{"result only", stores.Record{Result: []byte("21")}, []string{"h.out"}},
		{"with key", stores.Record{Result: []byte("21"), Key: []byte("x=7")}, []string{"h.key", "h.out"}},
		{"with key and meta", stores.Record{Result: []byte("21"), Key: []byte("x=7"), Meta: []byte("m")}, []string{"h.key", "h.meta", "h.out"}},
		{"empty result", stores.Record{Result: []byte{}}, []string{"h.out"}},
		{"result longer than the lock's content", stores.Record{Result: bytes.Repeat([]byte("r"), 100_000)}, []string{"h.out"}},
	}
	for _, sync := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/sync=%v", tt.name, sync), func(t *testing.T) {
				s := newStore(t, filestore.Options{Sync: sync})
				dir := filepath.Join(s.Dir(), "f")
				lock, unlock := lockAndPut(t, s, "f", "h", tt.rec)
				if got := listDir(t, dir); !slices.Equal(got, tt.want) {
					t.Errorf("after Put under the lock, the directory holds %q, want %q", got, tt.want)
				}
				out, err := os.Stat(filepath.Join(dir, "h.out"))
				if err != nil {
					t.Fatal(err)
				}
				if !os.SameFile(lock, out) {
					t.Error("the .out is not the lock file: the Put did not write through the lock")
				}
				rec, err := reopen(t, s).Get(context.Background(), "f", "h")
				if err != nil {
					t.Fatal(err)
				}
				checkRecord(t, rec, tt.rec)

				// Another caller, seeing the lock gone, takes it.
				path := lockPath(s, "f", "h")
				mustWrite(t, path, foreignLock)
				unlock()
				if got, err := os.ReadFile(path); err != nil || string(got) != foreignLock {
					t.Errorf("unlock after the Put changed the path it no longer holds: %q, %v", got, err)
				}
				unlock() // a second call does nothing either
				if _, err := os.Stat(path); err != nil {
					t.Errorf("the second unlock removed another caller's lock: %v", err)
				}
			})
		}
	}
}

// TestPutThroughHeldLockReplaces checks the Puts that replace a record:
// with the same companions (the .out is renamed over) and with others
// (the old .out and companions go first).
func TestPutThroughHeldLockReplaces(t *testing.T) {
	old := stores.Record{Result: []byte("old"), Key: []byte("k"), Meta: []byte("m")}
	for _, rec := range []stores.Record{
		{Result: []byte("new"), Key: []byte("k"), Meta: []byte("m")},
		{Result: []byte("new"), Key: []byte("k2")},
		{Result: []byte("new")},
	} {
		s := newStore(t, filestore.Options{})
		put(t, s, "f", "h", old)
		lock, unlock := lockAndPut(t, s, "f", "h", rec)
		unlock()
		got, err := s.Get(context.Background(), "f", "h")
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, got, rec)
		out, err := os.Stat(filepath.Join(s.Dir(), "f", "h.out"))
		if err != nil || !os.SameFile(lock, out) {
			t.Errorf("the .out is not the lock file (%v)", err)
		}
		if _, err := os.Stat(lockPath(s, "f", "h")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the lock is still there: %v", err)
		}
	}
}

// TestPutAfterHeldLockWasBroken: a holder that stalled had its lock broken
// as stale and, maybe, replaced by another caller's. Its Put must store the
// record the usual way and leave the path of the lock alone.
func TestPutAfterHeldLockWasBroken(t *testing.T) {
	for _, replaced := range []bool{false, true} {
		t.Run(fmt.Sprint("replaced=", replaced), func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, filestore.Options{})
			unlock, err := s.Lock(ctx, "f", "h")
			if err != nil {
				t.Fatal(err)
			}
			path := lockPath(s, "f", "h")
			if err := os.Remove(path); err != nil { // broken
				t.Fatal(err)
			}
			var foreign os.FileInfo
			if replaced {
				mustWrite(t, path, foreignLock)
				if foreign, err = os.Stat(path); err != nil {
					t.Fatal(err)
				}
			}
			rec := stores.Record{Result: []byte("21"), Key: []byte("x=7")}
			if err := s.Put(ctx, "f", "h", rec); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "f", "h")
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, got, rec)
			checkForeign := func(when string) {
				t.Helper()
				now, err := os.Stat(path)
				if !replaced {
					if !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s, a lock file appeared: %v", when, err)
					}
					return
				}
				content, rerr := os.ReadFile(path)
				if err != nil || rerr != nil || !os.SameFile(now, foreign) || string(content) != foreignLock {
					t.Errorf("%s, the other caller's lock was changed: %q, %v, %v", when, content, err, rerr)
				}
			}
			checkForeign("after the Put")
			want := []string{"h.key", "h.out"}
			if replaced {
				want = []string{"h.key", "h.lock", "h.out"}
			}
			if files := listDir(t, filepath.Join(s.Dir(), "f")); !slices.Equal(files, want) {
				t.Errorf("directory holds %q, want %q", files, want)
			}
			unlock()
			checkForeign("after unlock")
		})
	}
}

// TestPutThroughLockOfAnotherHandle: only the handle that holds a lock
// writes through it; a Put on another handle leaves the lock held.
func TestPutThroughLockOfAnotherHandle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	unlock, err := s.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	put(t, reopen(t, s), "f", "h", stores.Record{Result: []byte("21")})
	if _, err := os.Stat(lockPath(s, "f", "h")); err != nil {
		t.Errorf("a Put on another handle released the lock: %v", err)
	}
	unlock()
	if _, err := os.Stat(lockPath(s, "f", "h")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unlock left the lock file: %v", err)
	}
	if rec, err := s.Get(ctx, "f", "h"); err != nil || string(rec.Result) != "21" {
		t.Errorf("Get = %q, %v", rec.Result, err)
	}
}

// TestWaiterFindsResultWrittenThroughLock: a waiter on the lock returns
// when the holder's Put turns the lock into the result, and finds it.
func TestWaiterFindsResultWrittenThroughLock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	unlock, err := s.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	waiter := reopen(t, s)
	got := make(chan error, 1)
	go func() {
		wunlock, err := waiter.Lock(ctx, "f", "h")
		if err != nil {
			got <- err
			return
		}
		defer wunlock()
		rec, err := waiter.Get(ctx, "f", "h")
		if err == nil && string(rec.Result) != "21" {
			err = fmt.Errorf("result %q, want 21", rec.Result)
		}
		got <- err
	}()
	put(t, s, "f", "h", stores.Record{Result: []byte("21")})
	if err := <-got; err != nil {
		t.Errorf("the waiter, once it had the lock: %v", err)
	}
}

// TestLockHoldingPartialResult: a holder killed while writing its result
// into its lock file leaves a lock whose content is no holder's identity.
// It is still a lock: never read as a record, kept by Clear while fresh,
// and broken once unrefreshed for the staleness limit.
func TestLockHoldingPartialResult(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	path := lockPath(s, "f", "h")
	partial := "(\xb5/\xfd\x04\x00\x09\x00\x00" // the start of a stored result
	mustWrite(t, path, partial)
	if _, err := s.Get(ctx, "f", "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of a record whose lock holds a partial result: %v, want a miss", err)
	}
	if n, err := s.Len(ctx, "f"); n != 0 || err != nil {
		t.Errorf("Len = %d, %v; want 0", n, err)
	}
	if err := s.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != partial {
		t.Errorf("Clear changed a fresh lock: %q, %v", got, err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, s.Dir()); got != nil {
		t.Errorf("Clear left %q after the lock went stale", got)
	}
}

// TestPutWithoutCompanionsOverForeignOnes: a record with no key and no
// metadata, put through its lock or not, over a .key or .meta that is a
// link, a FIFO or a directory: the Put is refused as foreign at once, no
// .out appears, the foreign file stays as it was, and a held lock stays
// held. (A miss asks only whether the companions are absent, with one
// fstatat each; this holds that answer to what reading them would say.)
func TestPutWithoutCompanionsOverForeignOnes(t *testing.T) {
	ctx := context.Background()
	for _, ext := range []string{".key", ".meta"} {
		for _, kind := range []string{"link", "fifo", "dir"} {
			for _, held := range []bool{false, true} {
				t.Run(fmt.Sprint(ext, "/", kind, "/held=", held), func(t *testing.T) {
					s := newStore(t, filestore.Options{})
					put(t, s, "f", "ok", stores.Record{Result: []byte("mine")})
					dir, before := outside(t, s)
					planted := filepath.Join(s.Dir(), "f", "h"+ext)
					var err error
					switch kind {
					case "link":
						err = os.Symlink(filepath.Join(dir, "secret"), planted)
					case "fifo":
						err = syscall.Mkfifo(planted, 0o644)
					case "dir":
						err = os.Mkdir(planted, 0o755)
					}
					if err != nil {
						t.Fatal(err)
					}
					plantedBefore, err := os.Lstat(planted)
					if err != nil {
						t.Fatal(err)
					}
					unlock := func() {}
					if held {
						if unlock, err = s.Lock(ctx, "f", "h"); err != nil {
							t.Fatal(err)
						}
					}
					wantForeign(t, "Put", s.Put(ctx, "f", "h", stores.Record{Result: []byte("new")}))
					if _, err := os.Lstat(filepath.Join(s.Dir(), "f", "h.out")); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("h.out after a refused Put: %v; want none", err)
					}
					if fi, err := os.Lstat(planted); err != nil || !os.SameFile(fi, plantedBefore) || fi.Mode() != plantedBefore.Mode() {
						t.Errorf("the foreign h%s after the Put: %v, %v; want it left alone", ext, fi, err)
					}
					if _, err := os.Stat(lockPath(s, "f", "h")); held && err != nil {
						t.Errorf("the lock after a refused Put: %v; want it still held", err)
					}
					unlock()
					if _, err := os.Stat(lockPath(s, "f", "h")); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("the lock after unlock: %v; want it gone", err)
					}
					checkUnchanged(t, dir, before)
				})
			}
		}
	}
}
