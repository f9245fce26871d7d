package main

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
)

// loadRecord is the record client c puts as its i-th write: every byte is
// derived from (c, i), so a lost or mixed-up record shows.
func loadRecord(c, i int) stores.Record {
	id := fmt.Sprintf("client %02d write %04d;", c, i)
	return stores.Record{Result: bytes.Repeat([]byte(id), 8), Key: []byte(id)}
}

func loadHash(c, i int) string { return fmt.Sprintf("c%02d-%04d", c, i) }

// TestServeLoad runs 50 clients of 400 requests each (a Put, then a Get of
// what it put) against persist serve on loopback, checks that nothing
// failed or was lost, and reports throughput and latency. (At 2,000
// requests each it took the longest of all the tests; 400 keep the 50
// clients at work together long enough.)
func TestServeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test takes a while; skipped with -short")
	}
	const (
		clients  = 50
		requests = 400
		writes   = requests / 2
		funcname = "load"
	)
	p := startServer(t, "--store", "mem://e2e-load", "--page-max", "1000")

	latencies := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := openRest(t, p.url, reststore.Options{})
			defer st.Close()
			ctx := t.Context()
			lat := make([]time.Duration, 0, requests)
			for i := range writes {
				want := loadRecord(c, i)
				t0 := time.Now()
				if err := st.Put(ctx, funcname, loadHash(c, i), want); err != nil {
					errs <- fmt.Errorf("client %d: Put %d: %w", c, i, err)
					return
				}
				t1 := time.Now()
				got, err := st.Get(ctx, funcname, loadHash(c, i))
				t2 := time.Now()
				if err != nil {
					errs <- fmt.Errorf("client %d: Get %d: %w", c, i, err)
					return
				}
				if !bytes.Equal(got.Result, want.Result) || !bytes.Equal(got.Key, want.Key) {
					errs <- fmt.Errorf("client %d: Get %d returned another record: %q", c, i, got.Key)
					return
				}
				lat = append(lat, t1.Sub(t0), t2.Sub(t1))
			}
			latencies[c] = lat
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.Fatalf("server log:\n%s", p.stderr)
	}

	all := slices.Concat(latencies...)
	slices.Sort(all)
	pct := func(q float64) time.Duration { return all[int(q*float64(len(all)-1))] }
	t.Logf("%d clients x %d requests = %d requests in %v: %.0f requests/s; latency p50 %v, p99 %v, max %v",
		clients, requests, len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(),
		pct(0.50), pct(0.99), all[len(all)-1])

	// Every record is there, once, with its bytes.
	st := openRest(t, p.url, reststore.Options{PageSize: 1000})
	defer st.Close()
	n, err := st.Len(t.Context(), funcname)
	if err != nil || n != clients*writes {
		t.Fatalf("Len = %d, %v; want %d", n, err, clients*writes)
	}
	seen := make(map[string]bool, clients*writes)
	for e, err := range st.Entries(t.Context(), funcname, stores.AllParts) {
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		var c, i int
		if _, err := fmt.Sscanf(e.Hash, "c%02d-%04d", &c, &i); err != nil || loadHash(c, i) != e.Hash {
			t.Fatalf("Entries yielded hash %q, which no client wrote", e.Hash)
		}
		want := loadRecord(c, i)
		if !bytes.Equal(e.Result, want.Result) || !bytes.Equal(e.Key, want.Key) {
			t.Fatalf("record %s holds %q, want client %d's write %d", e.Hash, e.Key, c, i)
		}
		if seen[e.Hash] {
			t.Fatalf("Entries yielded %s twice", e.Hash)
		}
		seen[e.Hash] = true
	}
	if len(seen) != clients*writes {
		t.Fatalf("Entries yielded %d records, want %d", len(seen), clients*writes)
	}
	p.stop(t)
}
