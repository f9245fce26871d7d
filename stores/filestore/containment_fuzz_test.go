//go:build unix

package filestore_test

import (
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

// fuzzNames are names the layout gives meaning to, and a few it does not;
// the fuzzer picks from them or makes its own.
var fuzzNames = []string{
	"h.out", "h.key", "h.meta", "h.lock", "k.out", "k.key", "k.meta", "k.lock",
	"h.out.tmp-0123456789abcdef", "h.lock.stale-0123456789abcdef", "h.out.tmp-zz",
	"x.out~", "README", ".out", "..out", "h.out.lock", "-.out",
}

// The kinds of file the fuzzer plants.
const (
	plantFile = iota
	plantLinkToFile
	plantLinkToDir
	plantLinkDangling
	plantLinkToSelf
	plantFIFO
	plantDir
	plantHardLink
	plantKinds
)

// plant makes a file of kind at path; outside is a directory elsewhere.
func plant(path string, kind int, outside string) error {
	switch kind {
	case plantFile:
		return os.WriteFile(path, []byte("planted"), 0o666)
	case plantLinkToFile:
		return os.Symlink(filepath.Join(outside, "h.out"), path)
	case plantLinkToDir:
		return os.Symlink(outside, path)
	case plantLinkDangling:
		return os.Symlink(filepath.Join(outside, "missing"), path)
	case plantLinkToSelf:
		return os.Symlink(filepath.Base(path), path)
	case plantFIFO:
		return syscall.Mkfifo(path, 0o666)
	case plantDir:
		return os.Mkdir(path, 0o777)
	case plantHardLink:
		return os.Link(filepath.Join(outside, "k.out"), path)
	}
	return nil
}

// fuzzTree plants in the store's directory what data describes: first the
// kind of the function directory f, then (kind, name) pairs in it. A name
// byte below len(fuzzNames) picks one; otherwise the next bytes up to a
// zero are the name.
func fuzzTree(t *testing.T, dir, outside string, data []byte) (foreign []string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	fdir := filepath.Join(dir, "f")
	fkind := plantDir
	if len(data) > 0 {
		fkind, data = int(data[0])%plantKinds, data[1:]
	}
	if err := plant(fdir, fkind, outside); err != nil {
		t.Fatal(err)
	}
	// g is always a link to the directory outside.
	if err := os.Symlink(outside, filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	if fkind != plantDir {
		return nil
	}
	for len(data) >= 2 {
		kind, sel := int(data[0])%plantKinds, data[1]
		data = data[2:]
		var name string
		if int(sel) < len(fuzzNames) {
			name = fuzzNames[sel]
		} else {
			raw, rest, _ := strings.Cut(string(data), "\x00")
			data = []byte(rest)
			name = strings.ReplaceAll(raw, "/", "_")
			if len(name) > 100 {
				name = name[:100]
			}
		}
		if name == "" || name == "." || name == ".." {
			continue
		}
		path := filepath.Join(fdir, name)
		if _, err := os.Lstat(path); err == nil {
			continue
		}
		if err := plant(path, kind, outside); err != nil {
			t.Fatalf("planting %q: %v", name, err)
		}
		if kind != plantFile && kind != plantHardLink {
			foreign = append(foreign, path)
		}
	}
	return foreign
}

// FuzzDirectoryScan plants symbolic links, FIFOs, directories, hard links
// and odd names in a function directory (or makes the function directory
// one of them), runs every operation of the store over it, and checks
// that none blocks, that nothing outside the store's directory changed,
// and that no planted file that is not a regular file was removed.
func FuzzDirectoryScan(f *testing.F) {
	f.Add([]byte{plantDir, plantLinkToFile, 0, plantFIFO, 1, plantFIFO, 3, plantFile, 4, plantLinkToDir, 7})
	f.Add([]byte{plantLinkToDir})
	f.Add([]byte{plantFIFO})
	f.Add([]byte{plantLinkToSelf})
	f.Add([]byte{plantDir, plantFile, 4, plantLinkToFile, 5, plantDir, 6, plantHardLink, 0, plantLinkToSelf, 3})
	f.Add([]byte{plantDir, plantFIFO, 200, 'a', '.', 'o', 'u', 't', 0, plantFile, 200, 'z', '.', 'k', 'e', 'y', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64 {
			return
		}
		root := t.TempDir()
		outside := filepath.Join(root, "elsewhere")
		for _, name := range []string{"h.out", "h.key", "k.out", "h.lock", "secret"} {
			mustWrite(t, filepath.Join(outside, name), "outside "+name)
		}
		mustWrite(t, filepath.Join(outside, "sub", "h.out"), "outside sub")
		before := snapshot(t, outside)
		s := openStore(t, filepath.Join(root, "persist"), filestore.Options{Logger: quiet, LockStale: time.Hour})
		foreign := fuzzTree(t, s.Dir(), outside, data)

		returns(t, "the store's operations", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for _, err := range s.Funcs(ctx) {
				checkErr(t, "Funcs", err)
			}
			for _, fn := range []string{"", "f", "g"} {
				for _, err := range s.Foreign(ctx, fn) {
					checkErr(t, "Foreign", err)
				}
			}
			for _, fn := range []string{"f", "g"} {
				_, err := s.Len(ctx, fn)
				checkErr(t, "Len", err)
				for _, err := range s.Entries(ctx, fn, stores.AllParts) {
					checkErr(t, "Entries", err)
				}
				_, _, err = s.List(ctx, fn, "", 3)
				checkErr(t, "List", err)
				for _, h := range []string{"h", "k"} {
					_, err := s.Get(ctx, fn, h)
					checkErr(t, "Get", err)
					_, err = s.Read(ctx, fn, h, stores.PartResult|stores.PartKey)
					checkErr(t, "ReadResult", err)
					if _, release, err := s.MapResult(ctx, fn, h); err == nil {
						checkErr(t, "release", release())
					} else if !errors.Is(err, stores.ErrUnsupported) {
						checkErr(t, "MapResult", err)
					}
				}
				lctx, lcancel := context.WithTimeout(ctx, 50*time.Millisecond)
				unlock, err := s.Lock(lctx, fn, "h")
				lcancel()
				checkErr(t, "Lock", err)
				checkErr(t, "Put", s.Put(ctx, fn, "h", stores.Record{Result: []byte("r"), Key: []byte("k")}))
				if err == nil {
					unlock()
				}
				checkErr(t, "Put", s.Put(ctx, fn, "k", stores.Record{Result: []byte("r"), Meta: []byte("m")}))
				checkErr(t, "Delete", s.Delete(ctx, fn, "k"))
				checkErr(t, "Clear", s.Clear(ctx, fn))
			}
		})
		checkUnchanged(t, outside, before)
		for _, path := range foreign {
			if _, err := os.Lstat(path); err != nil {
				t.Errorf("planted %s: %v; want it left", path, err)
			}
		}
	})
}

// checkErr accepts the errors the planted tree may cause: foreign files,
// missing records, a lock that stays held, a name that is a directory.
func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil,
		errors.Is(err, filestore.ErrForeign),
		errors.Is(err, stores.ErrNotFound),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, fs.ErrExist):
		return
	}
	t.Errorf("%s: %v", what, err)
}
