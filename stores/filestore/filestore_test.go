//go:build unix

package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

func TestLayout(t *testing.T) {
	tests := []struct {
		name  string
		rec   stores.Record
		files map[string]string // name in <dir>/<funcname> → content
	}{
		{"result only", stores.Record{Result: []byte("9")},
			map[string]string{"h.out": "9"}},
		{"with key", stores.Record{Result: []byte("9"), Key: []byte("x=3")},
			map[string]string{"h.out": "9", "h.key": "x=3"}},
		{"with key and meta", stores.Record{Result: []byte("9"), Key: []byte("x=3"), Meta: []byte("by test")},
			map[string]string{"h.out": "9", "h.key": "x=3", "h.meta": "by test"}},
		{"meta only", stores.Record{Result: []byte("9"), Meta: []byte("m")},
			map[string]string{"h.out": "9", "h.meta": "m"}},
		{"empty result and empty key", stores.Record{Result: []byte{}, Key: []byte{}},
			map[string]string{"h.out": "", "h.key": ""}},
		{"binary result", stores.Record{Result: []byte{0, 255, '\n', 0}},
			map[string]string{"h.out": "\x00\xff\n\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, filestore.Options{})
			put(t, s, "triple", "h", tt.rec)
			dir := filepath.Join(s.Dir(), "triple")
			var want []string
			for name, content := range tt.files {
				want = append(want, name)
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != content {
					t.Errorf("%s holds %q, want %q", name, got, content)
				}
			}
			slices.Sort(want)
			if got := listDir(t, dir); !slices.Equal(got, want) {
				t.Errorf("files %q, want %q", got, want)
			}
			if got := listDir(t, s.Dir()); !slices.Equal(got, []string{"triple/"}) {
				t.Errorf("store directory holds %q, want only triple/", got)
			}

			rec, err := s.Get(context.Background(), "triple", "h")
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, rec, tt.rec)
			fi, err := os.Stat(filepath.Join(dir, "h.out"))
			if err != nil {
				t.Fatal(err)
			}
			if !rec.Created.Equal(fi.ModTime()) {
				t.Errorf("Created = %v, want the .out's modification time %v", rec.Created, fi.ModTime())
			}
		})
	}
}

// checkRecord compares the byte fields of got with want, telling nil from
// empty for Key and Meta.
func checkRecord(t *testing.T, got, want stores.Record) {
	t.Helper()
	if !bytes.Equal(got.Result, want.Result) {
		t.Errorf("Result = %q, want %q", got.Result, want.Result)
	}
	for _, f := range []struct {
		name      string
		got, want []byte
	}{{"Key", got.Key, want.Key}, {"Meta", got.Meta, want.Meta}} {
		if !bytes.Equal(f.got, f.want) || (f.got == nil) != (f.want == nil) {
			t.Errorf("%s = %q (nil: %v), want %q (nil: %v)", f.name, f.got, f.got == nil, f.want, f.want == nil)
		}
	}
}

func TestOverwrite(t *testing.T) {
	s := newStore(t, filestore.Options{})
	dir := filepath.Join(s.Dir(), "f")
	steps := []struct {
		name  string
		rec   stores.Record
		files []string
	}{
		{"first", stores.Record{Result: []byte("r1"), Key: []byte("k1"), Meta: []byte("m1")}, []string{"h.key", "h.meta", "h.out"}},
		{"same key, new result", stores.Record{Result: []byte("r2"), Key: []byte("k1"), Meta: []byte("m1")}, []string{"h.key", "h.meta", "h.out"}},
		{"key dropped", stores.Record{Result: []byte("r3"), Meta: []byte("m1")}, []string{"h.meta", "h.out"}},
		{"new key, meta dropped", stores.Record{Result: []byte("r4"), Key: []byte("k2")}, []string{"h.key", "h.out"}},
		{"different key", stores.Record{Result: []byte("r5"), Key: []byte("k3"), Meta: []byte("m3")}, []string{"h.key", "h.meta", "h.out"}},
		{"bare result", stores.Record{Result: []byte("r6")}, []string{"h.out"}},
	}
	for _, st := range steps {
		put(t, s, "f", "h", st.rec)
		if got := listDir(t, dir); !slices.Equal(got, st.files) {
			t.Fatalf("after %s: files %q, want %q", st.name, got, st.files)
		}
		rec, err := s.Get(context.Background(), "f", "h")
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, rec, st.rec)
	}
}

func TestUnsafeNamesTouchNothing(t *testing.T) {
	bad := []string{"", ".", "..", "a/b", "../escape", `a\b`, "a\x00b", strings.Repeat("x", stores.MaxNameLen+1)}
	ctx := context.Background()
	for _, name := range bad {
		s := newStore(t, filestore.Options{})
		ops := map[string]func() error{
			"get funcname":  func() error { _, err := s.Get(ctx, name, "h"); return err },
			"get hash":      func() error { _, err := s.Get(ctx, "f", name); return err },
			"put funcname":  func() error { return s.Put(ctx, name, "h", stores.Record{Result: []byte("x")}) },
			"put hash":      func() error { return s.Put(ctx, "f", name, stores.Record{Result: []byte("x")}) },
			"delete hash":   func() error { return s.Delete(ctx, "f", name) },
			"len":           func() error { _, err := s.Len(ctx, name); return err },
			"clear":         func() error { return s.Clear(ctx, name) },
			"lock funcname": func() error { _, err := s.Lock(ctx, name, "h"); return err },
			"lock hash":     func() error { _, err := s.Lock(ctx, "f", name); return err },
			"entries": func() error {
				for _, err := range s.Entries(ctx, name, stores.AllParts) {
					return err
				}
				return nil
			},
		}
		for op, call := range ops {
			err := call()
			var opErr *stores.OpError
			var nameErr *stores.NameError
			if !errors.Is(err, stores.ErrInvalidName) || !errors.As(err, &opErr) || !errors.As(err, &nameErr) {
				t.Errorf("%s %q: err = %v, want an *OpError wrapping a *NameError", op, name, err)
			}
		}
		if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("names %q: the store directory was created (stat: %v)", name, err)
		}
	}
}

func TestOpenURL(t *testing.T) {
	tests := []struct {
		url       string
		dir       string
		sync      bool
		lockStale time.Duration
	}{
		{"file://persist/", "persist/", false, filestore.DefaultLockStale},
		{"file:///var/cache/results", "/var/cache/results", false, filestore.DefaultLockStale},
		{"results", "results", false, filestore.DefaultLockStale},
		{"/abs/results", "/abs/results", false, filestore.DefaultLockStale},
		{"FILE://persist/", "persist/", false, filestore.DefaultLockStale},
		{"file://persist/?sync=true", "persist/", true, filestore.DefaultLockStale},
		{"file://persist/?sync=1&lockstale=2s", "persist/", true, 2 * time.Second},
	}
	for _, tt := range tests {
		st, err := stores.Open(context.Background(), tt.url)
		if err != nil {
			t.Errorf("Open(%q): %v", tt.url, err)
			continue
		}
		var d *filestore.Driver
		if !st.As(&d) {
			t.Errorf("Open(%q): As(**filestore.Driver) failed", tt.url)
			continue
		}
		s := &fileStore{Store: st, drv: d}
		if s.Dir() != tt.dir || s.Options().Sync != tt.sync || s.Options().LockStale != tt.lockStale {
			t.Errorf("Open(%q): dir %q sync %v lockstale %v; want %q %v %v",
				tt.url, s.Dir(), s.Options().Sync, s.Options().LockStale, tt.dir, tt.sync, tt.lockStale)
		}
		if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open(%q) created %s", tt.url, s.Dir())
		}
		s.Close()
	}
}

func TestOpenURLErrors(t *testing.T) {
	aFile := filepath.Join(t.TempDir(), "file")
	mustWrite(t, aFile, "not a directory")
	tests := []struct {
		url  string
		want error
	}{
		{"file://persist/?bogus=1", filestore.ErrInvalidURL},
		{"file://persist/?sync=maybe", filestore.ErrInvalidURL},
		{"file://persist/?sync=true&sync=false", filestore.ErrInvalidURL},
		{"file://persist/?lockstale=abc", filestore.ErrInvalidURL},
		{"file://persist/?lockstale=-1s", filestore.ErrInvalidURL},
		{"file://persist/?lockstale=0s", filestore.ErrInvalidURL},
		{"file://persist/?sync=%zz", filestore.ErrInvalidURL},
		{"file://", filestore.ErrInvalidURL},
		{"file://bob@persist/", filestore.ErrInvalidURL},
		{"file://persist/#part", filestore.ErrInvalidURL},
		{"file://" + aFile, nil}, // any error: reported at open
	}
	for _, tt := range tests {
		st, err := stores.Open(context.Background(), tt.url)
		var opErr *stores.OpError
		if err == nil || !errors.As(err, &opErr) || opErr.Op != "open" {
			t.Errorf("Open(%q) = %v, %v; want an open *OpError", tt.url, st, err)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Open(%q): %v, want it to wrap %v", tt.url, err, tt.want)
		}
		if st != nil {
			t.Errorf("Open(%q) returned a store with its error", tt.url)
		}
	}
	if _, err := filestore.Open("", filestore.Options{}); !errors.Is(err, filestore.ErrInvalidURL) {
		t.Errorf(`Open("") = %v, want ErrInvalidURL`, err)
	}
	if _, err := filestore.Open("x", filestore.Options{LockStale: -time.Second}); !errors.Is(err, filestore.ErrInvalidURL) {
		t.Errorf("Open with a negative LockStale = %v, want ErrInvalidURL", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	// Missing function directory, then a missing record in an existing one.
	for _, setup := range []func(){func() {}, func() { put(t, s, "f", "other", stores.Record{Result: []byte("x")}) }} {
		setup()
		if _, err := s.Get(ctx, "f", "h"); !errors.Is(err, stores.ErrNotFound) {
			t.Errorf("Get of a missing record: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "f", "h"); !errors.Is(err, stores.ErrNotFound) {
			t.Errorf("Delete of a missing record: %v, want ErrNotFound", err)
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cancelled, "f", "other"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: %v", err)
	}
	if err := s.Put(cancelled, "f", "h", stores.Record{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: %v", err)
	}

	// A .out that cannot be read is an error, not a miss.
	if err := os.Mkdir(filepath.Join(s.Dir(), "f", "dir.out"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "f", "dir"); err == nil || errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get of a .out that is a directory: %v, want a read error", err)
	}

	s.Close()
	checks := map[string]error{
		"read":   func() error { _, err := s.Get(ctx, "f", "other"); return err }(),
		"write":  s.Put(ctx, "f", "h", stores.Record{}),
		"delete": s.Delete(ctx, "f", "other"),
		"clear":  s.Clear(ctx, "f"),
		"len":    func() error { _, err := s.Len(ctx, "f"); return err }(),
		"lock":   func() error { _, err := s.Lock(ctx, "f", "h"); return err }(),
	}
	for op, err := range checks {
		var opErr *stores.OpError
		if !errors.Is(err, stores.ErrClosed) || !errors.As(err, &opErr) || opErr.Op != op || opErr.Store != s.URL() {
			t.Errorf("%s after Close: %v, want an %q *OpError on %s wrapping ErrClosed", op, err, op, s.URL())
		}
	}
	if _, err := s.Get(context.Background(), "f", "h"); err == nil || !strings.Contains(err.Error(), s.URL()) {
		t.Errorf("error %q does not name the store", err)
	}
}

func TestReadsCreateNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	if _, err := s.Get(ctx, "f", "h"); !errors.Is(err, stores.ErrNotFound) {
		t.Error(err)
	}
	if n, err := s.Len(ctx, "f"); n != 0 || err != nil {
		t.Errorf("Len = %d, %v", n, err)
	}
	for e, err := range s.Entries(ctx, "f", stores.AllParts) {
		t.Errorf("Entries yielded %v, %v", e, err)
	}
	for f, err := range s.Funcs(ctx) {
		t.Errorf("Funcs yielded %q, %v", f, err)
	}
	if err := s.Clear(ctx, "f"); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reads created the store directory (stat: %v)", err)
	}
}

func TestPermissionsFollowUmask(t *testing.T) {
	s := newStore(t, filestore.Options{Sync: true})
	put(t, s, "f", "h", stores.Record{Result: []byte("x"), Key: []byte("k")})
	for _, name := range []string{"h.out", "h.key"} {
		fi, err := os.Stat(filepath.Join(s.Dir(), "f", name))
		if err != nil {
			t.Fatal(err)
		}
		// Results are for anyone who may read the directory: group and
		// others get what the umask leaves them, as with any new file.
		if want := os.FileMode(0o666) &^ umask(t); fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
}

// umask reads the process umask by creating a file.
func umask(t *testing.T) os.FileMode {
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o666 &^ fi.Mode().Perm()
}

// TestLastUse checks that a hit marks an entry used when its last use is
// more than an hour old, keeps its creation time, and that List reports
// both.
func TestLastUse(t *testing.T) {
	ctx := t.Context()
	st := openStore(t, t.TempDir(), filestore.Options{})
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(st.Dir(), "f", "h.out")
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	meta := func() stores.Meta {
		t.Helper()
		page, _, err := st.List(ctx, "f", "", 10)
		if err != nil || len(page) != 1 {
			t.Fatalf("List = %v, %v", page, err)
		}
		return page[0]
	}
	if m := meta(); !m.Used.Equal(old) || !m.Created.Equal(old) {
		t.Fatalf("before the hit: Used %v, Created %v; want both %v", m.Used, m.Created, old)
	}
	if _, err := st.Read(ctx, "f", "h", stores.PartResult); err != nil {
		t.Fatal(err)
	}
	m := meta()
	if time.Since(m.Used) > time.Minute || !m.Created.Equal(old) {
		t.Errorf("after the hit: Used %v, Created %v; want Used now and Created %v", m.Used, m.Created, old)
	}
}
