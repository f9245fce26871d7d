//go:build linux

package filestore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// A planted (sparse) .key or .meta over 2 GiB is a regular file of the
// layout that no Put wrote: a Put of the record must replace it, as it
// replaces any other damaged companion, not fail with ErrTooLarge (a
// record that is not too large), which leaves the entry unreadable for
// good.
func TestPutOverHugeCompanion(t *testing.T) {
	ctx := context.Background()
	for _, ext := range []string{".key", ".meta"} {
		t.Run(ext, func(t *testing.T) {
			s := newStore(t, filestore.Options{})
			put(t, s, "f", "h", stores.Record{Result: []byte("r"), Key: []byte("k"), Meta: []byte("m")})
			if err := os.Truncate(filepath.Join(s.Dir(), "f", "h"+ext), 4<<30); err != nil {
				t.Fatal(err)
			}
			want := stores.Record{Result: []byte("r2"), Key: []byte("k"), Meta: []byte("m")}
			if err := s.Put(ctx, "f", "h", want); err != nil {
				t.Fatalf("Put over a 4 GiB planted %s: %v (ErrTooLarge=%v)", ext, err, stores.ErrorCode(err))
			}
			rec, err := s.Get(ctx, "f", "h")
			if err != nil || !bytes.Equal(rec.Result, want.Result) || !bytes.Equal(rec.Key, want.Key) {
				t.Fatalf("after the Put: %q/%q, %v", rec.Result, rec.Key, err)
			}
		})
	}
}

// Two Puts of one record with a new key stage the key before the
// function's directory lock; the second to commit finds the key already
// in place and does not use its staged copy, which must not be left
// behind as a temporary file.
func TestUnusedStagedCompanionRemoved(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("r0"), Key: []byte("k0")})
	fdir := filepath.Join(s.Dir(), "f")
	// Hold the function's directory lock, as another writer would.
	fd, err := syscall.Open(fdir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Put(ctx, "f", "h", stores.Record{Result: []byte("r1"), Key: []byte("k1")})
		}()
	}
	// Both have staged their .key and .out and wait for the lock.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := 0
		for _, name := range listNames(fdir) {
			if strings.Contains(name, ".tmp-") {
				n++
			}
		}
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Puts did not stage: %q", listNames(fdir))
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	syscall.Close(fd) // releases the lock
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if files := listNames(fdir); !slices.Equal(files, []string{"h.key", "h.out"}) {
		t.Errorf("after two Puts of one record the directory holds %q, want [h.key h.out]", files)
	}
}

// The cache directory reached through a link (the user's choice) and one
// that does not exist yet: Funcs, Foreign and a syncing Clear work as
// before openDir.
func TestRootOpenedAsDirectory(t *testing.T) {
	ctx := context.Background()
	real := filepath.Join(t.TempDir(), "real")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Mkdir(real, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, link, filestore.Options{Sync: true, Logger: quiet})
	put(t, s, "f", "h", stores.Record{Result: []byte("r")})
	var names []string
	for name, err := range s.Funcs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if !slices.Equal(names, []string{"f"}) {
		t.Errorf("Funcs through a linked root: %q", names)
	}
	for fe, err := range s.Foreign(ctx, "") {
		t.Errorf("Foreign through a linked root: %v, %v", fe, err)
	}
	if err := s.Clear(ctx, "f"); err != nil {
		t.Errorf("Clear (sync) through a linked root: %v", err)
	}

	missing := newStore(t, filestore.Options{})
	for name, err := range missing.Funcs(ctx) {
		t.Errorf("Funcs of a missing root: %q, %v", name, err)
	}
	for fe, err := range missing.Foreign(ctx, "") {
		t.Errorf("Foreign of a missing root: %v, %v", fe, err)
	}
	dangling := filepath.Join(t.TempDir(), "dangling")
	if err := os.Symlink(filepath.Join(t.TempDir(), "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	ds := openStore(t, dangling, filestore.Options{Logger: quiet})
	for name, err := range ds.Funcs(ctx) {
		t.Errorf("Funcs of a root linked to nothing: %q, %v", name, err)
	}
}
