package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/cmd/persist/internal/metrics"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// scrape fetches /metrics over HTTP and parses it with Prometheus' text
// parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return families
}

// value returns the value of the series of family name with exactly the
// given labels (counter, gauge, or a histogram's count), and whether there
// is one.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for _, l := range m.Label {
			found := false
			for i := 0; i < len(labels); i += 2 {
				if labels[i] == l.GetName() && labels[i+1] == l.GetValue() {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestScrape makes known requests to a server with metrics and checks,
// through a real scrape parsed as Prometheus parses it, that each counter
// moved by what they did.
func TestScrape(t *testing.T) {
	ctx := context.Background()
	st := memstore.Open(fmt.Sprintf("metrics-test-%d", time.Now().UnixNano()))
	triple, err := persist.Decorate(func(x int) int { return 3 * x }, persist.Options{Store: st, FuncName: "triple", StoreKey: true, Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	for x := range 3 {
		if _, err := triple.Call(x); err != nil {
			t.Fatal(err)
		}
	}
	var tripleBytes int64
	for e, err := range st.Entries(ctx, "triple", stores.AllParts) {
		if err != nil {
			t.Fatal(err)
		}
		tripleBytes += int64(len(e.Result) + len(e.Key) + len(e.Meta))
	}

	m := metrics.New(st, time.Hour)
	ts := httptest.NewServer(server.New(st, server.Options{Observer: m, Metrics: m.Handler()}))
	defer ts.Close()
	var listOut int64
	do := func(method, path, body string) int64 {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return int64(len(b))
	}
	post := `{"funcname": "other", "hash": "h", "namespace": "pypersist", "result": "81"}`
	listOut += do(http.MethodGet, "/persist/triple", "")
	listOut += do(http.MethodGet, "/persist/triple", "")
	do(http.MethodGet, "/persist/triple/missing", "")
	postOut := do(http.MethodPost, "/persist/other", post)

	got := scrape(t, ts.URL)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"persist_http_requests_total", []string{"route", "/persist/{funcname}", "method", "GET", "code", "200"}, 2},
		{"persist_http_requests_total", []string{"route", "/persist/{funcname}/{hash}", "method", "GET", "code", "404"}, 1},
		{"persist_http_requests_total", []string{"route", "/persist/{funcname}", "method", "POST", "code", "201"}, 1},
		{"persist_http_request_duration_seconds", []string{"route", "/persist/{funcname}", "method", "GET"}, 2},
		{"persist_http_request_duration_seconds", []string{"route", "/persist/{funcname}", "method", "POST"}, 1},
		{"persist_http_request_body_bytes_total", []string{"route", "/persist/{funcname}"}, float64(len(post))},
		{"persist_http_response_body_bytes_total", []string{"route", "/persist/{funcname}"}, float64(listOut + postOut)},
		{"persist_function_entries", []string{"function", "triple"}, 3},
		{"persist_function_bytes", []string{"function", "triple"}, float64(tripleBytes)},
		{"persist_function_entries", []string{"function", "other"}, 1},
		{"persist_function_bytes", []string{"function", "other"}, 2},
	} {
		if v, ok := value(got, c.name, c.labels...); !ok || v != c.want {
			t.Errorf("%s%q = %v (found %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if _, ok := value(got, "persist_store_errors_total", "op", "read"); ok {
		t.Error("a store error is counted before any")
	}

	_ = st.Close()
	do(http.MethodGet, "/persist/triple/missing", "")
	got = scrape(t, ts.URL)
	if v, _ := value(got, "persist_store_errors_total", "op", "read"); v != 1 {
		t.Errorf("store read errors = %v after one failed read, want 1", v)
	}
	if v, _ := value(got, "persist_http_requests_total", "route", "/metrics", "method", "GET", "code", "200"); v != 1 {
		t.Errorf("scrapes counted = %v, want the first one", v)
	}
	if v, _ := value(got, "persist_function_entries", "function", "triple"); v != 3 {
		t.Errorf("entries of triple = %v in a scrape within the ttl, want the cached 3", v)
	}
}
