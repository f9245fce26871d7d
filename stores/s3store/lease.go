package s3store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gopersist/persist/stores/internal/heartbeat"
)

// Waiting for a held lease polls the server, first often (a computation
// that finishes quickly should hand over quickly), then less often so that
// many waiters do not load it.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// leaseBody is the content of a lease object. Its length is what the PUT
// states, so that the create-if-absent is a single exclusive request.
type leaseBody struct {
	// Holder tells holders apart: random per Lock call.
	Holder string `json:"holder"`
	// Expires is when the lease ends unless renewed, in the holder's clock.
	Expires time.Time `json:"expires"`
}

// Lock implements [driver.Locker] with a lease object per (funcname,
// hash), see the package documentation.
func (d *s3Driver) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	if err := d.conditional(ctx); err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	l := &lease{d: d, key: d.dir(funcname) + hash + leaseSuffix, holder: hex.EncodeToString(id)}
	poll := firstPoll
	for {
		took, err := l.take(ctx)
		if err != nil {
			return nil, err
		}
		if took {
			return l.hold(), nil
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-d.done:
			t.Stop()
			return nil, errClosing
		case <-t.C:
		}
		poll = min(2*poll, maxPoll)
	}
}

// errNoConditional reports a server that ignores If-None-Match on PUT: on
// it every caller would take every lease.
var errNoConditional = errors.New("the server ignores conditional writes (If-None-Match), so it cannot hold computation locks")

// probeName is the object, beside the functions' prefixes, that checks
// once per store that the server honours conditional writes.
const probeName = ".persist-conditional-write-probe"

// conditional checks, on the store's first Lock, that the server refuses
// a create-if-absent of an object that exists. A server that answers
// otherwise makes Lock fail with an error of code Unsupported rather than
// let every caller in.
func (d *s3Driver) conditional(ctx context.Context) error {
	d.probeMu.Lock()
	defer d.probeMu.Unlock()
	if d.probed {
		return d.probeErr
	}
	key := d.prefix + probeName
	opts := minio.PutObjectOptions{}
	opts.SetMatchETagExcept("*")
	for range 2 {
		_, err := d.putSmall(ctx, key, []byte("probe"), opts)
		switch {
		case isPreconditionFailed(err):
			d.probed = true
			return nil
		case err != nil:
			return err // not known yet: try again with the next Lock
		}
	}
	d.probed, d.probeErr = true, errNoConditional
	return d.probeErr
}

// errClosing ends a Lock that was waiting when the store was closed.
var errClosing = errors.New("the store was closed while waiting for a lock")

// lease is one holder's claim on a lease object.
type lease struct {
	d      *s3Driver
	key    string
	holder string

	mu   sync.Mutex
	etag string // of the lease object as this holder last wrote it
}

// body encodes a lease that ends one lease duration from now.
func (l *lease) body() []byte {
	b, _ := json.Marshal(leaseBody{Holder: l.holder, Expires: time.Now().Add(l.d.lease)}) // cannot fail
	return b
}

// write puts a fresh lease body on the condition opts carries, always as
// one PUT with its length, and records the new ETag.
func (l *lease) write(ctx context.Context, opts minio.PutObjectOptions) error {
	opts.ContentType = "application/json"
	info, err := l.d.putSmall(ctx, l.key, l.body(), opts)
	if err != nil {
		return err
	}
	l.etag = info.ETag
	return nil
}

// take tries once to become the holder: create the lease object if there
// is none (If-None-Match: *), or replace an expired one on the condition
// that it is still the expired one (If-Match on its ETag). It reports
// false when another holder has a live lease or won the race.
func (l *lease) take(ctx context.Context) (bool, error) {
	opts := minio.PutObjectOptions{}
	opts.SetMatchETagExcept("*")
	err := l.write(ctx, opts)
	if err == nil {
		return true, nil
	}
	if !isPreconditionFailed(err) {
		return false, err
	}
	data, info, err := l.d.get(ctx, l.key)
	switch {
	case err == errNotFound:
		return false, nil // released meanwhile: the next poll creates it
	case err != nil:
		return false, err
	}
	var held leaseBody
	if json.Unmarshal(data, &held) == nil && time.Now().Before(held.Expires) {
		return false, nil
	}
	// Expired, or not a lease this store wrote: take it over unless
	// someone else does first.
	opts = minio.PutObjectOptions{}
	opts.SetMatchETag(info.ETag)
	err = l.write(ctx, opts)
	switch {
	case err == nil:
		slog.Info("s3store: took over an expired computation lock", "store", l.d.name, "lock", l.key, "expired", held.Expires)
		return true, nil
	case isPreconditionFailed(err), isNotFound(err):
		return false, nil
	}
	return false, err
}

// hold renews the lease every third of its duration until unlock is called
// or the store is closed, and returns unlock.
func (l *lease) hold() func() {
	l.d.wg.Add(1)
	return heartbeat.Hold(&l.d.wg, l.d.done, l.d.lease, l.renew, l.release)
}

// renew pushes the expiry back with a write on the condition that the
// lease object is still the one this holder wrote (If-Match), and reports
// whether the lease is still ours. A lease lost to expiry (a server
// unreachable for longer than the lease) is logged: another process may
// then compute the same result, which costs time but stores the same
// bytes.
func (l *lease) renew() bool {
	ctx, cancel := context.WithTimeout(context.Background(), l.d.lease/3)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	opts := minio.PutObjectOptions{}
	opts.SetMatchETag(l.etag)
	err := l.write(ctx, opts)
	switch {
	case err == nil:
		return true
	case isPreconditionFailed(err), isNotFound(err):
		slog.Warn("s3store: a computation lock expired while held and was taken over", "store", l.d.name, "lock", l.key, "lease", l.d.lease)
		return false
	}
	slog.Warn("s3store: could not renew a computation lock; retrying", "store", l.d.name, "lock", l.key, "err", err)
	return true
}

// release deletes the lease object if it is still the one this holder
// wrote. S3 has no conditional delete that every server takes, so it
// compares the ETag first: the lease cannot change in between unless it
// expired, which its renewals prevent. A failure is logged only: the lease
// then expires on its own.
func (l *lease) release() {
	select {
	case <-l.d.done:
		return // closed: the lease expires on its own
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.d.lease)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	info, err := l.d.client.StatObject(ctx, l.d.bucket, l.key, minio.StatObjectOptions{})
	if err == nil && info.ETag == l.etag {
		err = l.d.client.RemoveObject(ctx, l.d.bucket, l.key, minio.RemoveObjectOptions{})
	}
	if err != nil && !isNotFound(err) {
		slog.Warn("s3store: could not release a computation lock; it expires on its own",
			"store", l.d.name, "lock", l.key, "lease", l.d.lease, "err", err)
	}
}
