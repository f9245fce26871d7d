package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gopersist/persist/stores/internal/heartbeat"
)

// Waiting for a held lease polls the server, first often (a computation
// that finishes quickly should hand over quickly), then less often so
// that many waiters do not load the server.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// Lock implements [driver.Locker] with a lease document per (funcname,
// hash), see the package documentation.
func (d *mongoDriver) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	owner := make([]byte, 12)
	_, _ = rand.Read(owner) // crypto/rand.Read never fails
	l := &lease{d: d, id: funcname + "/" + hash, owner: hex.EncodeToString(owner)}
	poll := firstPoll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-d.done:
			return nil, errClosed
		case <-timer.C:
		}
		took, err := l.take(ctx)
		if err != nil {
			return nil, d.wrap(ctx, err)
		}
		if took {
			unlock, ok := l.hold()
			if !ok {
				return nil, errClosed
			}
			return unlock, nil
		}
		timer.Reset(poll)
		poll = min(2*poll, maxPoll)
	}
}

// lease is one holder's claim on a lease document. The id joins funcname
// and hash with '/', which neither may contain.
type lease struct {
	d     *mongoDriver
	id    string
	owner string
}

// take claims the lease if nobody holds it or its holder let it expire.
// The upsert matches only an expired document; when a live one exists it
// tries to insert a second document with the same _id, which the server
// refuses as a duplicate key: the lease is held.
func (l *lease) take(ctx context.Context) (bool, error) {
	now := time.Now()
	_, err := l.d.leases.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: l.id}, {Key: "expires", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "owner", Value: l.owner},
			{Key: "expires", Value: now.Add(l.d.lease)},
		}}},
		options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// hold renews the lease every third of its duration until unlock is called
// or the store is closed, and returns unlock; it reports false if the store
// was closed first, and the lease then expires on its own.
func (l *lease) hold() (unlock func(), ok bool) {
	// Close waits for the renewals only after it marked the store closed,
	// under renewMu: a renewal starts before that or not at all.
	l.d.renewMu.Lock()
	if l.d.closed.Load() {
		l.d.renewMu.Unlock()
		return nil, false
	}
	l.d.wg.Add(1)
	l.d.renewMu.Unlock()
	return heartbeat.Hold(&l.d.wg, l.d.done, l.d.lease, l.renew, l.release), true
}

// renew pushes the expiry back, and reports whether the lease is still
// ours. A lease lost to expiry (a server unreachable for longer than the
// lease) is logged: another process may be computing the same result,
// which costs time but stores the same bytes.
func (l *lease) renew() bool {
	ctx, cancel := context.WithTimeout(context.Background(), l.d.lease/3)
	defer cancel()
	res, err := l.d.leases.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: l.id}, {Key: "owner", Value: l.owner}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: time.Now().Add(l.d.lease)}}}})
	switch {
	case err != nil:
		slog.Warn("mongostore: could not renew a computation lock; retrying", "lock", l.id, "store", l.d.url, "err", err)
		return true
	case res.MatchedCount == 0:
		slog.Warn("mongostore: a computation lock expired while held", "lock", l.id, "store", l.d.url, "lease", l.d.lease)
		return false
	}
	return true
}

// release deletes the lease if it is still ours. A failure is logged only:
// the lease then expires on its own.
func (l *lease) release() {
	if l.d.closed.Load() {
		return // the lease expires on its own
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_, err := l.d.leases.DeleteOne(ctx, bson.D{{Key: "_id", Value: l.id}, {Key: "owner", Value: l.owner}})
	if err != nil {
		slog.Warn("mongostore: could not release a computation lock; it expires on its own",
			"lock", l.id, "store", l.d.url, "lease", l.d.lease, "err", err)
	}
}
