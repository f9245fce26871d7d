package s3store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/versity/versitygw/backend"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/s3store/internal/s3server"
	"github.com/gopersist/persist/stores/storetest"
)

// urlEnv names an S3 store to test against instead of the server the tests
// start themselves, as s3://BUCKET/PREFIX?endpoint=...; its credentials
// come from the usual AWS environment variables or files. The bucket must
// exist.
const urlEnv = "PERSIST_TEST_S3_URL"

// The root account of the servers the tests start. The secret is random
// per run, so that a test can look for it in error messages.
var (
	testAccess = "persist-test"
	testSecret = "persist-secret-" + randomHex(12)
)

// testBucket is the bucket the started server holds.
const testBucket = "persist-test"

var (
	// serverURL is the store every test shares, or "" when none started.
	serverURL string
	// serverErr says why no server started.
	serverErr error

	// packageDir is the working directory the tests started in.
	packageDir string

	// dataDir is the started servers' directory; every server of the
	// process serves it (see s3server).
	dataDir string
	// sharedBackend is the backend over dataDir, made on first use.
	sharedBackend = sync.OnceValues(func() (backend.Backend, error) {
		if err := s3server.Probe(context.Background(), dataDir); err != nil {
			return nil, err
		}
		return s3server.Backend(dataDir)
	})
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// The posix backend changes the working directory to its data; what
	// needs the package's directory (go build) finds it here.
	packageDir, _ = os.Getwd()
	tmp, err := os.MkdirTemp("", "s3store-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	dataDir = filepath.Join(tmp, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if u := os.Getenv(urlEnv); u != "" {
		serverURL = u
		return m.Run()
	}
	srv, err := startServer("")
	if err == nil {
		defer srv.Stop()
		err = makeBucket(srv.Endpoint, testBucket)
	}
	if err != nil {
		serverErr = err
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "s3store tests: no S3 server: %v\n", err)
			return 1
		}
		return m.Run()
	}
	// The stores the tests open find the root account where any program
	// finds its credentials.
	os.Setenv("AWS_ACCESS_KEY_ID", testAccess)
	os.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	os.Unsetenv("AWS_SESSION_TOKEN")
	serverURL = fmt.Sprintf("s3://%s/run-%s?endpoint=%s", testBucket, randomHex(4), srv.Endpoint)
	return m.Run()
}

// startServer starts a gateway over the shared backend on addr, "" for a
// free loopback port.
func startServer(addr string) (*s3server.Server, error) {
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	return s3server.Start(be, addr, testAccess, testSecret)
}

// makeBucket creates bucket on the started server at endpoint.
func makeBucket(endpoint, bucket string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(testAccess, testSecret, ""), Region: s3server.Region})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s3server.Region})
	if code, _ := s3Code(err); code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
		return nil
	}
	return err
}

// needServer skips t when no server started; in CI TestMain has already
// failed the run by then.
func needServer(t testing.TB) {
	t.Helper()
	if serverURL == "" {
		t.Skipf("no S3 server (set %s to use one): %v", urlEnv, serverErr)
	}
}

// ownServer starts a gateway for one test, which may stop it; it is
// stopped when the test ends if it still runs. It serves the shared
// directory, with the bucket in it.
func ownServer(t *testing.T) *s3server.Server {
	t.Helper()
	srv, err := startServer("")
	if err == nil {
		err = makeBucket(srv.Endpoint, testBucket)
	}
	if err != nil {
		storetest.Missing(t, "starting an S3 server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// ownCredentials are those of the servers the tests start, which differ
// from the environment's when urlEnv names another server.
func ownCredentials() *credentials.Credentials {
	return credentials.NewStaticV4(testAccess, testSecret, "")
}

// storeURL is base with the given options added.
func storeURL(t testing.TB, base string, opts url.Values) string {
	t.Helper()
	return storetest.WithQuery(t, base, opts)
}

// openStore opens a new handle on the shared store, with opts added to its
// URL, and closes it when t ends.
func openStore(t testing.TB, opts url.Values) *stores.Store {
	t.Helper()
	needServer(t)
	return openURL(t, storeURL(t, serverURL, opts))
}

// openURL opens rawURL, failing t on error, and closes it when t ends.
func openURL(t testing.TB, rawURL string) *stores.Store {
	t.Helper()
	return storetest.OpenURL(t, Open, rawURL)
}

// driverOf returns the s3 driver of st.
func driverOf(t testing.TB, st *stores.Store) *s3Driver {
	t.Helper()
	var d driver.Store
	st.As(&d)
	s3d, ok := d.(*s3Driver)
	if !ok {
		t.Fatalf("the store's driver is a %T", d)
	}
	return s3d
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
