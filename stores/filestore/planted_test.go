//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// mkSocket binds a Unix socket at path (the socket file stays).
func mkSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
}

// A socket planted where the layout has a .out, .key, .meta or .owner is
// a foreign file like a FIFO or a link: every read reports ErrForeign.
func TestSocketIsForeign(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "k", stores.Record{Result: []byte("r")})
	put(t, s, "f", "m", stores.Record{Result: []byte("r")})
	fdir := filepath.Join(s.Dir(), "f")
	for _, name := range []string{"h.out", "k.key", "m.meta", ".owner"} {
		mkSocket(t, filepath.Join(fdir, name))
	}
	_, err := s.Get(ctx, "f", "h")
	wantForeign(t, "Get of a socket .out", err)
	_, err = s.Read(ctx, "f", "h", stores.PartResult)
	wantForeign(t, "Read of a socket .out", err)
	_, _, err = s.MapResult(ctx, "f", "h")
	wantForeign(t, "MapResult of a socket .out", err)
	_, err = s.Get(ctx, "f", "k")
	wantForeign(t, "Get of a record with a socket .key", err)
	_, err = s.Get(ctx, "f", "m")
	wantForeign(t, "Get of a record with a socket .meta", err)
	_, err = s.Owner(ctx, "f")
	wantForeign(t, "Owner with a socket .owner", err)
	wantForeign(t, "Put with a key over a socket .key", s.Put(ctx, "f", "k", stores.Record{Result: []byte("r"), Key: []byte("x")}))
	if err != nil {
		t.Logf("Get h error: %v; unavailable=%v", err, stores.ErrorCode(err))
	}
}

// An owner record is at most stores.MaxOwnerLen bytes: a larger .owner
// (here a sparse file of 1 GiB, which costs no disk) is refused without
// reading it whole into memory.
func TestHugeOwnerNotReadWhole(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, filestore.Options{})
	put(t, s, "f", "h", stores.Record{Result: []byte("r")})
	owner := filepath.Join(s.Dir(), "f", ".owner")
	if err := os.WriteFile(owner, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(owner, 1<<30); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := s.Owner(ctx, "f")
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Errorf("Owner of a 1 GiB .owner: no error")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("Owner of a 1 GiB .owner allocated %d bytes (err %v); want it refused by its size", grew, err)
	}
}

// A FIFO that appears in the place of the cache directory after Open (a
// store opens before its directory exists: "Opening creates nothing") makes
// no call wait for a writer that never comes: Funcs and Foreign, which read
// the cache directory itself, report it as they report a file there.
func TestRootFIFONeverBlocks(t *testing.T) {
	s := newStore(t, filestore.Options{}) // its directory does not exist yet
	if err := syscall.Mkfifo(s.Dir(), 0o666); err != nil {
		t.Fatal(err)
	}
	blockedAfter := 5 * time.Second
	check := func(what string, fn func(ctx context.Context)) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() { defer close(done); fn(ctx) }()
		select {
		case <-done:
		case <-time.After(blockedAfter):
			t.Errorf("%s with a FIFO as the cache directory: blocked for %v (a context of 2s)", what, blockedAfter)
		}
	}
	check("Funcs", func(ctx context.Context) {
		for _, err := range s.Funcs(ctx) {
			t.Logf("Funcs: %v", err)
		}
	})
	check("Foreign", func(ctx context.Context) {
		for fe, err := range s.Foreign(ctx, "") {
			t.Logf("Foreign: %v, %v", fe, err)
		}
	})
}

// A .out, .key or .meta larger than any result persist writes (here
// sparse files of 4 GiB, which cost no disk) is refused by its size, as
// stores.ErrTooLarge, before anything is read or allocated.
func TestHugeFilesRefused(t *testing.T) {
	ctx := context.Background()
	for _, ext := range []string{".out", ".key", ".meta"} {
		t.Run(ext, func(t *testing.T) {
			s := newStore(t, filestore.Options{})
			put(t, s, "f", "h", stores.Record{Result: []byte("r"), Key: []byte("k"), Meta: []byte("m")})
			if err := os.Truncate(filepath.Join(s.Dir(), "f", "h"+ext), 4<<30); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := s.Get(ctx, "f", "h")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, stores.ErrTooLarge) {
				t.Errorf("Get of a record with a 4 GiB %s: %v, want an error matching ErrTooLarge", ext, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("Get of a record with a 4 GiB %s allocated %d bytes", ext, grew)
			}
		})
	}
}
