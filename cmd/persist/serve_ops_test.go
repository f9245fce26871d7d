package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// getStatus fetches url and returns its status and body.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServeOperations checks, through the built binary, that persist serve
// answers /healthz, /metrics and /ui/ by default, and that --metrics=false
// and --ui=false turn the last two off.
func TestServeOperations(t *testing.T) {
	p := startServer(t, "--store", "mem://serve-ops")
	base := strings.TrimSuffix(p.url, "/persist")
	if status, body := getStatus(t, base+"/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	if status, body := getStatus(t, base+"/metrics"); status != http.StatusOK || !strings.Contains(body, `persist_http_requests_total{code="200",method="GET",route="/healthz"} 1`) {
		t.Errorf("/metrics: %d, without the /healthz request:\n%s", status, body)
	}
	if status, body := getStatus(t, base+"/ui/"); status != http.StatusOK || !strings.Contains(body, "No function has stored results yet.") {
		t.Errorf("/ui/: %d\n%s", status, body)
	}
	p.stop(t)

	off := startServer(t, "--store", "mem://serve-ops", "--metrics=false", "--ui=false")
	base = strings.TrimSuffix(off.url, "/persist")
	for _, path := range []string{"/metrics", "/ui/"} {
		if status, _ := getStatus(t, base+path); status != http.StatusNotFound {
			t.Errorf("%s when turned off: %d, want 404", path, status)
		}
	}
	if status, _ := getStatus(t, base+"/healthz"); status != http.StatusOK {
		t.Errorf("/healthz with metrics and dashboard off: %d", status)
	}
	off.stop(t)
}
