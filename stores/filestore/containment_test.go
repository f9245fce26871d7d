//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// blockedAfter is how long a call may take before a test calls it
// blocked: not a speed limit, a watchdog for calls that used to hang.
const blockedAfter = 20 * time.Second

// returns runs fn and fails the test if it has not returned within
// blockedAfter; it returns whether fn returned.
func returns(t testing.TB, what string, fn func()) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		return true
	case <-time.After(blockedAfter):
		t.Errorf("%s is blocked", what)
		return false
	}
}

// outside makes a directory beside the store's, with files named as a
// function's entries are, and returns it with a snapshot of its contents.
func outside(t *testing.T, s *fileStore) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(s.Dir()), "elsewhere")
	for _, name := range []string{"h.out", "h.key", "h.meta", "h.lock", "secret"} {
		mustWrite(t, filepath.Join(dir, name), "outside "+name)
	}
	return dir, snapshot(t, dir)
}

// snapshot maps the names under dir to their contents (to the link's
// target for a link, "<type>" for other files), without following links.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case e.Type().IsRegular():
			b, err := os.ReadFile(path)
			m[rel] = string(b)
			return err
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			m[rel] = "-> " + target
			return err
		default:
			m[rel] = "<" + e.Type().String() + ">"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkUnchanged(t testing.TB, dir string, want map[string]string) {
	t.Helper()
	got := snapshot(t, dir)
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("%s: %q, was %q", filepath.Join(dir, name), g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: new", filepath.Join(dir, name))
		}
	}
}

func wantForeign(t testing.TB, what string, err error) {
	t.Helper()
	var fe *filestore.ForeignError
	if !errors.Is(err, filestore.ErrForeign) || !errors.As(err, &fe) {
		t.Errorf("%s: %v, want an error wrapping ErrForeign", what, err)
	}
}

// A function directory that is a link to elsewhere is refused by every
// operation, and nothing there is read, written or removed.
func TestFuncDirLinkIsRefused(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "real", "h", stores.Record{Result: []byte("mine")})
	dir, before := outside(t, s)
	if err := os.Symlink(dir, filepath.Join(s.Dir(), "f")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "f", "h")
	wantForeign(t, "Get", err)
	_, err = s.Read(ctx, "f", "h", stores.PartResult)
	wantForeign(t, "ReadResult", err)
	wantForeign(t, "Put", s.Put(ctx, "f", "n", stores.Record{Result: []byte("new"), Key: []byte("k")}))
	wantForeign(t, "Delete", s.Delete(ctx, "f", "h"))
	wantForeign(t, "Clear", s.Clear(ctx, "f"))
	_, err = s.Len(ctx, "f")
	wantForeign(t, "Len", err)
	for _, err := range s.Entries(ctx, "f", stores.AllParts) {
		wantForeign(t, "Entries", err)
	}
	_, err = s.Lock(ctx, "f", "n")
	wantForeign(t, "Lock", err)
	for name, err := range s.Funcs(ctx) {
		if err != nil || name != "real" {
			t.Errorf("Funcs: %q, %v; want only real", name, err)
		}
	}
	checkUnchanged(t, dir, before)
	if fi, err := os.Lstat(filepath.Join(s.Dir(), "f")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link: %v, %v; want it left", fi, err)
	}
	var found []string
	for fe, err := range s.Foreign(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, fe.Path)
	}
	if want := filepath.Join(s.Dir(), "f"); len(found) != 1 || found[0] != want {
		t.Errorf("Foreign: %q, want [%q]", found, want)
	}
}

// An entry's file that is a link to a file elsewhere is never read
// through, nor removed; Foreign lists it.
func TestEntryLinkIsRefused(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "ok", stores.Record{Result: []byte("mine")})
	dir, before := outside(t, s)
	fdir := filepath.Join(s.Dir(), "f")
	for _, link := range []struct{ name, target string }{
		{"h.out", "secret"}, {"k.out", "h.out"}, {"k.key", "secret"}, {"m.out", "h.out"}, {"m.meta", "secret"},
	} {
		if err := os.Symlink(filepath.Join(dir, link.target), filepath.Join(fdir, link.name)); err != nil {
			t.Fatal(err)
		}
	}
	// k.out and m.out are links too; make k and m real records whose
	// companions are links.
	for _, h := range []string{"k", "m"} {
		os.Remove(filepath.Join(fdir, h+".out"))
		mustWrite(t, filepath.Join(fdir, h+".out"), "result of "+h)
	}
	for _, h := range []string{"h", "k", "m"} {
		rec, err := s.Get(ctx, "f", h)
		wantForeign(t, "Get "+h, err)
		if bytes.Contains(rec.Result, []byte("outside")) || bytes.Contains(rec.Key, []byte("outside")) || bytes.Contains(rec.Meta, []byte("outside")) {
			t.Errorf("Get %s returned the bytes of a file outside: %q", h, rec)
		}
	}
	_, err := s.Read(ctx, "f", "h", stores.PartResult)
	wantForeign(t, "ReadResult h", err)
	_, err = s.Read(ctx, "f", "k", stores.PartResult|stores.PartKey)
	wantForeign(t, "ReadResult k with its key", err)
	wantForeign(t, "Delete h", s.Delete(ctx, "f", "h"))
	wantForeign(t, "Put over h", s.Put(ctx, "f", "h", stores.Record{Result: []byte("new")}))
	if n, err := s.Len(ctx, "f"); err != nil || n != 3 {
		t.Errorf("Len: %d, %v; want 3 (ok, k, m)", n, err)
	}
	if err := s.Clear(ctx, "f"); err != nil {
		t.Errorf("Clear: %v", err)
	}
	checkUnchanged(t, dir, before)
	var found []string
	for fe, err := range s.Foreign(ctx, "f") {
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, filepath.Base(fe.Path))
	}
	if got := strings.Join(found, " "); !sameWords(got, "h.out k.key m.meta") {
		t.Errorf("Foreign after Clear: %s, want h.out k.key m.meta", got)
	}
}

func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, w := range x {
		seen[w]++
	}
	for _, w := range y {
		seen[w]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// A FIFO planted as a .out, .key, .meta or .lock makes no call wait for a
// writer that never comes: each reports it as foreign at once.
func TestFIFOsNeverBlock(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "k", stores.Record{Result: []byte("r")})
	fdir := filepath.Join(s.Dir(), "f")
	for _, name := range []string{"h.out", "k.key", "l.lock"} {
		if err := syscall.Mkfifo(filepath.Join(fdir, name), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	returns(t, "Get of a FIFO .out", func() {
		_, err := s.Get(ctx, "f", "h")
		wantForeign(t, "Get of a FIFO .out", err)
	})
	returns(t, "Get of a record with a FIFO .key", func() {
		_, err := s.Get(ctx, "f", "k")
		wantForeign(t, "Get of a FIFO .key", err)
	})
	returns(t, "ReadResult of a FIFO .out", func() {
		_, err := s.Read(ctx, "f", "h", stores.PartResult)
		wantForeign(t, "ReadResult of a FIFO .out", err)
	})
	returns(t, "Lock of a FIFO .lock", func() {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := s.Lock(ctx, "f", "l")
		wantForeign(t, "Lock of a FIFO .lock", err)
	})
	returns(t, "Len, Entries, Funcs", func() {
		if n, err := s.Len(ctx, "f"); err != nil || n != 1 {
			t.Errorf("Len: %d, %v; want 1", n, err)
		}
		for e, err := range s.Entries(ctx, "f", stores.AllParts) {
			if err == nil {
				t.Errorf("Entries: %s, want only k's FIFO key reported", e.Hash)
			}
			wantForeign(t, "Entries (k has a FIFO as its key)", err)
		}
		for _, err := range s.Funcs(ctx) {
			if err != nil {
				t.Error(err)
			}
		}
	})
	returns(t, "Delete, Clear", func() {
		wantForeign(t, "Delete of a FIFO .out", s.Delete(ctx, "f", "h"))
		if err := s.Clear(ctx, "f"); err != nil {
			t.Errorf("Clear: %v", err)
		}
	})
	for _, name := range []string{"h.out", "k.key", "l.lock"} {
		if fi, err := os.Lstat(filepath.Join(fdir, name)); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("%s: %v, %v; want the FIFO left where it was", name, fi, err)
		}
	}
}

// A Put through the record's own lock, whose lock file would become the
// result, refuses a link planted as the .out (renamed into place only
// where nothing is) and leaves it, the file it points to and the lock as
// they were; over a regular .out, it replaces the result.
func TestPutThroughLockOverForeignOut(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "ok", stores.Record{Result: []byte("mine")})
	dir, before := outside(t, s)
	out := filepath.Join(s.Dir(), "f", "h.out")
	if err := os.Symlink(filepath.Join(dir, "secret"), out); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(ctx, "f", "h")
	if err != nil {
		t.Fatal(err)
	}
	wantForeign(t, "Put through the lock over a link", s.Put(ctx, "f", "h", stores.Record{Result: []byte("new")}))
	if fi, err := os.Lstat(out); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("h.out after the Put: %v, %v; want the link left alone", fi, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "f", "h.lock")); err != nil {
		t.Errorf("the lock after a refused Put: %v; want it still held", err)
	}
	unlock()
	checkUnchanged(t, dir, before)

	unlock, err = s.Lock(ctx, "f", "ok")
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "f", "ok", stores.Record{Result: []byte("again")})
	unlock()
	rec, err := s.Read(ctx, "f", "ok", stores.PartResult)
	if err != nil || string(rec.Result) != "again" {
		t.Errorf("Read after a Put through the lock over a record: %q, %v; want \"again\"", rec.Result, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "f", "ok.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ok.lock after the Put: %v; want it gone, become the result", err)
	}
}
