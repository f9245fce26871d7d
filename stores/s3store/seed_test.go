package s3store

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// TestSeedSection8 runs the walkthrough's section 8 (start_and_end,
// alternating with StoreKey, exp with Unhash) on S3, through
// persist.Decorate as a user would.
func TestSeedSection8(t *testing.T) {
	type stringArg struct{ String string }
	suffix := randomHex(4)
	var computed atomic.Int32
	startAndEnd, err := persist.Decorate(func(s string) string { computed.Add(1); return s[:1] + s[len(s)-1:] },
		persist.Options{Store: openStore(t, nil), FuncName: "start_and_end_" + suffix, Spec: stringArg{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{{"Hello World!", "H!"}, {"Doctor", "Dr"}, {"Doctor", "Dr"}} {
		if got, err := startAndEnd.Call(c.in); got != c.want || err != nil {
			t.Fatalf("start_and_end(%q) = %v, %v", c.in, got, err)
		}
	}
	if n := computed.Load(); n != 2 {
		t.Fatalf("start_and_end computed %d times, want 2", n)
	}
	if err := startAndEnd.Cache().Delete(persist.Key{{Name: "string", Value: "Hello World!"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := startAndEnd.Cache().Len(); n != 1 || err != nil {
		t.Fatalf("Len after Delete = %d, %v", n, err)
	}
	if err := startAndEnd.Clear(); err != nil {
		t.Fatal(err)
	}

	alternating, err := persist.Decorate(func(s string) string {
		var b []byte
		for i := 0; i < len(s); i += 2 {
			b = append(b, s[i])
		}
		return string(b)
	}, persist.Options{Store: openStore(t, nil), FuncName: "alternating_" + suffix, StoreKey: true, Spec: stringArg{}})
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]string{"steadfastness": "sedates", "ballooned": "blond", "biannually": "banal",
		"curliness": "cries", "pursuance": "prune", "situation": "stain", "thesaurus": "tears"}
	for w, want := range words {
		if got, err := alternating.Call(w); got != want || err != nil {
			t.Fatalf("alternating(%q) = %v, %v", w, got, err)
		}
	}
	var items, want []string
	for it, err := range alternating.Cache().All() {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, fmt.Sprint(it.Key, " ", it.Value))
	}
	for w, a := range words {
		want = append(want, fmt.Sprintf("(('string', '%s'),) %s", w, a))
	}
	slices.Sort(items)
	slices.Sort(want)
	if !slices.Equal(items, want) {
		t.Fatalf("items\n%q\nwant\n%q", items, want)
	}
	if err := alternating.Clear(); err != nil {
		t.Fatal(err)
	}

	exp, err := persist.Decorate(func(x float64) float64 { return math.Pow(2.71828, x) },
		persist.Options{Store: openStore(t, nil), FuncName: "exp_" + suffix,
			Key:    func(x float64) float64 { return x },
			Hash:   func(k float64) string { return fmt.Sprintf("e to the %v", k) },
			Unhash: func(s string) (float64, error) { return strconv.ParseFloat(s[len("e to the "):], 64) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{2, -1, 2.0, 3.14} {
		if got, err := exp.Call(x); got != math.Pow(2.71828, x) || err != nil {
			t.Fatalf("exp(%v) = %v, %v", x, got, err)
		}
	}
	keys := map[float64]bool{}
	for k, err := range exp.Cache().Keys() {
		if err != nil {
			t.Fatal(err)
		}
		keys[k.(float64)] = true
	}
	if len(keys) != 3 || !keys[2] || !keys[-1] || !keys[3.14] {
		t.Fatalf("exp's keys %v, want -1, 2 and 3.14", keys)
	}
	if err := exp.Clear(); err != nil {
		t.Fatal(err)
	}
}

// TestSingleFlightAcrossClients has two memos, each with a client of its
// own as on two machines, call one slow function with the same keys from
// many goroutines: the lease makes each key computed once.
func TestSingleFlightAcrossClients(t *testing.T) {
	name := "slow_" + randomHex(4)
	var computed sync.Map // key → *atomic.Int32
	slow := func(x int) int {
		c, _ := computed.LoadOrStore(x, new(atomic.Int32))
		c.(*atomic.Int32).Add(1)
		time.Sleep(200 * time.Millisecond)
		return x * x
	}
	var memos []*persist.Memo
	for range 2 {
		m, err := persist.Decorate(slow, persist.Options{Store: openStore(t, nil), FuncName: name})
		if err != nil {
			t.Fatal(err)
		}
		if !m.Store().CanLock() {
			t.Fatal("the S3 store does not lock: nothing here would be tested")
		}
		memos = append(memos, m)
	}
	var wg sync.WaitGroup
	for _, m := range memos {
		for range 4 {
			wg.Go(func() {
				for x := range 3 {
					if got, err := m.Call(x); got != x*x || err != nil {
						t.Errorf("slow(%d) = %v, %v", x, got, err)
					}
				}
			})
		}
	}
	wg.Wait()
	for x := range 3 {
		c, _ := computed.Load(x)
		if n := c.(*atomic.Int32).Load(); n != 1 {
			t.Errorf("key %d computed %d times by two clients, want 1", x, n)
		}
	}
	if err := memos[0].Clear(); err != nil {
		t.Error(err)
	}
}
