package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/reststore"
	"github.com/gopersist/persist/stores/storetest"
)

// openRest opens a reststore on a running server.
func openRest(t testing.TB, base string, opts reststore.Options) *stores.Store {
	t.Helper()
	st, err := reststore.Open(base, opts)
	if err != nil {
		t.Fatalf("reststore.Open(%s): %v", base, err)
	}
	return st
}

// TestServeConformance runs the store suite against persist serve over a
// directory, the store it serves by default. (Over a memory store, the
// server itself passes the suite in the REST store's tests.)
func TestServeConformance(t *testing.T) {
	p := startServer(t, "--store", "file://"+filepath.Join(t.TempDir(), "persist"))
	storetest.Run(t, func(t *testing.T) *stores.Store { return openRest(t, p.url, reststore.Options{}) })
	p.stop(t)
}

// rawRequest is one HTTP request written by hand, so that paths and bodies
// reach the server exactly as given.
func rawRequest(t *testing.T, base, method, path string, header map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, path, u.Host, len(body))
	for k, v := range header {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	req.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestServeBadInput(t *testing.T) {
	p := startServer(t, "--store", "mem://e2e-bad", "--max-body", "1KiB", "--token", "t0ken")
	auth := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer t0ken"}
	valid := `{"funcname": "bad", "hash": "h", "namespace": "pypersist", "result": "r"}`
	cases := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
	}{
		{"no token", "POST", "/persist/bad", map[string]string{"Content-Type": "application/json"}, valid, 401},
		{"wrong token", "POST", "/persist/bad", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer nope"}, valid, 401},
		{"malformed JSON", "POST", "/persist/bad", auth, `{"funcname": `, 400},
		{"missing fields", "POST", "/persist/bad", auth, `{"funcname": "bad"}`, 422},
		{"wrong type", "POST", "/persist/bad", auth, `{"funcname": "bad", "hash": "h", "namespace": "pypersist", "result": 42}`, 422},
		{"huge body", "POST", "/persist/bad", auth, `{"funcname": "bad", "hash": "h", "namespace": "pypersist", "result": "` + strings.Repeat("x", 4096) + `"}`, 413},
		{"traversal", "GET", "/persist/bad/../../etc/passwd", nil, "", 400},
		{"escaped traversal", "GET", "/persist/bad/%2e%2e%2f%2e%2e%2fetc", nil, "", 400},
		{"odd bytes in funcname", "GET", "/persist/b%00ad/h", nil, "", 400},
		{"dotted funcname", "POST", "/persist/Type.Method", auth, valid, 400},
		{"wrong method", "PUT", "/persist/bad/h", auth, valid, 405},
		{"unknown path", "GET", "/admin", nil, "", 404},
	}
	for _, tc := range cases {
		status, header, body := rawRequest(t, p.url, tc.method, tc.path, tc.header, tc.body)
		if status != tc.status {
			t.Errorf("%s: %s %s answered %d, want %d: %s", tc.name, tc.method, tc.path, status, tc.status, body)
			continue
		}
		var e wire.Error
		if err := json.Unmarshal(body, &e); err != nil || e.Status != wire.StatusERR || e.Error.Code != status {
			t.Errorf("%s: body %s is not Eve's error body for %d (%v)", tc.name, body, status, err)
		}
		if status == 405 && header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", tc.name)
		}
	}
	st := openRest(t, p.url, reststore.Options{})
	defer st.Close()
	if n, err := st.Len(t.Context(), "bad"); err != nil || n != 0 {
		t.Errorf("after the bad requests the function holds %d records (%v), want 0", n, err)
	}
	// The server is still well.
	if status, _, body := rawRequest(t, p.url, "POST", "/persist/bad", auth, valid); status != 201 {
		t.Errorf("a valid POST after the bad ones answered %d: %s", status, body)
	}
	p.stop(t)
}

func TestServeFinishesRequestsInFlight(t *testing.T) {
	p := startServer(t, "--store", "mem://e2e-inflight")
	u, _ := url.Parse(p.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	body := `{"funcname": "inflight", "hash": "h", "namespace": "pypersist", "result": "finished"}`
	head := fmt.Sprintf("POST /persist/inflight HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", u.Host, len(body))
	// Half the request, then the signal, then the rest.
	if _, err := io.WriteString(conn, head+body[:20]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the server start reading the body
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the shutdown begin
	if _, err := io.WriteString(conn, body[20:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight during shutdown got no answer: %v\n%s", err, p.stderr)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("the request in flight during shutdown answered %d, want 201", resp.StatusCode)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("persist serve exited with %v, want 0\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("persist serve did not exit after SIGTERM\n%s", p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr)
	}
}

// TestServeRefusesBadFlags: a flag persist serve cannot use is a usage
// error, exit status 2, that names the flag.
func TestServeRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--token-for", "some"}, `--token-for "some": want writes or all`},
		{[]string{"--duplicates", "keep"}, `--duplicates "keep": want replace or refuse`},
		{[]string{"--max-body", "lots"}, `invalid argument "lots" for "--max-body" flag: not a size`},
		{[]string{"--page-size", "0"}, "must be positive"},
		{[]string{"--store", "nosuch://x"}, `no store for scheme "nosuch"`},
		{[]string{"--addr", "127.0.0.1:notaport"}, `--addr "127.0.0.1:notaport"`},
		{[]string{"--addr", "127.0.0.1:99999"}, `--addr "127.0.0.1:99999"`},
		{[]string{"--nosuch"}, "unknown flag: --nosuch"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--store", "mem://flags"}, c.args...)
		r := run(t, dir, "", args...)
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "persist help serve") {
			t.Errorf("persist %s: want %q and a pointer to the help:\n%s", strings.Join(args, " "), c.want, r)
		}
	}
}
