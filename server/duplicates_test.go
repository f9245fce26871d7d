package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
	"github.com/gopersist/persist/stores/reststore"
)

// contenders is how many clients write one hash at once, as in the
// reproduced report (50 clients, about 10,000 writes).
const contenders = 50

// TestRefuseDuplicatesContended posts one hash from 50 clients at once to
// a server that refuses duplicates: one POST wins with 201, the others get
// Eve's 422, none anything else.
func TestRefuseDuplicatesContended(t *testing.T) {
	f := newFixture(t, server.Options{RefuseDuplicates: true})
	statuses := make(chan answer, contenders)
	var wg sync.WaitGroup
	for i := range contenders {
		wg.Go(func() { statuses <- f.post(t, "f", item("f", "h", fmt.Sprint("result ", i))) })
	}
	wg.Wait()
	close(statuses)
	created, refused := 0, 0
	for a := range statuses {
		switch {
		case a.status == http.StatusCreated:
			created++
		case a.status == http.StatusUnprocessableEntity && strings.Contains(eveError(t, a).Issues["hash"], "not unique"):
			refused++
		default:
			t.Errorf("a POST answered %d: %s", a.status, a.body)
		}
	}
	if created != 1 || refused != contenders-1 {
		t.Errorf("%d POSTs created the item and %d were refused; want 1 and %d", created, refused, contenders-1)
	}
}

// TestRefuseDuplicatesClientsContended has 50 Go clients, each its own
// handle as separate programs would be, replace one hash over and over on
// a server that refuses duplicates: every Put must succeed (a Put that
// another writer's overtakes is done, not "unavailable"), and the item
// left is one of theirs.
func TestRefuseDuplicatesClientsContended(t *testing.T) {
	const rounds = 20
	f := newFixture(t, server.Options{RefuseDuplicates: true})
	errs := make(chan error, contenders*rounds)
	var wg sync.WaitGroup
	for i := range contenders {
		st, err := reststore.Open(f.url+"/persist", reststore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		wg.Go(func() {
			for r := range rounds {
				rec := stores.Record{Result: fmt.Appendf(nil, "client %d round %d", i, r)}
				if err := st.Put(context.Background(), "f", "h", rec); err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", i, r, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 3 {
			t.Error(err)
		}
		if errors.Is(err, stores.ErrUnavailable) {
			t.Errorf("a Put reported the store unavailable while it was fine: %v", err)
			break
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d Puts failed", failed, contenders*rounds)
	}
	rec, err := f.store.Get(context.Background(), "f", "h")
	if err != nil || !strings.HasPrefix(string(rec.Result), "client ") {
		t.Errorf("the item left is %q, %v; want one client's", rec.Result, err)
	}
}

// TestRefuseDuplicatesTwoServers has two servers over one directory, as
// two persist serve processes would be, refuse duplicates: of 50 POSTs of
// one hash spread over both, one wins.
func TestRefuseDuplicatesTwoServers(t *testing.T) {
	dir := t.TempDir()
	var urls []string
	for range 2 {
		st, err := filestore.Open(dir, filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(server.New(st, server.Options{RefuseDuplicates: true}))
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
	}
	statuses := make(chan answer, contenders)
	var wg sync.WaitGroup
	for i := range contenders {
		f := &fixture{url: urls[i%2]}
		wg.Go(func() { statuses <- f.post(t, "f", item("f", "h", fmt.Sprint("result ", i))) })
	}
	wg.Wait()
	close(statuses)
	created := 0
	for a := range statuses {
		switch a.status {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
		default:
			t.Errorf("a POST answered %d: %s", a.status, a.body)
		}
	}
	if created != 1 {
		t.Errorf("%d POSTs over two servers created the item; want 1", created)
	}
}
