//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// foreignFiles are files in a function directory that are not the store's:
// they must never be counted, listed or removed.
var foreignFiles = []string{
	"README",
	"x.out~",
	"notes.out.bak",
	".out",                        // no hash
	"h1.out.tmp-notours",          // not the store's temporary-name pattern
	"h1.out.tmp-0123456789ABCDEF", // upper case: not ours either
	"h1.txt",
}

// ourLeftovers are files the store may leave after a crash: Clear removes
// them, Len and Entries ignore them.
var ourLeftovers = []string{
	"h1.out.tmp-0123456789abcdef",
	"h7.key.tmp-fedcba9876543210",
	"h7.meta.tmp-00000000ffffffff",
	"h8.lock.stale-0123456789abcdef",
}

func TestClearListOnlyOwnFiles(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	dir := filepath.Join(s.Dir(), "f")
	put(t, s, "f", "h1", stores.Record{Result: []byte("1"), Key: []byte("k1"), Meta: []byte("m1")})
	put(t, s, "f", "h2", stores.Record{Result: []byte("2")})
	put(t, s, "g", "h1", stores.Record{Result: []byte("other function"), Key: []byte("k")})
	for _, name := range append(slices.Clone(foreignFiles), ourLeftovers...) {
		mustWrite(t, filepath.Join(dir, name), "x")
	}
	mustWrite(t, filepath.Join(dir, "sub", "h3.out"), "in a subdirectory")
	if err := os.Symlink(filepath.Join("..", "g", "h1.out"), filepath.Join(dir, "link.out")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "orphan.key"), "a key whose .out is gone")
	// A stale lock (old), and one held by this live process.
	mustWrite(t, filepath.Join(dir, "h5.lock"), fmt.Sprintf("%d %s", os.Getpid(), hostname(t)))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "h5.lock"), old, old); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(ctx, "f", "h6")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	if n, err := s.Len(ctx, "f"); n != 2 || err != nil {
		t.Errorf("Len = %d, %v; want 2", n, err)
	}
	var hashes []string
	for e, err := range s.Entries(ctx, "f", stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, e.Hash)
	}
	slices.Sort(hashes)
	if !slices.Equal(hashes, []string{"h1", "h2"}) {
		t.Errorf("Entries = %q, want h1, h2", hashes)
	}

	if err := s.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(foreignFiles), "sub/", "link.out", "h6.lock")
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("after Clear, %s holds\n%q\nwant\n%q", dir, got, want)
	}
	if got := listDir(t, filepath.Join(dir, "sub")); !slices.Equal(got, []string{"h3.out"}) {
		t.Errorf("Clear touched a subdirectory: %q", got)
	}
	rec, err := s.Get(ctx, "g", "h1")
	if err != nil || string(rec.Result) != "other function" {
		t.Errorf("another function's record after Clear: %q, %v", rec.Result, err)
	}
	if n, err := s.Len(ctx, "f"); n != 0 || err != nil {
		t.Errorf("Len after Clear = %d, %v", n, err)
	}

	// With the foreign files gone and the lock released, Clear removes the
	// directory itself.
	unlock()
	for _, name := range append(slices.Clone(foreignFiles), "sub", "link.out") {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, s, "f", "h1", stores.Record{Result: []byte("again")})
	if err := s.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Clear left the empty directory: %v (holds %q)", err, listDir(t, dir))
	}
	if got := listDir(t, s.Dir()); !slices.Equal(got, []string{"g/"}) {
		t.Errorf("store directory holds %q, want only g/", got)
	}
}

func TestFuncs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "triple", "h", stores.Record{Result: []byte("3")})
	put(t, s, "double", "h", stores.Record{Result: []byte("2")})
	mustWrite(t, filepath.Join(s.Dir(), "onlyreadme", "README"), "x")
	mustWrite(t, filepath.Join(s.Dir(), "onlytemp", "h.out.tmp-0123456789abcdef"), "x")
	mustWrite(t, filepath.Join(s.Dir(), "afile.out"), "x")
	if err := os.Mkdir(filepath.Join(s.Dir(), "empty"), 0o777); err != nil {
		t.Fatal(err)
	}
	var got []string
	for f, err := range s.Funcs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"double", "triple"}) {
		t.Errorf("Funcs = %q, want double, triple", got)
	}
}

func TestEntriesManyBatches(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	const n = 1000 // several directory batches
	for i := range n {
		put(t, s, "f", fmt.Sprint("h", i), stores.Record{Result: []byte(fmt.Sprint(i * i))})
	}
	seen := map[string]bool{}
	for e, err := range s.Entries(ctx, "f", stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.Hash] {
			t.Errorf("%s listed twice", e.Hash)
		}
		seen[e.Hash] = true
		var i int
		if _, err := fmt.Sscan(e.Hash[1:], &i); err != nil || string(e.Result) != fmt.Sprint(i*i) {
			t.Errorf("entry %s holds %q", e.Hash, e.Result)
		}
	}
	if len(seen) != n {
		t.Errorf("Entries listed %d records, want %d", len(seen), n)
	}
	if c, err := s.Len(ctx, "f"); c != n || err != nil {
		t.Errorf("Len = %d, %v; want %d", c, err, n)
	}

	// Stopping early stops the listing, with no error reported after.
	count := 0
	for _, err := range s.Entries(ctx, "f", stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count == 300 {
			break
		}
	}
	if count != 300 {
		t.Errorf("stopped after %d entries, want 300", count)
	}

	// A context that ends mid-listing ends it with the context's error.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var last error
	seenBeforeCancel := 0
	for _, err := range s.Entries(cctx, "f", stores.AllParts) {
		if err != nil {
			last = err
			break
		}
		seenBeforeCancel++
		cancel()
	}
	if !errors.Is(last, context.Canceled) || seenBeforeCancel >= n {
		t.Errorf("after cancel: %d entries then %v; want context.Canceled before the end", seenBeforeCancel, last)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("r"), Key: []byte("k"), Meta: []byte("m")})
	put(t, s, "f", "keep", stores.Record{Result: []byte("r")})
	if err := s.Delete(ctx, "f", "h"); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Join(s.Dir(), "f")); !slices.Equal(got, []string{"keep.out"}) {
		t.Errorf("after Delete: %q", got)
	}
	if err := s.Delete(ctx, "f", "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	// Companions left without their .out (a crash between steps) go too.
	mustWrite(t, filepath.Join(s.Dir(), "f", "stray.key"), "k")
	if err := s.Delete(ctx, "f", "stray"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Delete of a stray key: %v, want ErrNotFound", err)
	}
	if got := listDir(t, filepath.Join(s.Dir(), "f")); !slices.Equal(got, []string{"keep.out"}) {
		t.Errorf("after deleting a stray key: %q", got)
	}
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Skip("no host name:", err)
	}
	return h
}
