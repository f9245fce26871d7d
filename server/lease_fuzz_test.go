package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/server/wire"
)

// FuzzLeaseRequest sends lease requests with any query and token: the
// server answers each with one of the statuses the protocol names, never
// a failure of its own, and a lease it grants is within the bounds.
func FuzzLeaseRequest(f *testing.F) {
	f.Add("POST", "ttl_ms=500&wait_ms=0", "")
	f.Add("PUT", "ttl_ms=99999999", "x")
	f.Add("DELETE", "", "")
	f.Add("POST", "ttl_ms=-1", "")
	f.Add("POST", "wait_ms=1e3", "")
	fx := newFixture(f, server.Options{})
	allowed := map[string][]int{
		http.MethodPost:   {http.StatusCreated, http.StatusConflict, http.StatusBadRequest},
		http.MethodPut:    {http.StatusOK, http.StatusNotFound, http.StatusConflict, http.StatusBadRequest},
		http.MethodDelete: {http.StatusNoContent, http.StatusNotFound, http.StatusConflict},
	}
	f.Fuzz(func(t *testing.T, method, query, token string) {
		want, ok := allowed[method]
		if !ok {
			return
		}
		if _, err := url.ParseQuery(query); err != nil {
			return
		}
		q, _ := url.ParseQuery(query)
		if q.Has(wire.LeaseWaitParam) {
			q.Set(wire.LeaseWaitParam, "0") // a fuzzer need not wait
		}
		header := map[string]string{}
		if token != "" && validHeader(token) {
			header[wire.LeaseTokenHeader] = token
		}
		a := fx.do(t, method, wire.LeasePath+"/f/fuzz?"+q.Encode(), header, "")
		if !contains(want, a.status) {
			t.Fatalf("%s ?%s: %d %s, want one of %v", method, query, a.status, a.body, want)
		}
		if a.status == http.StatusCreated {
			// Release it, so that the next input finds the lease free.
			_, l := takeLeaseAnswer(t, a)
			if d := l.TTLMillis; d < server.MinLeaseTTL.Milliseconds() || d > server.MaxLeaseTTL.Milliseconds() {
				t.Fatalf("granted ttl_ms %d, outside the bounds", d)
			}
			fx.do(t, http.MethodDelete, wire.LeasePath+"/f/fuzz", withToken(l.Token), "")
		}
	})
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// validHeader reports whether s can be sent as a header value.
func validHeader(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return s[0] != ' ' && s[len(s)-1] != ' '
}
