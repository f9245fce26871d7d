package mongostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	if uri := os.Getenv(uriEnv); uri != "" {
		serverURI = uri
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "mongostore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := startFerretDB(dir, "127.0.0.1:0")
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
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr},
		Handler:  "sqlite",
		// Immediate transactions take SQLite's write lock when they begin,
		// so concurrent writers wait for it (up to the busy timeout)
		// instead of failing with SQLITE_BUSY when a read turns into a
		// write.
		SQLiteURL: "file:" + dir + "/?_txlock=immediate&_pragma=busy_timeout(60000)",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx) // returns nil when ctx ends
	}()
	srv := &ferretServer{
		uri: f.MongoDBURI(),
		stop: func() {
			cancel()
			<-done
		},
	}
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
		if os.Getenv("CI") == "true" {
			t.Fatalf("starting FerretDB: %v", err)
		}
		t.Skipf("starting FerretDB: %v", err)
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
	q := u.Query()
	for k, vs := range opts {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store on the shared server and closes it when t ends.
func openStore(t testing.TB, opts url.Values) *Store {
	t.Helper()
	needServer(t)
	return openURL(t, storeURL(t, serverURI, opts))
}

// openURL opens rawURL, failing t on error, and closes it when t ends.
func openURL(t testing.TB, rawURL string) *Store {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := open(ctx, u)
	if err != nil {
		t.Fatalf("Open(%s): %v", rawURL, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}
