package reststore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gopersist/persist/server/wire"
)

// DefaultLeaseTTL is the time to live of a lease when Options.LeaseTTL is
// zero: a holder that dies lets its waiters in at most this long after its
// last renewal.
const DefaultLeaseTTL = 10 * time.Second

// leaseWait is the longest one lease request asks the server to wait for
// a held lease: long polling hands a lease over as soon as its holder
// releases it, without the requests of polling.
const leaseWait = 5 * time.Second

// releaseTimeout bounds the request that releases a lease: unlock runs
// with no context, and a server that does not answer lets the lease expire.
const releaseTimeout = 5 * time.Second

// withdrawTimeout bounds the request that withdraws a POST given up on,
// which delays the return of a Lock whose context ended.
const withdrawTimeout = time.Second

var (
	errNoLeases = errors.New("the server has no lease extension (it is not a persist server, or an older one): computing without the lock")
	errClosed   = errors.New("the store is closed")
)

// Lock implements [driver.Locker] with the server's lease extension (see
// package server): it asks for the lease, waiting on the server for up to
// leaseWait at a time until ctx ends, then renews it every third of its
// time to live until unlock releases it. A server without the extension
// answers 404 or 405; the driver remembers that, and every Lock of the
// store fails at once with an error of code Unsupported.
//
// Every POST carries a token the driver chose, so that a Lock that gives
// up a POST before its answer (its context ended, the store closed, the
// answer was lost) can withdraw it: the server may grant the lease just
// as the client leaves, and nobody would renew or release it.
func (s *restDriver) Lock(ctx context.Context, funcname, hash string) (unlock func(), err error) {
	if s.noLeases.Load() {
		return nil, errNoLeases
	}
	u := s.leaseURL(funcname, hash)
	token := rand.Text() // 128 random bits
	unanswered := false  // a POST whose answer was not read
	defer func() {
		if err != nil && unanswered {
			ctx, cancel := context.WithTimeout(context.Background(), withdrawTimeout)
			defer cancel()
			if resp, err := s.leaseDo(ctx, http.MethodDelete, u, token); err == nil {
				discard(resp)
			}
		}
	}()
	// Close ends the wait, as it ends the store's other calls.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		if err != nil && isClosed(s.closed) {
			unlock, err = nil, errClosed
		}
	}()
	for attempt := 0; ; attempt++ {
		wait := s.leaseWait
		if dl, ok := ctx.Deadline(); ok {
			wait = max(0, min(wait, time.Until(dl)))
		}
		q := url.Values{wire.LeaseTTLParam: {strconv.FormatInt(s.leaseTTL.Milliseconds(), 10)}, wire.LeaseWaitParam: {strconv.FormatInt(wait.Milliseconds(), 10)}}
		unanswered = true
		resp, err := s.leaseDo(ctx, http.MethodPost, u+"?"+q.Encode(), token)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusCreated:
			var l wire.Lease
			if err := decode(resp, &l); err != nil {
				return nil, err
			}
			unanswered = false
			if l.Token == "" || l.TTLMillis <= 0 {
				return nil, fmt.Errorf("%w: the server granted a lease without a token or time to live", errUnavailable)
			}
			return s.hold(u, l), nil
		case http.StatusConflict:
			discard(resp)
			unanswered = false
			// The server waited for the lease already; a short pause keeps
			// a client whose waits are cut short from spinning.
			if err := s.wait(ctx, min(attempt, 2)); err != nil {
				return nil, err
			}
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			discard(resp)
			unanswered = false
			s.noLeases.Store(true)
			return nil, errNoLeases
		default:
			unanswered = false
			return nil, unexpected(resp)
		}
	}
}

// hold keeps the lease l of the lease URL u renewed until the returned
// unlock, or Close, releases it.
func (s *restDriver) hold(u string, l wire.Lease) func() {
	stop := make(chan struct{})
	s.leaseWG.Add(1)
	go func() {
		defer s.leaseWG.Done()
		s.heartbeat(u, l, stop)
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		if resp, err := s.leaseDo(ctx, http.MethodDelete, u, l.Token); err == nil {
			discard(resp)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop) }) }
}

// heartbeat renews the lease every third of its time to live until stop
// closes or the store does, or the server says the lease is lost (ended,
// or another's). A renewal that fails in transit is tried again at the
// next beat: the lease may still be alive.
func (s *restDriver) heartbeat(u string, l wire.Lease, stop <-chan struct{}) {
	ttl := time.Duration(l.TTLMillis) * time.Millisecond
	period := max(ttl/3, time.Millisecond)
	t := time.NewTimer(period)
	defer t.Stop()
	q := "?" + wire.LeaseTTLParam + "=" + strconv.FormatInt(l.TTLMillis, 10)
	for {
		select {
		case <-stop:
			return
		case <-s.closed:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), period)
		resp, err := s.leaseDo(ctx, http.MethodPut, u+q, l.Token)
		cancel()
		if err == nil {
			lost := resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusConflict
			discard(resp)
			if lost {
				// The release that follows is refused too, harmlessly: a
				// token releases only its own lease.
				return
			}
		}
		t.Reset(period)
	}
}

// leaseURL is the lease URL of one entry.
func (s *restDriver) leaseURL(funcname, hash string) string {
	return s.base + "/.lease/" + funcname + "/" + url.PathEscape(hash)
}

// leaseDo sends one lease request, never retried: a POST whose answer is
// lost is withdrawn by Lock, and renewals are repeated by the heartbeat
// anyway. It fails
// with the context's error if that ended, else with one wrapping
// errUnavailable.
func (s *restDriver) leaseDo(ctx context.Context, method, u, token string) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Accept", "application/json")
	if token != "" {
		hr.Header.Set(wire.LeaseTokenHeader, token)
	}
	// A request after Close (a release, a withdrawal) leaves no idle
	// connection behind in the closed store's transport.
	hr.Close = isClosed(s.closed)
	if s.token != "" {
		hr.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(hr)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return resp, nil
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
