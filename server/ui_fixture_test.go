package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	persist "github.com/gopersist/persist"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/memstore"
	"github.com/gopersist/persist/stores/storetest"
)

// hostileName is a string argument whose key, printed raw into a page,
// would run a script that changes the title and adds an element.
const hostileName = `<script>document.title="owned";document.body.appendChild(document.createElement("blink")).id="owned"</script>`

// uiFixture is a server with its dashboard on a loopback port, over a
// memory store filled by memoised functions: greet (keys stored, with
// metadata, one hostile argument) and square (squares entries, more than
// a page).
type uiFixture struct {
	url   string
	store *stores.Store
	// counts counts the calls the server makes to the store's driver.
	counts *storetest.Counting
	greet  *persist.Memo
	// squares is how many entries square has.
	squares int
}

func newUIFixture(t testing.TB, opts server.Options) *uiFixture {
	t.Helper()
	opts.UI = true
	mem := memstore.Open(fmt.Sprintf("ui-test-%p", t))
	st, counts := storetest.WrapCounting(mem)
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
	f := &uiFixture{store: st, counts: counts, greet: greet, squares: 60}
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
