package redisstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "redisstore test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// TestTLS runs a store over rediss:// against a server that speaks only
// TLS, with its certificate trusted through ca=, and checks that an
// untrusted certificate or a wrong server name fails Open.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	srv, err := startServerTLS(filepath.Join(dir, "server"), 0, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no")
	if err != nil {
		noServer(t, err)
	}
	t.Cleanup(srv.kill)
	ctx := t.Context()

	st := openStore(t, "rediss://"+srv.addr+"/0?ca="+cert)
	fn := "tls_" + newToken()
	rec := stores.Record{Result: randomBytes(1<<20, 9), Key: []byte("k")}
	if err := st.Put(ctx, fn, "h", rec); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(ctx, fn, "h"); err != nil || string(got.Result) != string(rec.Result) {
		t.Fatalf("Get over TLS: %d bytes, %v", len(got.Result), err)
	}

	for _, bad := range []string{
		"rediss://" + srv.addr + "/0?timeout=2s",                                          // the system's roots do not trust it
		"rediss://" + srv.addr + "/0?timeout=2s&ca=" + cert + "&servername=other.example", // not its name
		"redis://" + srv.addr + "/0?timeout=2s",                                           // no TLS at all
	} {
		if st, err := Open(ctx, bad); err == nil {
			st.Close()
			t.Errorf("Open(%s) succeeded", bad)
		} else {
			checkErr(t, "Open("+bad+")", err, nil, srv.addr)
		}
	}
}
