package persist_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// area has the short name of persist.AreaOfSquare's function: both default
// to FuncName "area".
func area(x int) int { return 3 * x * x / 4 } // a triangle's, roughly

// nameStores are the stores every names test runs on: files, memory, and a
// persist server on loopback.
func nameStores(t *testing.T) map[string]string {
	srv := httptest.NewServer(server.New(memstore.Open(strings.TrimPrefix(memURL(t), "mem://")+"-server"), server.Options{}))
	t.Cleanup(srv.Close)
	return map[string]string{
		"file": "file://" + t.TempDir(),
		"mem":  memURL(t),
		"rest": srv.URL + "/persist",
	}
}

func decorate(t *testing.T, fn any, opts persist.Options) (*persist.Memo, error) {
	t.Helper()
	m, err := persist.Decorate(fn, opts)
	if err == nil {
		t.Cleanup(func() { m.Close() })
	}
	return m, err
}

// TestNameClaimedByAnotherFunction is main.Square and other.Square: the
// second function must not get the first one's results.
func TestNameClaimedByAnotherFunction(t *testing.T) {
	for name, url := range nameStores(t) {
		t.Run(name, func(t *testing.T) {
			ours, err := decorate(t, area, persist.Options{Cache: url})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ours.Call(4); err != nil || got != 12 {
				t.Fatalf("area(4) = %v, %v", got, err)
			}
			theirs, err := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url})
			var nc *persist.NameClaimError
			if !errors.As(err, &nc) || !errors.Is(err, persist.ErrNameClaimed) {
				v := any(nil)
				if theirs != nil {
					v, _ = theirs.Call(4)
				}
				t.Fatalf("Decorate of another package's area under the same name = %v (its area(4) = %v); want a NameClaimError", err, v)
			}
			msg := err.Error()
			for _, want := range []string{`"area"`, "persist_test.area", "persist.area", "FuncName", "clear"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q: %s", want, msg)
				}
			}
			if nc.FuncName != "area" || nc.OwnerGiven || nc.ClaimantGiven {
				t.Errorf("NameClaimError = %+v", nc)
			}
			// The same function again is its owner.
			again, err := decorate(t, area, persist.Options{Cache: url})
			if err != nil {
				t.Fatalf("Decorate of the owner again: %v", err)
			}
			if got, err := again.Call(4); err != nil || got != 12 {
				t.Fatalf("area(4) again = %v, %v", got, err)
			}
		})
	}
}

// TestNameClaimFixes tries the two fixes the error names: a FuncName of
// its own, and clearing the old results.
func TestNameClaimFixes(t *testing.T) {
	for name, url := range nameStores(t) {
		t.Run(name, func(t *testing.T) {
			ours, err := decorate(t, area, persist.Options{Cache: url})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ours.Call(4); err != nil {
				t.Fatal(err)
			}
			own, err := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url, FuncName: "square_area"})
			if err != nil {
				t.Fatalf("with a FuncName of its own: %v", err)
			}
			if got, err := own.Call(4); err != nil || got != 16 {
				t.Fatalf("square_area(4) = %v, %v; want 16", got, err)
			}
			if err := ours.Clear(); err != nil {
				t.Fatal(err)
			}
			theirs, err := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url})
			if err != nil {
				t.Fatalf("after Clear: %v", err)
			}
			if got, err := theirs.Call(4); err != nil || got != 16 {
				t.Fatalf("area(4) after the other's results were cleared = %v, %v; want 16", got, err)
			}
			// The first Memo claims the name again on its next call, and
			// is refused: the name has changed hands.
			if got, err := ours.Call(4); !errors.Is(err, persist.ErrNameClaimed) {
				t.Fatalf("the cleared owner's next call = %v, %v; want ErrNameClaimed", got, err)
			}
		})
	}
}

// TestNameSharedOnPurpose gives both functions the FuncName: a deliberate
// sharing, allowed.
func TestNameSharedOnPurpose(t *testing.T) {
	for name, url := range nameStores(t) {
		t.Run(name, func(t *testing.T) {
			opts := persist.Options{Cache: url, FuncName: "shared_area"}
			ours, err := decorate(t, area, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := ours.Call(4); got != 12 {
				t.Fatalf("area(4) = %v", got)
			}
			theirs, err := decorate(t, persist.AreaOfSquare, opts)
			if err != nil {
				t.Fatalf("both given the FuncName: %v", err)
			}
			if got, _ := theirs.Call(4); got != 12 {
				t.Fatalf("the sharer's area(4) = %v; want the shared 12", got)
			}
			// One given, one defaulted: not both on purpose.
			_, err = decorate(t, persist.AreaOfSquare, persist.Options{Cache: url, FuncName: "area"})
			if err != nil {
				t.Fatalf("the first to claim 'area' with a given name: %v", err)
			}
			if _, err := decorate(t, area, persist.Options{Cache: url}); !errors.Is(err, persist.ErrNameClaimed) {
				t.Fatalf("a defaulted name on a given one's results: err = %v, want ErrNameClaimed", err)
			}
		})
	}
}

// TestNameInOneProcess decorates two functions on one shared store.
func TestNameInOneProcess(t *testing.T) {
	st := memstore.Open(t.Name())
	if _, err := decorate(t, area, persist.Options{Store: st}); err != nil {
		t.Fatal(err)
	}
	if _, err := decorate(t, persist.AreaOfSquare, persist.Options{Store: st}); !errors.Is(err, persist.ErrNameClaimed) {
		t.Fatalf("second Decorate under one name: err = %v, want ErrNameClaimed", err)
	}
}

// TestNameWithoutOwnerRecord reads results that pypersist or an earlier
// persist wrote, which have no owner record: they are taken as they are,
// and the name is claimed from then on.
func TestNameWithoutOwnerRecord(t *testing.T) {
	dir := t.TempDir()
	first, err := decorate(t, area, persist.Options{Cache: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Call(4); err != nil {
		t.Fatal(err)
	}
	// As an older persist leaves the directory.
	if err := os.Remove(filepath.Join(dir, "area", ".owner")); err != nil {
		t.Fatal(err)
	}
	m, err := decorate(t, area, persist.Options{Cache: dir})
	if err != nil {
		t.Fatalf("results without an owner record: %v", err)
	}
	if _, err := decorate(t, func(x int) int { return x }, persist.Options{Cache: dir, FuncName: "area"}); !errors.Is(err, persist.ErrNameClaimed) {
		t.Fatalf("another function on the adopted results: err = %v, want ErrNameClaimed", err)
	}
	if got, err := m.Call(4); err != nil || got != 12 {
		t.Fatalf("area(4) from the stored result = %v, %v", got, err)
	}
	owner, err := os.ReadFile(filepath.Join(dir, "area", ".owner"))
	if err != nil || !strings.Contains(string(owner), "persist_test.area") {
		t.Fatalf("owner record after adopting = %q, %v", owner, err)
	}
}

// Pricer has a method whose expression's default FuncName holds a dot.
type Pricer struct{ Rate int }

func (p Pricer) Price(n int) int { return p.Rate * n }

// TestNameRulesOfTheStore checks FuncNames against the store at Decorate:
// a REST server carries [A-Za-z0-9_]+ only.
func TestNameRulesOfTheStore(t *testing.T) {
	urls := nameStores(t)
	rest := urls["rest"]
	for _, bad := range []string{"my-func", "a.b", "ключ"} {
		_, err := decorate(t, triple, persist.Options{Cache: rest, FuncName: bad})
		if !errors.Is(err, persist.ErrBadOptions) || !strings.Contains(err.Error(), "REST") {
			t.Errorf("FuncName %q on a REST store: err = %v, want an OptionsError about REST", bad, err)
		}
	}
	m, err := decorate(t, Pricer.Price, persist.Options{Cache: rest})
	if err != nil {
		t.Fatalf("a method expression on a REST store: %v", err)
	}
	if m.FuncName() != "Pricer_Price" {
		t.Errorf("FuncName on REST = %q, want Pricer_Price", m.FuncName())
	}
	if got, err := m.Call(Pricer{Rate: 3}, 5); err != nil || got != 15 {
		t.Fatalf("Price = %v, %v", got, err)
	}
	if got, err := m.Call(Pricer{Rate: 3}, 5); err != nil || got != 15 {
		t.Fatalf("Price from the server = %v, %v", got, err)
	}
	// Files keep the dot: the directories of earlier runs stay in use.
	f, err := decorate(t, Pricer.Price, persist.Options{Cache: urls["file"]})
	if err != nil || f.FuncName() != "Pricer.Price" {
		t.Fatalf("in files: FuncName %q, err %v; want Pricer.Price", f.FuncName(), err)
	}
	// Names the store accepts pass as before.
	if _, err := decorate(t, triple, persist.Options{Cache: urls["file"], FuncName: "my-func"}); err != nil {
		t.Fatalf("my-func in files: %v", err)
	}
}

// TestNameClaimOnFirstCall has a server that is down at Decorate: the
// first call claims the name before it reads a result.
func TestNameClaimOnFirstCall(t *testing.T) {
	st := memstore.Open(t.Name())
	if _, err := st.ClaimOwner(context.Background(), "area", []byte("persist owner 1\nfunc example.com/other.area\n")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), "area", "h", stores.Record{Result: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(server.New(st, server.Options{}))
	url := "http://" + srv.Listener.Addr().String() + "/persist?retries=0"
	m, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatalf("Decorate with the server down: %v", err)
	}
	srv.Start()
	defer srv.Close()
	if got, err := m.Call(4); !errors.Is(err, persist.ErrNameClaimed) || !strings.Contains(err.Error(), "example.com/other.area") {
		t.Fatalf("first call = %v, %v; want ErrNameClaimed naming example.com/other.area", got, err)
	}
}
