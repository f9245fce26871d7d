package server_test

import (
	"context"
	"fmt"
	"iter"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
)

// hostileName is a string argument whose key, printed raw into a page,
// would run a script that changes the title and adds an element.
const hostileName = `<script>document.title="owned";document.body.appendChild(document.createElement("blink")).id="owned"</script>`

// countingStore is a memory store that counts the records read from it
// (Get and Entries), so that a test can see what a page cost. It lists
// functions and metadata as the memory store does.
type countingStore struct {
	*memstore.Store
	reads atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, funcname, hash string) (stores.Record, error) {
	rec, err := c.Store.Get(ctx, funcname, hash)
	if err == nil {
		c.reads.Add(1)
	}
	return rec, err
}

func (c *countingStore) Entries(ctx context.Context, funcname string) iter.Seq2[stores.Entry, error] {
	return func(yield func(stores.Entry, error) bool) {
		for e, err := range c.Store.Entries(ctx, funcname) {
			if err == nil {
				c.reads.Add(1)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// uiFixture is a server with its dashboard on a loopback port, over a
// memory store filled by memoised functions: greet (keys stored, with
// metadata, one hostile argument) and square (squares entries, more than
// a page).
type uiFixture struct {
	url   string
	store *countingStore
	greet *persist.Memo
	// squares is how many entries square has.
	squares int
}

func newUIFixture(t testing.TB, opts server.Options) *uiFixture {
	t.Helper()
	opts.UI = true
	mem := memstore.Open(fmt.Sprintf("ui-test-%p", t))
	st := &countingStore{Store: mem}
	t.Cleanup(func() {
		for fn := range mem.Funcs(context.Background()) {
			_ = mem.Clear(context.Background(), fn)
		}
	})
	greet, err := persist.Decorate(func(name string) string { return "hello, " + name }, persist.Options{
		Store: st, FuncName: "greet", Spec: struct{ Name string }{}, StoreKey: true,
		Metadata: func() string { return "written by the dashboard test" }, Verbosity: persist.Silent,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ada", "grace", hostileName} {
		if _, err := greet.Call(name); err != nil {
			t.Fatal(err)
		}
	}
	square, err := persist.Decorate(func(x int) int { return x * x }, persist.Options{
		Store: st, FuncName: "square", StoreKey: true, Verbosity: persist.Silent,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &uiFixture{store: st, greet: greet, squares: 60}
	for x := range f.squares {
		if _, err := square.Call(x); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(server.New(st, opts))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// hostileHash is the hash greet stores the hostile call under.
func (f *uiFixture) hostileHash(t testing.TB) string {
	t.Helper()
	key, err := persist.ArgTuple("greet", struct{ Name string }{}, []any{hostileName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := persist.Hash(key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
