// Command s3serverd serves a directory as an S3 endpoint, for tests that
// need the server in a process of its own (on a host of its own, in a
// network namespace): versitygw's S3 API over its posix backend, as the
// s3store tests run it in-process.
//
//	s3serverd -dir DIR -addr HOST:PORT [-bucket NAME]...
//
// The root account's keys come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, as the clients' do. It creates the buckets named,
// prints "listening on http://HOST:PORT" once it serves, and exits when its
// standard input closes, so that it ends with the test that started it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gopersist/persist/stores/s3store/internal/s3server"
)

type buckets []string

func (b *buckets) String() string     { return fmt.Sprint(*b) }
func (b *buckets) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	dir := flag.String("dir", "", "the directory that holds the buckets")
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on")
	var names buckets
	flag.Var(&names, "bucket", "a bucket to create (repeatable)")
	flag.Parse()
	if err := run(*dir, *addr, names); err != nil {
		fmt.Fprintln(os.Stderr, "s3serverd:", err)
		os.Exit(1)
	}
}

func run(dir, addr string, names []string) error {
	access, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if dir == "" || access == "" || secret == "" {
		return fmt.Errorf("need -dir, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	be, err := s3server.Backend(dir)
	if err != nil {
		return err
	}
	srv, err := s3server.Start(be, addr, access, secret)
	if err != nil {
		return err
	}
	defer srv.Stop()
	u, _ := url.Parse(srv.Endpoint)
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: s3server.Region})
	if err != nil {
		return err
	}
	for _, b := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: s3server.Region})
		cancel()
		if err != nil {
			if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return fmt.Errorf("creating bucket %s: %w", b, err)
			}
		}
	}
	fmt.Println("listening on", srv.Endpoint)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}
