package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// stalledDriver is a memory store's driver whose Read waits for its
// context to end, as a store whose server stopped answering does.
type stalledDriver struct{ driver.Store }

func (s stalledDriver) Read(ctx context.Context, _, _ string, _ driver.Parts) (driver.Record, error) {
	<-ctx.Done()
	return driver.Record{}, ctx.Err()
}

// TestHealthz checks /healthz's answers: ok for a store that answers, 503
// with the reason for a closed one and for one that does not answer in
// time, and no token asked for even when every other request needs one.
func TestHealthz(t *testing.T) {
	healthy := newFixture(t, server.Options{Token: "s3cret", TokenFor: server.TokenForAll})
	a := healthy.do(t, http.MethodGet, "/healthz", nil, "")
	if a.status != http.StatusOK || string(a.body) != "ok\n" {
		t.Errorf("healthy store: %d %q, want 200 ok", a.status, a.body)
	}
	if a := healthy.do(t, http.MethodHead, "/healthz", nil, ""); a.status != http.StatusOK {
		t.Errorf("HEAD /healthz: %d, want 200", a.status)
	}
	if a := healthy.do(t, http.MethodPost, "/healthz", nil, ""); a.status == http.StatusOK {
		t.Errorf("POST /healthz: %d, want a refusal", a.status)
	}

	closed := newFixture(t, server.Options{})
	_ = closed.store.Close()
	a = closed.do(t, http.MethodGet, "/healthz", nil, "")
	if a.status != http.StatusServiceUnavailable || string(a.body) != "unhealthy: store closed\n" {
		t.Errorf("closed store: %d %q, want 503 unhealthy: store closed", a.status, a.body)
	}

	var mem driver.Store
	memstore.Open("stalled").As(&mem)
	ts := httptest.NewServer(server.New(stores.NewStore(stalledDriver{mem}, "mem://stalled"), server.Options{}))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "did not answer within 2s") {
		t.Errorf("stalled store: %d %q, want 503 with the timeout", resp.StatusCode, body)
	}
}
