package mongostore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/storetest"
)

// uriEnv names a MongoDB server to test against instead of the FerretDB
// server that the tests start themselves.
const uriEnv = "PERSIST_TEST_MONGODB_URI"

var (
	// serverURI is the server every test shares, or "" when none started.
	serverURI string
	// serverErr says why no server started.
	serverErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mongostore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Tests that stop and restart a server of their own need FerretDB even
	// when the others use the server of uriEnv.
	ferretBinary = sync.OnceValues(func() (string, error) { return buildFerretServer(dir) })
	if uri := os.Getenv(uriEnv); uri != "" {
		serverURI = uri
		return m.Run()
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := startFerretDB(data, "127.0.0.1:0")
	if err != nil {
		serverErr = err
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "mongostore tests: no MongoDB-wire server: %v\n", err)
			return 1
		}
	} else {
		defer srv.stop()
		serverURI = srv.uri
	}
	return m.Run()
}

// needServer skips t when no server started; in CI TestMain has already
// failed the run by then.
func needServer(t testing.TB) {
	t.Helper()
	if serverURI == "" {
		t.Skipf("no MongoDB-wire server (set %s to use one): %v", uriEnv, serverErr)
	}
}

// ferretPackage is the FerretDB server program. It runs as a process of
// its own, built without the race detector: compiled into the tests, with
// -race, FerretDB and SQLite took minutes to build.
const ferretPackage = "github.com/gopersist/persist/stores/mongostore/internal/ferretserver"

// ferretTags leave out FerretDB's PostgreSQL backend, which the tests do
// not use, and with it a large part of the build.
const ferretTags = "ferretdb_no_postgresql"

// ferretBinary builds ferretPackage the first time it is called, and
// returns the program's path or why it could not be built.
var ferretBinary func() (string, error)

// buildFerretServer builds ferretPackage into dir. The persist command's
// tests build it too: a lock lets the second build find the first one's
// work in the build cache instead of compiling SQLite at the same time.
func buildFerretServer(dir string) (string, error) {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "persist-ferretserver-build.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ferretserver")
	out, err := exec.Command("go", "build", "-tags", ferretTags, "-o", bin, ferretPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building %s: %v\n%s", ferretPackage, err, out)
	}
	return bin, nil
}

// ferretServer is a FerretDB server on loopback keeping its data in SQLite
// files.
type ferretServer struct {
	uri  string
	addr string
	stop func()
}

// startFerretDB starts a server listening on addr ("127.0.0.1:0" for any
// free port) with its files in dir, and waits until it answers.
func startFerretDB(dir, addr string) (*ferretServer, error) {
	bin, err := ferretBinary()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-dir", dir, "-addr", addr)
	// The server exits when its standard input closes: closing it is how
	// stop asks, and if this process dies the server goes with it.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	stop := func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(done)
	}()
	uri, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if readErr != nil || !ok {
		stop()
		return nil, fmt.Errorf("FerretDB did not start: %q %v\n%s", line, readErr, stderr.Bytes())
	}
	srv := &ferretServer{uri: uri, stop: stop}
	u, err := url.Parse(srv.uri)
	if err != nil {
		srv.stop()
		return nil, err
	}
	srv.addr = u.Host
	if err := ping(srv.uri); err != nil {
		srv.stop()
		return nil, fmt.Errorf("FerretDB started but does not answer: %w", err)
	}
	return srv, nil
}

// ping waits until the server at uri answers.
func ping(uri string) error {
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return err
	}
	defer c.Disconnect(context.Background())
	return c.Ping(context.Background(), nil)
}

// startOwnServer starts a FerretDB server for one test, which may stop it;
// it is stopped when the test ends if it still runs.
func startOwnServer(t *testing.T) (srv *ferretServer, restart func()) {
	t.Helper()
	dir := t.TempDir()
	srv, err := startFerretDB(dir, "127.0.0.1:0")
	if err != nil {
		storetest.Missing(t, "starting FerretDB: %v", err)
	}
	stopped := false
	stop := srv.stop
	srv.stop = func() {
		if !stopped {
			stopped = true
			stop()
		}
	}
	t.Cleanup(func() { srv.stop() })
	restart = func() {
		t.Helper()
		again, err := startFerretDB(dir, srv.addr)
		if err != nil {
			t.Fatalf("restarting FerretDB on %s: %v", srv.addr, err)
		}
		stopped = false
		stop = again.stop
	}
	return srv, restart
}

// storeURL builds a URL for the server at base with the test database and
// the given store options.
func storeURL(t testing.TB, base string, opts url.Values) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("server URI %q: %v", base, err)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/persist_test"
	}
	return storetest.WithQuery(t, u.String(), opts)
}

// openStore opens a store on the shared server and closes it when t ends.
func openStore(t testing.TB, opts url.Values) *stores.Store {
	t.Helper()
	needServer(t)
	return openURL(t, storeURL(t, serverURI, opts))
}

// openURL opens rawURL, failing t on error, and closes it when t ends
// unless the test closed it first.
func openURL(t testing.TB, rawURL string) *stores.Store {
	t.Helper()
	return storetest.OpenURL(t, Open, rawURL)
}

// driverOf returns the MongoDB driver under st, for tests that look at the
// documents themselves.
func driverOf(t testing.TB, st *stores.Store) *mongoDriver {
	t.Helper()
	var drv driver.Store
	if !st.As(&drv) {
		t.Fatal("the store does not hand out its driver")
	}
	d, ok := drv.(*mongoDriver)
	if !ok {
		t.Fatalf("the store's driver is a %T, not the MongoDB driver", drv)
	}
	return d
}
