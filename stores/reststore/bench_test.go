package reststore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
)

// BenchmarkStore measures Get and Put through a persist server on a
// loopback port, backed by memory, so the ratio to the in-memory floor is
// the cost of HTTP, JSON and the wire encoding.
func BenchmarkStore(b *testing.B) {
	ts := newServer(b, server.Options{}, nil)
	storetest.Bench(b, func(b *testing.B) *stores.Store {
		st, err := reststore.Open(ts.URL+"/persist", reststore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return st
	})
}

// BenchmarkIterate walks a function of 1,000, 10,000 and 100,000 entries
// through the REST store, against a persist server over memory on a
// loopback port: "list" their metadata (ListAll), "entries" their whole
// records (Entries, one read per entry). Each reports ns/entry, which must
// stay flat as the function grows (paging by cursor costs each page its
// own size), and x_memstore, the ratio to the same walk of the memory store
// behind the server, timed in the same run.
func BenchmarkIterate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		mem := memstore.Open(fmt.Sprintf("reststore-iterate-%d-%d", n, time.Now().UnixNano()))
		ctx := context.Background()
		for i := range n {
			if err := mem.Put(ctx, "f", fmt.Sprintf("%043d", i), stores.Record{Result: make([]byte, 100)}); err != nil {
				b.Fatal(err)
			}
		}
		ts := httptest.NewServer(server.New(mem, server.Options{}))
		st, err := reststore.Open(ts.URL+"/persist", reststore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		walks := map[string]func(st *stores.Store) int{
			"list": func(st *stores.Store) int {
				seen := 0
				for _, err := range st.ListAll(ctx, "f") {
					if err != nil {
						b.Fatal(err)
					}
					seen++
				}
				return seen
			},
			"entries": func(st *stores.Store) int {
				seen := 0
				for _, err := range st.Entries(ctx, "f", stores.AllParts) {
					if err != nil {
						b.Fatal(err)
					}
					seen++
				}
				return seen
			},
		}
		for _, name := range []string{"list", "entries"} {
			walk := walks[name]
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				walks := 0
				for b.Loop() {
					if seen := walk(st); seen != n {
						b.Fatalf("walked %d entries, want %d", seen, n)
					}
					walks++
				}
				perEntry := float64(b.Elapsed()) / float64(walks*n)
				b.ReportMetric(perEntry, "ns/entry")
				start := time.Now()
				for range walks {
					walk(mem)
				}
				if floor := float64(time.Since(start)) / float64(walks*n); floor > 0 {
					b.ReportMetric(perEntry/floor, "x_memstore")
				}
			})
		}
		_ = st.Close()
		ts.Close()
		_ = mem.Clear(ctx, "f")
	}
}

// BenchmarkHit reads one 1 KiB result through the REST store from a
// persist server over a file store, on a loopback port, and reads it from
// that file store directly, alternately in each iteration, so that both
// see the same machine: ns/op is the two together; rest-ns/hit and
// file-ns/hit are each, x_filestore their ratio. rest-allocs/hit and
// file-allocs/hit count each path's allocations, the server's included.
// The server runs bare, with the access log of persist serve
// --access-log (a text handler, here writing to io.Discard), and with an
// Observer that counts requests. http-ns/hit is the floor of any hit over
// HTTP, measured in the same loop: a GET of the same bytes from a bare
// net/http handler, by a net/http client, on loopback; x_http is the REST
// hit's ratio to it, http_x_filestore the floor's to the file hit. Under
// that floor are two more, in the same loop: a GET written by hand to the
// same bare handler (server-ns/hit, net/http's server alone, and
// server_x_filestore), and a TCP round trip of about a hit's bytes with no
// HTTP at all (tcp-ns/hit, tcp_x_filestore).
func BenchmarkHit(b *testing.B) {
	fs, err := filestore.Open(b.TempDir(), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	ctx := context.Background()
	const hash = "Q2FjaGVkIHJlc3VsdCBvZiBhIGhpdCBiZW5jaG1hcms"
	result := make([]byte, 1<<10)
	for i := range result {
		result[i] = byte(i * 7) // not UTF-8: travels as a compressed pickle does
	}
	if err := fs.Put(ctx, "f", hash, stores.Record{Result: result, Key: []byte("key")}); err != nil {
		b.Fatal(err)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(result)
	}))
	defer bare.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	httpHit := func() {
		resp, err := client.Get(bare.URL)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != int64(len(result)) {
			b.Fatalf("the floor read %d bytes, %v", n, err)
		}
	}
	serverHit := handWrittenGet(b, bare.URL, len(result))
	tcpHit := tcpRoundTrip(b, 128, len(result)+256)
	for _, c := range []struct {
		name string
		opts server.Options
	}{
		{"bare", server.Options{}},
		{"logged", server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}},
		{"observed", server.Options{Observer: &countingObserver{}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ts := httptest.NewServer(server.New(fs, c.opts))
			defer ts.Close()
			st, err := reststore.Open(ts.URL+"/persist", reststore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			restHit := func() {
				rec, err := st.Read(ctx, "f", hash, stores.PartResult)
				if err != nil {
					b.Fatal(err)
				}
				if len(rec.Result) != len(result) {
					b.Fatalf("read %d bytes, want %d", len(rec.Result), len(result))
				}
			}
			fileHit := func() {
				if _, err := fs.Read(ctx, "f", hash, stores.PartResult); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			var rest, file, floor, bareServer, tcp time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				restHit()
				t1 := time.Now()
				fileHit()
				t2 := time.Now()
				httpHit()
				t3 := time.Now()
				serverHit()
				t4 := time.Now()
				tcpHit()
				tcp += time.Since(t4)
				bareServer += t4.Sub(t3)
				floor += t3.Sub(t2)
				file += t2.Sub(t1)
				rest += t1.Sub(t0)
				n++
			}
			b.ReportMetric(float64(rest)/float64(n), "rest-ns/hit")
			b.ReportMetric(float64(file)/float64(n), "file-ns/hit")
			b.ReportMetric(float64(floor)/float64(n), "http-ns/hit")
			b.ReportMetric(float64(bareServer)/float64(n), "server-ns/hit")
			b.ReportMetric(float64(tcp)/float64(n), "tcp-ns/hit")
			if file > 0 && floor > 0 {
				b.ReportMetric(float64(rest)/float64(file), "x_filestore")
				b.ReportMetric(float64(rest)/float64(floor), "x_http")
				b.ReportMetric(float64(floor)/float64(file), "http_x_filestore")
				b.ReportMetric(float64(bareServer)/float64(file), "server_x_filestore")
				b.ReportMetric(float64(tcp)/float64(file), "tcp_x_filestore")
			}
			b.ReportMetric(testing.AllocsPerRun(100, restHit), "rest-allocs/hit")
			b.ReportMetric(testing.AllocsPerRun(100, fileHit), "file-allocs/hit")
		})
	}
}

// countingObserver is the least an Observer does: it counts.
type countingObserver struct{ requests, failures atomic.Int64 }

func (o *countingObserver) RequestDone(server.Request) { o.requests.Add(1) }
func (o *countingObserver) StoreFailed(string)         { o.failures.Add(1) }
