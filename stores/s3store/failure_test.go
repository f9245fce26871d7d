package s3store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gopersist/persist/stores"
)

// TestErrorsNameServerNotSecret checks that a refused request names the
// endpoint and bucket, wraps ErrUnavailable, and never shows the secret
// key, wherever the credentials came from.
func TestErrorsNameServerNotSecret(t *testing.T) {
	srv := ownServer(t)
	const wrongSecret = "wrong-secret-d41d8cd98f00b204e9800998ecf8427e"
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	opts := Options{Bucket: testBucket, Prefix: "secrets", Endpoint: srv.Endpoint, Retries: -1,
		Credentials: credentials.NewStaticV4(testAccess, wrongSecret, "")}
	_, err := New(ctx, opts)
	if err == nil {
		t.Fatal("Open with a wrong secret key succeeded")
	}
	msg := err.Error()
	for _, want := range []string{srv.Addr, testBucket} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %q: %s", want, msg)
		}
	}
	for _, secret := range []string{wrongSecret, testSecret} {
		if strings.Contains(msg, secret) {
			t.Errorf("the error shows a secret key: %s", msg)
		}
	}
	if !errors.Is(err, stores.ErrUnavailable) {
		t.Errorf("a refused signature: %v, want ErrUnavailable", err)
	}

	// A store that opened, then is refused: credentials that turn wrong
	// (rotated, say) after Open.
	sw := &switchable{}
	sw.set(testSecret)
	opts.Credentials = credentials.New(sw)
	st, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	sw.set(wrongSecret)
	_, err = st.Get(ctx, "f", "h")
	if !errors.Is(err, stores.ErrUnavailable) {
		t.Errorf("Get refused: %v, want ErrUnavailable", err)
	}
	if err == nil {
		return
	}
	msg = err.Error()
	for _, want := range []string{srv.Addr, testBucket, "f/h"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %q: %s", want, msg)
		}
	}
	for _, secret := range []string{wrongSecret, testSecret} {
		if strings.Contains(msg, secret) {
			t.Errorf("the error shows a secret key: %s", msg)
		}
	}
	sw.set(testSecret)
	if err := st.Clear(ctx, "f"); err != nil {
		t.Error(err)
	}
}

// switchable is a credentials provider whose secret a test changes; it
// is read again for every request.
type switchable struct {
	mu     sync.Mutex
	secret string
}

func (s *switchable) set(secret string) {
	s.mu.Lock()
	s.secret = secret
	s.mu.Unlock()
}

func (s *switchable) Retrieve() (credentials.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return credentials.Value{AccessKeyID: testAccess, SecretAccessKey: s.secret, SignerType: credentials.SignatureV4}, nil
}

func (s *switchable) RetrieveWithCredContext(*credentials.CredContext) (credentials.Value, error) {
	return s.Retrieve()
}

func (s *switchable) IsExpired() bool { return true }

// TestOpenMissingBucket checks that Open fails on a bucket that does not
// exist, naming it.
func TestOpenMissingBucket(t *testing.T) {
	srv := ownServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := New(ctx, Options{Bucket: "no-such-bucket-" + randomHex(4), Endpoint: srv.Endpoint, Credentials: ownCredentials()})
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket-") || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("Open of a missing bucket: %v, want an error naming the bucket and the server", err)
	}
}

// TestServerStopped stops the server under an open store: every operation
// fails with ErrUnavailable, none returns a wrong answer (no record, or
// NotFound), and once the server is back on its address the records are
// there again.
func TestServerStopped(t *testing.T) {
	srv := ownServer(t)
	st, err := New(t.Context(), Options{Bucket: testBucket, Prefix: "stopped-" + randomHex(4), Endpoint: srv.Endpoint,
		Retries: 1, Lease: time.Second, Credentials: ownCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	rec := stores.Record{Result: []byte("kept"), Key: []byte("k")}
	if err := st.Put(ctx, "f", "h", rec); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	wantDown := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, stores.ErrUnavailable) {
			t.Errorf("%s with the server stopped: %v, want ErrUnavailable", op, err)
		}
		if err != nil && !strings.Contains(err.Error(), srv.Addr) {
			t.Errorf("%s: the error does not name the server %s: %v", op, srv.Addr, err)
		}
	}
	got, err := st.Get(ctx, "f", "h")
	wantDown("Get", err)
	if got.Result != nil {
		t.Errorf("Get with the server stopped returned a result %q", got.Result)
	}
	_, err = st.Read(ctx, "f", "h", stores.PartKey)
	wantDown("Read of the key", err)
	wantDown("Put", st.Put(ctx, "f", "h2", rec))
	wantDown("Delete", st.Delete(ctx, "f", "h"))
	_, _, err = st.List(ctx, "f", "", 10)
	wantDown("List", err)
	_, err = st.Owner(ctx, "f")
	wantDown("Owner", err)
	_, err = st.ClaimOwner(ctx, "f", []byte("o"))
	wantDown("ClaimOwner", err)
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = st.Lock(lctx, "f", "h")
	cancel()
	wantDown("Lock", err)
	wantDown("Clear", st.Clear(ctx, "f"))

	again, err := startServer(srv.Addr)
	if err != nil {
		t.Fatalf("restarting the server on %s: %v", srv.Addr, err)
	}
	defer again.Stop()
	got, err = st.Get(ctx, "f", "h")
	if err != nil || string(got.Result) != "kept" || string(got.Key) != "k" {
		t.Errorf("Get after the server came back: %q %q, %v; want the record put before", got.Result, got.Key, err)
	}
	if err := st.Clear(ctx, "f"); err != nil {
		t.Error(err)
	}
}
