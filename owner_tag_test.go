package persist_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/gopersist/persist/server"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
	"github.com/gopersist/persist/stores/memstore"
)

// One function, two Memos on one directory: one takes the default FuncName
// "area", the other is given FuncName "area" explicitly. The owner record
// admits both (same function: owner.admits compares fn), so they share
// results, as before owner tags. The tag's given byte must not make one
// refuse the other's entries.
func TestOwnerTagGivenAndDefaultSameFunction(t *testing.T) {
	url := "file://" + t.TempDir()
	byDefault, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := byDefault.Call(4); err != nil || got != 12 {
		t.Fatalf("area(4) = %v, %v", got, err)
	}
	given, err := decorate(t, area, persist.Options{Cache: url, FuncName: "area"})
	if err != nil {
		t.Fatalf("same function, FuncName given: %v", err)
	}
	if got, err := given.Call(4); err != nil || got != 12 {
		t.Fatalf("given area(4) = %v, %v", got, err)
	}
	if s := given.Stats(); s.Computes != 0 || s.Hits != 1 {
		t.Errorf("the same function with its FuncName given recomputed the default Memo's entry: %+v", s)
	}
	if got, err := given.Cache().Get(persist.KeyOf("arg0", 4)); err != nil || got != 12 {
		t.Errorf("given.Cache().Get(4) = %v, %v; want 12", got, err)
	}
}

// Keys without a Version reads no result, so it cannot see the owner tag:
// it yields the key of an entry another function wrote after the name
// changed hands, which Get and Values refuse.
func TestOwnerTagKeysOfAnother(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := decorate(t, area, persist.Options{Cache: url, StoreKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.Call(3); err != nil {
		t.Fatal(err)
	}
	theirs := handOverName(t, persist.Options{Cache: url, StoreKey: true})
	if _, err := theirs.Call(4); err != nil {
		t.Fatal(err)
	}
	for k, err := range ours.Cache().Keys() {
		if !errors.Is(err, persist.ErrNameClaimed) {
			t.Errorf("Keys yields %v, %v: the key of another function's entry as ours; want ErrNameClaimed as Values", k, err)
		}
	}
	for v, err := range ours.Cache().Values() {
		if !errors.Is(err, persist.ErrNameClaimed) {
			t.Errorf("Values yields %v, %v; want ErrNameClaimed", v, err)
		}
	}
}

// noOwnerRecords is a driver that keeps no owner records.
type noOwnerRecords struct{ driver.Store }

var errNoOwnerRecords = fmt.Errorf("no owner records here: %w", errors.ErrUnsupported)

func (noOwnerRecords) ClaimOwner(context.Context, string, []byte) ([]byte, error) {
	return nil, errNoOwnerRecords
}
func (n noOwnerRecords) ErrorCode(err error) driver.Code {
	if errors.Is(err, errNoOwnerRecords) {
		return driver.Unsupported
	}
	return n.Store.ErrorCode(err)
}

// On a store without owner records, two functions under one name: each
// must not return the other's entry.
func TestOwnerTagNoOwnerRecords(t *testing.T) {
	var d driver.Store
	mem := memstore.Open("revowner-noowners")
	if !mem.As(&d) {
		t.Fatal("no driver")
	}
	st := stores.NewStore(noOwnerRecords{d}, "mem://revowner-noowners")
	ours, err := decorate(t, area, persist.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := decorate(t, persist.AreaOfSquare, persist.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got, err := ours.Call(4); err != nil || got != 12 {
			t.Fatalf("ours = %v, %v", got, err)
		}
		if got, err := theirs.Call(4); err != nil || got != 16 {
			t.Fatalf("theirs = %v, %v", got, err)
		}
	}
	t.Logf("ours %+v", ours.Stats())
	t.Logf("theirs %+v", theirs.Stats())
}

// Many goroutines meet another function's entry at once.
func TestOwnerTagConcurrentForeign(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.Call(3); err != nil {
		t.Fatal(err)
	}
	theirs := handOverName(t, persist.Options{Cache: url})
	for i := range 20 {
		theirs.Call(i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				got, err := ours.Call((i + g) % 20)
				if err == nil {
					mu.Lock()
					bad++
					mu.Unlock()
					_ = got
				}
			}
		}()
	}
	wg.Wait()
	if bad != 0 {
		t.Errorf("%d calls returned a value", bad)
	}
	for i := range 20 {
		if got, err := theirs.Call(i); err != nil || got != i*i {
			t.Errorf("theirs(%d) = %v, %v", i, got, err)
		}
	}
}

// A REST server without owner records (pypersist's Eve, an older persist
// server): the claim fails with code Unsupported, which claimName means to
// take as "no owner records" and go on.
func TestOwnerTagEveServer(t *testing.T) {
	inner := server.New(memstore.Open(strings.TrimPrefix(memURL(t), "mem://")+"-eve"), server.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/.owner/") {
			http.NotFound(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m, err := decorate(t, area, persist.Options{Cache: srv.URL + "/persist"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := m.Call(4); err != nil || got != 12 {
			t.Fatalf("area(4) on a server without owner records = %v, %v", got, err)
		}
	}
	if s := m.Stats(); s.Hits != 1 {
		t.Errorf("stats %+v", s)
	}
}

// The name is ours again, but the other function, whose Memo still holds
// its claim, wrote entries meanwhile: many goroutines meet them at once.
func TestOwnerTagConcurrentOwnAgain(t *testing.T) {
	url := "file://" + t.TempDir()
	ours, err := decorate(t, area, persist.Options{Cache: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.Call(100); err != nil {
		t.Fatal(err)
	}
	theirs := handOverName(t, persist.Options{Cache: url})
	y, _ := decorate(t, persist.AreaOfSquare, persist.Options{Cache: url})
	if err := y.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := decorate(t, area, persist.Options{Cache: url}); err != nil { // ours again
		t.Fatal(err)
	}
	for i := range 20 {
		if got, err := theirs.Call(i); err != nil || got != i*i {
			t.Fatalf("theirs(%d) = %v, %v", i, got, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := (i + g) % 20
				got, err := ours.Call(k)
				if err != nil || got != 3*k*k/4 {
					errs <- fmt.Errorf("ours(%d) = %v, %v", k, got, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("ours %+v", ours.Stats())
	if got, err := theirs.Call(3); !errors.Is(err, persist.ErrNameClaimed) {
		t.Errorf("theirs(3) = %v, %v; want ErrNameClaimed", got, err)
	}
}

// flakyOwners fails ClaimOwner (code Unavailable) while down is set.
type flakyOwners struct {
	driver.Store
	down *atomic.Bool
}

var errOwnersDown = errors.New("owner records unreachable")

func (f flakyOwners) ClaimOwner(ctx context.Context, fn string, o []byte) ([]byte, error) {
	if f.down.Load() {
		return nil, errOwnersDown
	}
	return f.Store.ClaimOwner(ctx, fn, o)
}
func (f flakyOwners) ErrorCode(err error) driver.Code {
	if errors.Is(err, errOwnersDown) {
		return driver.Unavailable
	}
	return f.Store.ErrorCode(err)
}

// Our Memo meets another function's entry while the owner record cannot
// be read, with ComputeOnStoreError: it computes without the store, as
// withoutStore does when a claim fails, and must not write over the other
// function's entry under a name it could not claim.
func TestOwnerTagForeignWhileClaimFails(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + dir
	fst, err := stores.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fst.Close() })
	var d driver.Store
	if !fst.As(&d) {
		t.Fatal("no driver")
	}
	down := new(atomic.Bool)
	st := stores.NewStore(flakyOwners{d, down}, url)
	ours, err := decorate(t, area, persist.Options{Store: st, ComputeOnStoreError: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.Call(3); err != nil {
		t.Fatal(err)
	}
	theirs := handOverName(t, persist.Options{Cache: url})
	if got, err := theirs.Call(4); err != nil || got != 16 {
		t.Fatalf("theirs(4) = %v, %v", got, err)
	}
	down.Store(true)
	if got, err := ours.Call(4); err != nil || got != 12 {
		t.Fatalf("ours(4) while the owner record is down = %v, %v; want 12 computed without the store", got, err)
	}
	down.Store(false)
	if got, err := theirs.Call(4); err != nil || got != 16 {
		t.Fatalf("theirs(4) afterwards = %v, %v", got, err)
	}
	if s := theirs.Stats(); s.Computes != 1 {
		t.Errorf("their entry was overwritten by ours, under a name ours could not claim: theirs recomputed (%+v)", s)
	}
}

// handOverName is what another process of ours and then another program
// do to the name "area" while a Memo of ours holds its claim: ours clears
// it, and theirs (AreaOfSquare, with opts) claims it. It returns theirs.
func handOverName(t *testing.T, opts persist.Options) *persist.Memo {
	t.Helper()
	other, err := decorate(t, area, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Clear(); err != nil {
		t.Fatal(err)
	}
	theirs, err := decorate(t, persist.AreaOfSquare, opts)
	if err != nil {
		t.Fatal(err)
	}
	return theirs
}
