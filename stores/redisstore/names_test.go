package redisstore

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/gopersist/persist/stores"
)

// awkwardFuncs are funcnames that would break a naive hash tag: braces
// that end or empty the tag, the escape character itself, separators.
var awkwardFuncs = []string{
	"a{b", "a}b", "{}", "}{", "{", "}", "a%7Bb", "%", "%%7D",
	"with:colons:r:x", "persist", "funcs", "ключ{🔑}",
	strings.Repeat("}", stores.MaxNameLen),
}

// TestNameRules checks that every funcname stores accept works, apart from
// every other, with all of its keys in one cluster slot.
func TestNameRules(t *testing.T) {
	base := needCluster(t)
	st := openStore(t, base)
	d := testDriver(t, st)
	c := rawClient(t, st).(*redis.ClusterClient)
	ctx := t.Context()
	if err := st.CheckName("funcname", "a{b}c"); err != nil {
		t.Errorf("CheckName of a funcname with braces: %v", err)
	}
	suffix := "_" + newToken()
	for i, base := range awkwardFuncs {
		fn := base
		if len(fn)+len(suffix) <= stores.MaxNameLen {
			fn += suffix
		}
		if err := st.Put(ctx, fn, "h", stores.Record{Result: []byte(fn), Key: []byte("k"), Meta: []byte("m")}); err != nil {
			t.Fatalf("Put(%q): %v", fn, err)
		}
		if _, err := st.ClaimOwner(ctx, fn, []byte("owner")); err != nil {
			t.Fatalf("ClaimOwner(%q): %v", fn, err)
		}
		unlock, err := st.Lock(ctx, fn, "h")
		if err != nil {
			t.Fatalf("Lock(%q): %v", fn, err)
		}
		k := d.keys(fn)
		slots := map[int64]string{}
		for _, key := range []string{k.record("h"), k.index(), k.metas(), k.owner(), k.lease("h"), k.chunk("g", 0)} {
			slot, err := c.ClusterKeySlot(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			slots[slot] = key
		}
		if len(slots) != 1 {
			t.Errorf("funcname %q: its keys are in %d slots: %v", fn, len(slots), slots)
		}
		unlock()
		// The records of the other funcnames are apart from this one's.
		for _, prev := range awkwardFuncs[:i] {
			other := prev + suffix
			if len(other) > stores.MaxNameLen {
				other = prev
			}
			if rec, err := st.Get(ctx, other, "h"); err != nil || string(rec.Result) != other {
				t.Errorf("after Put(%q): Get(%q) = %q, %v", fn, other, rec.Result, err)
			}
		}
	}
	for _, base := range awkwardFuncs {
		fn := base
		if len(fn)+len(suffix) <= stores.MaxNameLen {
			fn += suffix
		}
		if err := st.Clear(ctx, fn); err != nil {
			t.Errorf("Clear(%q): %v", fn, err)
		}
		if n, err := st.Len(ctx, fn); err != nil || n != 0 {
			t.Errorf("Len(%q) after Clear = %d, %v", fn, n, err)
		}
	}
	for name, err := range st.Funcs(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, suffix) {
			t.Errorf("Funcs lists %q after Clear", name)
		}
	}
}
