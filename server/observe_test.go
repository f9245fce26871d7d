package server_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/gopersist/persist/server"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	requests []server.Request
	failures []string
}

func (r *recorder) RequestDone(req server.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req.Duration = 0 // not compared
	r.requests = append(r.requests, req)
}

func (r *recorder) StoreFailed(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, op)
}

// TestObserver checks what the Observer hears of known requests: route
// pattern, method, status and body sizes, and the store's failures.
func TestObserver(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, server.Options{Observer: rec, Token: "s3cret"})
	body := `{"funcname": "f", "hash": "h1", "namespace": "pypersist", "result": "81"}`
	f.do(t, http.MethodPost, "/persist/f", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer s3cret"}, body)
	got := f.do(t, http.MethodGet, "/persist/f/h1", nil, "")
	f.do(t, http.MethodGet, "/persist/f/missing", nil, "")
	f.do(t, http.MethodDelete, "/persist/f", nil, "") // no token
	f.do(t, "BREW", "/persist/f", nil, "")
	f.do(t, http.MethodGet, "/nowhere", nil, "")
	f.do(t, http.MethodGet, "/healthz", nil, "")
	_ = f.store.Close()
	f.do(t, http.MethodGet, "/persist/f/h1", nil, "")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.requests) != 8 {
		t.Fatalf("observed %d requests, want 8: %+v", len(rec.requests), rec.requests)
	}
	post := rec.requests[0]
	if post.Route != "/persist/{funcname}" || post.Method != "POST" || post.Status != http.StatusCreated || post.BytesIn != int64(len(body)) || post.BytesOut == 0 {
		t.Errorf("POST observed as %+v", post)
	}
	if g := rec.requests[1]; g.Route != "/persist/{funcname}/{hash}" || g.Status != http.StatusOK || g.BytesIn != 0 || g.BytesOut != int64(len(got.body)) {
		t.Errorf("GET observed as %+v, want %d bytes out", g, len(got.body))
	}
	want := []struct {
		route, method string
		status        int
	}{
		{"/persist/{funcname}/{hash}", "GET", http.StatusNotFound},
		{"/persist/{funcname}", "DELETE", http.StatusUnauthorized},
		{"/persist/{funcname}", "OTHER", http.StatusUnauthorized},
		{"/", "GET", http.StatusNotFound},
		{"/healthz", "GET", http.StatusOK},
		{"/persist/{funcname}/{hash}", "GET", http.StatusServiceUnavailable},
	}
	for i, w := range want {
		g := rec.requests[i+2]
		if g.Route != w.route || g.Method != w.method || g.Status != w.status {
			t.Errorf("request %d observed as %+v, want %s %s %d", i+2, g, w.method, w.route, w.status)
		}
	}
	if !slices.Equal(rec.failures, []string{"read"}) {
		t.Errorf("store failures observed: %q, want [read] (a missing item is not one)", rec.failures)
	}
}

// TestMetricsObeyTokenRules checks that Options.Metrics is served at
// /metrics under the token rules of reads, and not at all without it.
func TestMetricsObeyTokenRules(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })
	all := newFixture(t, server.Options{Metrics: metrics, Token: "s3cret", TokenFor: server.TokenForAll})
	if a := all.do(t, http.MethodGet, "/metrics", nil, ""); a.status != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token under TokenForAll: %d, want 401", a.status)
	}
	if a := all.do(t, http.MethodGet, "/metrics", map[string]string{"Authorization": "Bearer s3cret"}, ""); a.status != http.StatusOK || string(a.body) != "up 1\n" {
		t.Errorf("GET /metrics with the token: %d %q", a.status, a.body)
	}
	writes := newFixture(t, server.Options{Metrics: metrics, Token: "s3cret"})
	if a := writes.do(t, http.MethodGet, "/metrics", nil, ""); a.status != http.StatusOK {
		t.Errorf("GET /metrics under TokenForWrites: %d, want 200", a.status)
	}
	none := newFixture(t, server.Options{})
	if a := none.do(t, http.MethodGet, "/metrics", nil, ""); a.status != http.StatusNotFound {
		t.Errorf("GET /metrics without Options.Metrics: %d, want 404", a.status)
	}
}
