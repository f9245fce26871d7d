// S3gw serves a directory over S3 with versitygw's gateway, for the
// cross-host test's server host: the S3 store's own tests embed the same
// gateway in their process, which a test on another host cannot reach.
//
// Usage:
//
//	s3gw -dir DIR -addr HOST:PORT -access KEY -secret SECRET -bucket NAME
//
// It makes the bucket, prints "listening on http://HOST:PORT" once it
// accepts connections and the bucket exists,
// and exits when standard input closes or on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/s3api"
	"github.com/versity/versitygw/s3api/middlewares"
)

// region is the region the gateway reports and checks in signatures.
const region = "us-east-1"

func main() {
	dir := flag.String("dir", "", "`directory` of the buckets (required)")
	addr := flag.String("addr", "127.0.0.1:9000", "`address` to listen on")
	access := flag.String("access", "", "access key of the root account")
	secret := flag.String("secret", "", "secret key of the root account")
	bucket := flag.String("bucket", "persist", "`bucket` to make")
	flag.Parse()
	if err := run(*dir, *addr, *access, *secret, *bucket); err != nil {
		fmt.Fprintln(os.Stderr, "s3gw:", err)
		os.Exit(1)
	}
}

func run(dir, addr, access, secret, bucket string) error {
	be, err := posix.New(dir, meta.XattrMeta{}, posix.PosixOpts{NewDirPerm: 0o755})
	if err != nil {
		return err
	}
	api, err := s3api.New(be,
		middlewares.RootUserConfig{Access: access, Secret: secret},
		region,
		auth.NewIAMServiceSingle(auth.Account{Access: access, Secret: secret, Role: auth.RoleAdmin}),
		nil, nil, nil, nil,
		// Without the limiter the gateway's request semaphore has room
		// for none, and every request is answered 503.
		s3api.WithConcurrencyLimiter(1024, 1024),
		s3api.WithQuiet(),
		s3api.WithKeepAlive(),
	)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- api.ServeMultiPort([]string{addr}) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		select {
		case err := <-done:
			return err
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no listener on %s after 30 s: %w", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: region})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: region}); err != nil {
		return fmt.Errorf("making bucket %s: %w", bucket, err)
	}
	fmt.Println("listening on http://" + addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	stdin := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdin)
	}()
	select {
	case <-sig:
	case <-stdin:
	case err := <-done:
		return err
	}
	return api.ShutDown()
}
