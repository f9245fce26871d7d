package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// healthTimeout bounds the store check of GET /healthz: a load balancer
// polls often and must hear "unhealthy" rather than nothing.
const healthTimeout = 2 * time.Second

// The record /healthz looks up. It need not exist: a store that answers
// "not found" in time is healthy.
const (
	healthFuncname = "persist_healthz"
	healthHash     = "probe"
)

// healthz answers 200 "ok" when the store answers one cheap lookup within
// healthTimeout, and 503 with the reason in one line when it does not. The
// details go to the log, not to the answer, which anyone may read.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	_, err := s.store.Read(ctx, healthFuncname, healthHash, stores.PartMeta)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err == nil || stores.IsNotFound(err) {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	var reason string
	switch stores.ErrorCode(err) {
	case driver.Closed:
		reason = "store closed"
	case driver.Unavailable:
		reason = "store unavailable"
	case driver.Canceled:
		if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
			reason = "store did not answer within " + healthTimeout.String()
			break
		}
		fallthrough
	default:
		reason = "store failed"
	}
	if s.log != nil {
		s.log.Error("health check failed", "reason", reason, "err", err)
	}
	s.reportStoreFailure("health")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("unhealthy: " + reason + "\n"))
}
