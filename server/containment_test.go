//go:build unix

package server_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/filestore"
)

// fileFixture is a persist server on a loopback port over a file store,
// and a directory beside the store's holding a secret.
type fileFixture struct {
	*fixture
	dir, elsewhere, secret string
}

func newFileFixture(t *testing.T) *fileFixture {
	t.Helper()
	root := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	st, err := filestore.Open(filepath.Join(root, "persist"), filestore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(server.New(st, server.Options{Logger: quiet}))
	t.Cleanup(ts.Close)
	f := &fileFixture{fixture: &fixture{url: ts.URL}, dir: filepath.Join(root, "persist"), elsewhere: filepath.Join(root, "elsewhere")}
	f.secret = filepath.Join(f.elsewhere, "secret")
	if err := os.MkdirAll(f.elsewhere, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.secret, []byte("the secret"), 0o666); err != nil {
		t.Fatal(err)
	}
	mustPut(t, st, "g", "ok", "mine")
	return f
}

func (f *fileFixture) elsewhereNames(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(f.elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// An unauthenticated GET of an item whose .out or .key is a link to a file
// elsewhere does not return that file's bytes.
func TestGetDoesNotFollowLinks(t *testing.T) {
	f := newFileFixture(t)
	if err := os.Symlink(f.secret, filepath.Join(f.dir, "g", "h.out")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "g", "k.out"), []byte("result"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.secret, filepath.Join(f.dir, "g", "k.key")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.elsewhere, filepath.Join(f.dir, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("secret", filepath.Join(f.elsewhere, "s.out")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/persist/g/h", "/persist/g/k", "/persist/linked/s", "/persist/linked"} {
		a := f.do(t, http.MethodGet, path, nil, "")
		if a.status < 400 || strings.Contains(string(a.body), "secret") {
			t.Errorf("GET %s: %d %s; want an error, and not the linked file", path, a.status, a.body)
		}
	}
	// The listing of g, where k's key is a link, fails rather than read it.
	if a := f.do(t, http.MethodGet, "/persist/g", nil, ""); a.status < 400 || strings.Contains(string(a.body), "secret") {
		t.Errorf("GET /persist/g: %d %s; want an error, and not the linked file", a.status, a.body)
	}
	if a := f.do(t, http.MethodGet, "/persist/g/ok", nil, ""); a.status != http.StatusOK {
		t.Errorf("GET of a real item: %d %s", a.status, a.body)
	}
}

// A POST to a function whose directory is a link to elsewhere writes
// nothing there.
func TestPostDoesNotFollowALinkedFunctionDirectory(t *testing.T) {
	f := newFileFixture(t)
	if err := os.Symlink(f.elsewhere, filepath.Join(f.dir, "f")); err != nil {
		t.Fatal(err)
	}
	a := f.post(t, "f", item("f", "h", "planted"))
	if a.status < 400 {
		t.Errorf("POST through a linked directory: %d %s, want an error", a.status, a.body)
	}
	if names := f.elsewhereNames(t); len(names) != 1 || names[0] != "secret" {
		t.Errorf("the directory linked to holds %q, want only its secret", names)
	}
	if fi, err := os.Lstat(filepath.Join(f.dir, "f")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link: %v, %v; want it left", fi, err)
	}
}

// GETs of items whose files are FIFOs answer at once, and pin neither a
// thread nor a descriptor.
func TestGetOfAFIFOAnswers(t *testing.T) {
	f := newFileFixture(t)
	for _, name := range []string{"h.out", "k.key"} {
		if err := syscall.Mkfifo(filepath.Join(f.dir, "g", name), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(f.dir, "g", "k.out"), []byte("result"), 0o666); err != nil {
		t.Fatal(err)
	}
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(ents)
	}
	before := fds()
	for i := range 40 {
		path := []string{"/persist/g/h", "/persist/g/k"}[i%2]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			t.Fatalf("GET %s of a FIFO: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("GET %s of a FIFO: %d, want an error", path, resp.StatusCode)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	// The descriptors of the requests are closed; a few of the client's
	// and the server's may linger for a moment.
	for range 100 {
		if fds() <= before+4 {
			break
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if after := fds(); after > before+4 {
		t.Errorf("open descriptors: %d before 40 GETs, %d after", before, after)
	}
}
