package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	persist "github.com/gopersist/persist"
)

// ferretPackage is the MongoDB-wire server the MongoDB store's tests run:
// FerretDB, built without the race detector into a program of its own,
// and without its PostgreSQL backend (ferretdb_no_postgresql).
const ferretPackage = "github.com/gopersist/persist/stores/mongostore/internal/ferretserver"

// startFerretDB builds and starts a FerretDB server on a free loopback
// port for t, and returns its URI. Under CI=true a server that does not
// start fails t; elsewhere it skips it.
func startFerretDB(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferretserver")
	// The MongoDB store's tests build it too: the lock lets the second
	// build find the first one's work in the build cache instead of
	// compiling SQLite at the same time.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "persist-ferretserver-build.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-tags", "ferretdb_no_postgresql", "-o", bin, ferretPackage).CombinedOutput()
	_ = lock.Close()
	if err != nil {
		fail("building %s: %v\n%s", ferretPackage, err, out)
	}

	cmd := exec.Command(bin, "-dir", dir)
	// The server exits when its standard input closes.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		fail("starting FerretDB: %v", err)
	}
	done := make(chan struct{})
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		<-done
	})
	uri, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if readErr != nil || !ok {
		_ = stdin.Close()
		<-done
		fail("FerretDB did not start: %q %v\n%s", line, readErr, stderr.Bytes())
	}
	return uri
}

// TestMongoDB lists and shows a MongoDB cache written by the library,
// through the persist command.
func TestMongoDB(t *testing.T) {
	uri := startFerretDB(t) + "persist_cli_test?collection=results"
	f := &fixture{root: t.TempDir(), dir: uri}
	f.write(t, triple, persist.Options{StoreKey: true}, []any{1}, []any{2})
	f.write(t, square, persist.Options{}, []any{5})

	r := run(t, f.root, "", "ls", uri)
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "square") || !strings.HasPrefix(lines[2], "triple") ||
		strings.Fields(lines[1])[1] != "1" || strings.Fields(lines[2])[1] != "2" {
		t.Fatalf("want square with 1 entry and triple with 2:\n%s", r)
	}

	r = run(t, f.root, "", "ls", uri, "triple")
	wantCode(t, r, 0)
	for _, want := range []string{hash(t, 1), hash(t, 2), keyOf(1), keyOf(2)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("persist ls %s triple lacks %q:\n%s", uri, want, r)
		}
	}

	r = run(t, f.root, "", "show", uri, "triple", hash(t, 2))
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "6") {
		t.Errorf("persist show: want the value 6:\n%s", r)
	}
}
