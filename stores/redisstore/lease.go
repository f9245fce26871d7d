package redisstore

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gopersist/persist/stores/internal/heartbeat"
)

// Waiting for a held lease polls the server, first often (a computation
// that finishes quickly should hand over quickly), then less often so that
// many waiters do not load the server.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// releaseTimeout bounds the release of a lease, which has no context.
const releaseTimeout = 5 * time.Second

// Lock implements [driver.Locker] with a lease per (funcname, hash): see
// the package documentation.
func (d *redisDriver) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	key := d.keys(funcname).lease(hash)
	token := newToken()
	ms := d.cfg.lease.Milliseconds()
	poll := firstPoll
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		took, err := acquireScript.Run(ctx, d.c, []string{key}, token, ms).Int()
		if err != nil {
			return nil, err
		}
		if took == 1 {
			return d.hold(key, token), nil
		}
		// Jitter keeps waiters that started together from polling together.
		wait := poll/2 + rand.N(poll)
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-d.done:
			return nil, errClosed
		case <-timer.C:
		}
		poll = min(2*poll, maxPoll)
	}
}

// hold renews the lease every third of its duration until unlock is called
// or the store is closed, and returns unlock.
func (d *redisDriver) hold(key, token string) func() {
	d.mu.Lock()
	closed := d.closed.Load()
	if !closed {
		d.wg.Add(1)
	}
	d.mu.Unlock()
	if closed {
		// Closed as the lease was taken: it expires on its own.
		return func() {}
	}
	return heartbeat.Hold(&d.wg, d.done, d.cfg.lease,
		func() bool { return d.renew(key, token) }, func() { d.release(key, token) })
}

// renew pushes the lease's expiry back, and reports whether the lease is
// still the caller's. A lease lost (the server unreachable for longer than
// the lease) is logged: another process may now compute the same result,
// which costs time but stores the same bytes.
func (d *redisDriver) renew(key, token string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.lease/3)
	defer cancel()
	ok, err := renewScript.Run(ctx, d.c, []string{key}, token, d.cfg.lease.Milliseconds()).Int()
	switch {
	case err != nil:
		slog.Warn("redisstore: could not renew a computation lock; retrying", "lock", key, "store", d.url, "err", err)
		return true
	case ok == 0:
		slog.Warn("redisstore: a computation lock expired while held", "lock", key, "store", d.url, "lease", d.cfg.lease)
		return false
	}
	return true
}

// release deletes the lease if it still holds the caller's token. A
// failure is logged only: the lease then expires on its own.
func (d *redisDriver) release(key, token string) {
	if d.closed.Load() {
		return // the lease expires on its own
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if err := releaseScript.Run(ctx, d.c, []string{key}, token).Err(); err != nil {
		slog.Warn("redisstore: could not release a computation lock; it expires on its own",
			"lock", key, "store", d.url, "lease", d.cfg.lease, "err", err)
	}
}
