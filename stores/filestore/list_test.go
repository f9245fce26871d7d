//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// settle waits until the directory's last change is old enough for List
// to keep its reading (see listcache.go), so that the tests below cover
// the kept readings, not only fresh ones.
func settle() { time.Sleep(200 * time.Millisecond) }

// List works from names and stats: a FIFO as a record's .key, which
// would block a reader that opened it without O_NONBLOCK and is refused by
// Read, counts no bytes; a FIFO as a .out is no record; a .out that no one
// may read is listed with its size.
func TestListDoesNotReadRecords(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "fifokey", stores.Record{Result: []byte("abc"), Key: []byte("k")})
	put(t, s, "f", "locked", stores.Record{Result: []byte("12345"), Meta: []byte("mm")})
	put(t, s, "f", "plain", stores.Record{Result: []byte("x")})
	dir := filepath.Join(s.Dir(), "f")
	if err := os.Remove(filepath.Join(dir, "fifokey.key")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fifokey.key", "fifoout.out"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"locked.out", "locked.meta"} {
		if err := os.Chmod(filepath.Join(dir, name), 0); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int64{"fifokey": 3, "locked": 7, "plain": 1}
	for _, pass := range []string{"fresh", "kept"} {
		var page []stores.Meta
		var err error
		returns(t, "List "+pass, func() { page, _, err = s.List(ctx, "f", "", 10) })
		if err != nil {
			t.Fatalf("List (%s): %v", pass, err)
		}
		got := map[string]int64{}
		for _, m := range page {
			got[m.Hash] = m.Size
			if m.Created.IsZero() {
				t.Errorf("List (%s): %s has no time", pass, m.Hash)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("List (%s) = %v, want %v", pass, got, want)
		}
		settle()
	}
	_, err := s.Read(ctx, "f", "fifokey", stores.PartResult|stores.PartKey)
	wantForeign(t, "Read of a record whose .key is a FIFO, with its key", err)
}

// Read of the result alone does not touch the .key: a record whose .key
// cannot be read (a FIFO, or no permission) is still a hit.
func TestReadResultIgnoresAnUnreadableKey(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "fifo", stores.Record{Result: []byte("r1"), Key: []byte("k")})
	put(t, s, "f", "noperm", stores.Record{Result: []byte("r2"), Key: []byte("k")})
	dir := filepath.Join(s.Dir(), "f")
	if err := os.Remove(filepath.Join(dir, "fifo.key")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.key"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "noperm.key"), 0); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{"fifo": "r1", "noperm": "r2"} {
		var rec stores.Record
		var err error
		returns(t, "Read "+hash, func() { rec, err = s.Read(ctx, "f", hash, stores.PartResult) })
		if err != nil || string(rec.Result) != want || rec.Key != nil || rec.Created.IsZero() {
			t.Errorf("Read(%s, PartResult) = %q, key %q, %v; want %q", hash, rec.Result, rec.Key, err, want)
		}
	}
	_, err := s.Read(ctx, "f", "fifo", stores.PartResult|stores.PartKey)
	wantForeign(t, "Read of the FIFO key", err)
}

// pageAll lists every record of funcname a page of n at a time and checks
// that the hashes ascend across pages.
func pageAll(t *testing.T, s *fileStore, funcname string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var hashes []string
	token := ""
	for {
		page, next, err := s.List(ctx, funcname, token, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			if len(hashes) > 0 && m.Hash <= hashes[len(hashes)-1] {
				t.Fatalf("List: %q after %q", m.Hash, hashes[len(hashes)-1])
			}
			hashes = append(hashes, m.Hash)
		}
		if next == "" {
			return hashes
		}
		token = next
	}
}

// Paging lists every record that exists throughout exactly once, while
// another handle (as another process would) writes and removes records of
// new hashes between and during the pages; and once the writes stop, the
// pages list exactly the records there are, from a kept reading as from a
// fresh one.
func TestListPagesExactlyOnceUnderWrites(t *testing.T) {
	const stable = 3000
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	dir := filepath.Join(s.Dir(), "f")
	plantRecords(t, dir, stable)
	want := pageAll(t, s, "f", stores.MaxPage)
	if len(want) != stable {
		t.Fatalf("listed %d records, want %d", len(want), stable)
	}
	settle()

	// The writer does a bounded number of writes, so that the pages, which
	// read a directory that keeps changing afresh each time, catch up.
	const writes = 1500
	writer := reopen(t, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var written []string
		for i := range writes {
			// Hashes between the stable ones and around them.
			h := fmt.Sprintf("%016x-new%05d", uint64(i)*0x2545f4914f6cdd1d, i)
			if err := writer.Put(ctx, "f", h, stores.Record{Result: []byte("new")}); err != nil {
				t.Error(err)
				return
			}
			written = append(written, h)
			if i%3 == 0 {
				if err := writer.Delete(ctx, "f", written[i/2]); err != nil && !errors.Is(err, stores.ErrNotFound) {
					t.Error(err)
					return
				}
			}
		}
	}()
	for passes := 0; ; passes++ {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		if finished && passes > 0 {
			break
		}
		seen := map[string]int{}
		for _, h := range pageAll(t, s, "f", 37) {
			seen[h]++
		}
		for _, h := range want {
			if seen[h] != 1 {
				t.Fatalf("record %s listed %d times, want once", h, seen[h])
			}
		}
	}
	// Quiet again: every record there is, once, fresh and kept.
	n, err := s.Len(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	for _, pass := range []string{"fresh", "kept"} {
		got := pageAll(t, s, "f", 101)
		if len(got) != n {
			t.Errorf("%s: listed %d records, Len says %d", pass, len(got), n)
		}
		settle()
	}
}

// A kept reading is dropped when the directory changes: a record written,
// one removed and a directory cleared and written again all show in the
// next page.
func TestListSeesChangesAfterAKeptReading(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	other := reopen(t, s)
	for _, h := range []string{"a", "b", "c"} {
		put(t, s, "f", h, stores.Record{Result: []byte(h)})
	}
	settle()
	list := func() string {
		t.Helper()
		page, _, err := s.List(ctx, "f", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, m := range page {
			hs = append(hs, fmt.Sprintf("%s:%d", m.Hash, m.Size))
		}
		return fmt.Sprint(hs)
	}
	if got := list(); got != "[a:1 b:1 c:1]" {
		t.Fatalf("List = %s", got)
	}
	// Changes right after the kept reading, by another handle.
	put(t, other, "f", "d", stores.Record{Result: []byte("dd")})
	if got := list(); got != "[a:1 b:1 c:1 d:2]" {
		t.Errorf("after a Put: List = %s", got)
	}
	settle()
	_ = list()
	if err := other.Delete(ctx, "f", "b"); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "[a:1 c:1 d:2]" {
		t.Errorf("after a Delete: List = %s", got)
	}
	settle()
	_ = list()
	if err := other.Clear(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	put(t, other, "f", "z", stores.Record{Result: []byte("zzz")})
	if got := list(); got != "[z:3]" {
		t.Errorf("after Clear and a Put: List = %s", got)
	}
	if n, err := s.Len(ctx, "f"); err != nil || n != 1 {
		t.Errorf("Len = %d, %v; want 1", n, err)
	}
}

// MapResult maps a stored result; an empty one cannot be mapped and is
// ErrUnsupported, a missing one ErrNotFound, a FIFO ErrForeign.
func TestMapResult(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("mapped")})
	put(t, s, "f", "empty", stores.Record{Result: []byte{}})
	data, release, err := s.MapResult(ctx, "f", "h")
	if err != nil || string(data) != "mapped" {
		t.Fatalf("MapResult = %q, %v", data, err)
	}
	// Replacing the record leaves the mapping as it was.
	put(t, s, "f", "h", stores.Record{Result: []byte("MAPPED")})
	if string(data) != "mapped" {
		t.Errorf("mapping after a Put = %q", data)
	}
	if err := release(); err != nil {
		t.Error(err)
	}
	if _, _, err := s.MapResult(ctx, "f", "empty"); !errors.Is(err, stores.ErrUnsupported) {
		t.Errorf("MapResult of an empty result: %v, want ErrUnsupported", err)
	}
	if _, _, err := s.MapResult(ctx, "f", "missing"); !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("MapResult of a missing record: %v, want ErrNotFound", err)
	}
	if err := syscall.Mkfifo(filepath.Join(s.Dir(), "f", "fifo.out"), 0o666); err != nil {
		t.Fatal(err)
	}
	returns(t, "MapResult of a FIFO", func() {
		_, _, err := s.MapResult(ctx, "f", "fifo")
		wantForeign(t, "MapResult of a FIFO", err)
	})
}
