package redisstore

import (
	"bytes"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

// secret is the password of the servers these tests start.
const secret = "n0t-in-any-error"

// checkErr fails t unless err wraps want, names the server and does not
// quote the password.
func checkErr(t *testing.T, call string, err, want error, addr string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %v", call, want)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: err = %v, want one wrapping %v", call, err, want)
	case !strings.Contains(err.Error(), addr):
		t.Errorf("%s: err = %v does not name the server %s", call, err, addr)
	case strings.Contains(err.Error(), secret):
		t.Errorf("%s: err = %v quotes the password", call, err)
	}
}

// TestErrorsWithoutCredentials checks that failures to open name the
// server and never quote the password.
func TestErrorsWithoutCredentials(t *testing.T) {
	srv := ownServer(t, "--requirepass", secret)
	ctx := t.Context()
	good := "redis://:" + secret + "@" + srv.addr + "/0"
	st := openStore(t, good)
	if strings.Contains(st.URL(), secret) || !strings.Contains(st.URL(), srv.addr) {
		t.Errorf("URL() = %q, want the server without the password", st.URL())
	}

	_, err := Open(ctx, "redis://:wrong-"+secret+"@"+srv.addr+"/0")
	checkErr(t, "Open with a wrong password", err, nil, srv.addr)
	_, err = Open(ctx, "redis://"+srv.addr+"/0")
	checkErr(t, "Open without the password", err, nil, srv.addr)
	_, err = Open(ctx, "redis://user:"+secret+"@"+srv.addr+"/0?lease=x")
	checkErr(t, "Open with a bad option", err, nil, srv.addr)
	_, err = Open(ctx, "redis://user:"+secret+"@"+srv.addr+":x:y/0")
	checkErr(t, "Open of a URL that does not parse", err, nil, "redis://")

	free, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	down := "127.0.0.1:" + strconv.Itoa(free)
	_, err = Open(ctx, "redis://:"+secret+"@"+down+"/0?timeout=1s")
	checkErr(t, "Open of a port without a server", err, stores.ErrUnavailable, down)
	_, err = Open(ctx, "redis://:"+secret+"@"+down+","+srv.addr+"/?timeout=1s")
	checkErr(t, "Open of a cluster URL on a server that is not one", err, nil, down)
}

// TestServerGoesAway kills the server under an open store: every call then
// fails with ErrUnavailable, naming the server without the password, and
// none returns a result; the lease renewal's warnings quote no password
// either. A server started again in its place, empty, gives misses, not
// old records.
func TestServerGoesAway(t *testing.T) {
	srv := ownServer(t, "--requirepass", secret)
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	st := openStore(t, "redis://:"+secret+"@"+srv.addr+"/0?timeout=1s&lease=600ms")
	ctx := t.Context()
	fn := "goes_away"
	if err := st.Put(ctx, fn, "h", stores.Record{Result: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	unlock, err := st.Lock(ctx, fn, "held")
	if err != nil {
		t.Fatal(err)
	}
	srv.kill()

	rec, err := st.Get(ctx, fn, "h")
	checkErr(t, "Get", err, stores.ErrUnavailable, srv.addr)
	if rec.Result != nil {
		t.Errorf("Get with the server gone returned %q", rec.Result)
	}
	checkErr(t, "Put", st.Put(ctx, fn, "h2", stores.Record{Result: []byte("r")}), stores.ErrUnavailable, srv.addr)
	checkErr(t, "Delete", st.Delete(ctx, fn, "h"), stores.ErrUnavailable, srv.addr)
	checkErr(t, "Clear", st.Clear(ctx, fn), stores.ErrUnavailable, srv.addr)
	page, _, err := st.List(ctx, fn, "", 10)
	checkErr(t, "List", err, stores.ErrUnavailable, srv.addr)
	if page != nil {
		t.Errorf("List with the server gone returned %v", page)
	}
	_, err = st.Len(ctx, fn)
	checkErr(t, "Len", err, stores.ErrUnavailable, srv.addr)
	_, err = st.Owner(ctx, fn)
	checkErr(t, "Owner", err, stores.ErrUnavailable, srv.addr)
	_, err = st.ClaimOwner(ctx, fn, []byte("o"))
	checkErr(t, "ClaimOwner", err, stores.ErrUnavailable, srv.addr)
	_, err = st.Lock(ctx, fn, "other")
	checkErr(t, "Lock", err, stores.ErrUnavailable, srv.addr)
	for _, err := range st.Funcs(ctx) {
		checkErr(t, "Funcs", err, stores.ErrUnavailable, srv.addr)
	}
	time.Sleep(time.Second) // the held lease's renewals fail meanwhile
	unlock()

	if err := srv.restart(); err != nil {
		t.Fatalf("restarting the server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = st.Get(ctx, fn, "h")
		if !errors.Is(err, stores.ErrUnavailable) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !errors.Is(err, stores.ErrNotFound) {
		t.Errorf("Get from the restarted, empty server: err = %v, want ErrNotFound", err)
	}
	if err := st.Put(ctx, fn, "h", stores.Record{Result: []byte("after")}); err != nil {
		t.Fatalf("Put on the restarted server: %v", err)
	}
	if rec, err := st.Get(ctx, fn, "h"); err != nil || string(rec.Result) != "after" {
		t.Errorf("Get on the restarted server = %q, %v", rec.Result, err)
	}
	_ = st.Clear(ctx, fn)

	out := logs.String()
	if !strings.Contains(out, "could not renew") {
		t.Errorf("no warning about the lease that could not be renewed; the log:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the log quotes the password:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer for a logger that goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClusterNodeGoesAway kills one node of a cluster of the test's own:
// each function's record then reads back whole or fails with
// ErrUnavailable, naming the cluster, and never reads as missing or wrong.
func TestClusterNodeGoesAway(t *testing.T) {
	nodes, err := startCluster(t.TempDir())
	if err != nil {
		noServer(t, err)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
		}
	})
	st := openStore(t, nodesURL(nodes)+"?timeout=1s")
	ctx := t.Context()
	const funcs = 30 // spread over the three nodes' slots
	for i := range funcs {
		fn := "node_" + strconv.Itoa(i)
		if err := st.Put(ctx, fn, "h", stores.Record{Result: []byte(fn)}); err != nil {
			t.Fatal(err)
		}
	}
	nodes[1].kill()
	ok, unavailable := 0, 0
	for i := range funcs {
		fn := "node_" + strconv.Itoa(i)
		rec, err := st.Get(ctx, fn, "h")
		switch {
		case err == nil && string(rec.Result) == fn:
			ok++
		case err == nil:
			t.Errorf("Get(%s) = %q", fn, rec.Result)
		case errors.Is(err, stores.ErrUnavailable):
			unavailable++
			if !strings.Contains(err.Error(), nodes[0].addr) {
				t.Errorf("Get(%s): err = %v does not name the cluster", fn, err)
			}
		default:
			t.Errorf("Get(%s): err = %v, want the record or ErrUnavailable", fn, err)
		}
	}
	if unavailable == 0 {
		t.Errorf("no Get failed with one node of three gone (%d succeeded)", ok)
	}
	t.Logf("with one node gone: %d reads whole, %d ErrUnavailable", ok, unavailable)
}
