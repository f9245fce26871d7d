package reststore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/reststore"
)

// countedConns serves a fresh memory store and counts the connections
// clients open to it.
func countedConns(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	mem := memstore.Open("reststore-rawget-" + t.Name())
	t.Cleanup(func() { _ = mem.Clear(context.Background(), "f"); _ = mem.Close() })
	ts := httptest.NewUnstartedServer(server.New(mem, server.Options{}))
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, &conns
}

// TestReadsReuseConnections checks that a run of reads keeps one
// connection, and that a read whose kept connection the server closed
// meanwhile is sent again on a new one, by the store itself (with no
// retries allowed).
func TestReadsReuseConnections(t *testing.T) {
	ts, conns := countedConns(t)
	st := open(t, ts, reststore.Options{Retries: -1})
	ctx := t.Context()
	if err := st.Put(ctx, "f", "h", stores.Record{Result: []byte{0xfe}}); err != nil {
		t.Fatal(err)
	}
	before := conns.Load()
	for i := range 20 {
		if _, err := st.Read(ctx, "f", "h", stores.PartResult); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if opened := conns.Load() - before; opened != 1 {
		t.Errorf("20 reads in a row opened %d connections, want 1", opened)
	}
	ts.CloseClientConnections()
	time.Sleep(10 * time.Millisecond) // the close reaches the client's side
	rec, err := st.Read(ctx, "f", "h", stores.PartResult)
	if err != nil || string(rec.Result) != "\xfe" {
		t.Fatalf("read after the server closed the kept connection: %q, %v", rec.Result, err)
	}
}

// TestReadCanceled checks that a read stalled by the server ends when its
// context is cancelled, with the context's error.
func TestReadCanceled(t *testing.T) {
	ts := newServer(t, server.Options{}, stall(false))
	st := open(t, ts, reststore.Options{Retries: -1})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := st.Read(ctx, "f", "h", stores.PartResult)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read whose context is cancelled: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Read returned %v after its context was cancelled", d)
	}
}
