package s3store

import (
	"bytes"
	"context"

	"github.com/minio/minio-go/v7"
)

// ownerAttempts bounds ClaimOwner's retries when the owner record it lost
// to is removed (by a Clear) before it could be read.
const ownerAttempts = 5

// Owner implements [driver.Store]: the object <prefix>/<funcname>/.owner.
func (d *s3Driver) Owner(ctx context.Context, funcname string) ([]byte, error) {
	data, _, err := d.get(ctx, d.dir(funcname)+ownerName)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// ClaimOwner implements [driver.Store] with a create-if-absent write
// (If-None-Match: *), sent with its size so that it is one PUT, which S3
// makes exclusive, and never a multipart upload, which it does not.
func (d *s3Driver) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	key := d.dir(funcname) + ownerName
	for attempt := 0; ; attempt++ {
		opts := minio.PutObjectOptions{}
		opts.SetMatchETagExcept("*")
		_, err := d.putSmall(ctx, key, owner, opts)
		if err == nil {
			return append([]byte{}, owner...), nil
		}
		if !isPreconditionFailed(err) {
			return nil, err
		}
		have, _, err := d.get(ctx, key)
		if err == nil {
			return have, nil
		}
		if err != errNotFound || attempt == ownerAttempts-1 {
			return nil, err
		}
	}
}

// putSmall stores data under object in one PUT that states its length:
// never a multipart upload, which a condition (If-None-Match, If-Match)
// does not make exclusive.
func (d *s3Driver) putSmall(ctx context.Context, object string, data []byte, opts minio.PutObjectOptions) (minio.UploadInfo, error) {
	opts.DisableMultipart = true
	if opts.ContentType == "" {
		opts.ContentType = "application/octet-stream"
	}
	return d.client.PutObject(ctx, d.bucket, object, bytes.NewReader(data), int64(len(data)), opts)
}
