package persist_test

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

var probeAnyCalls int

func probeF64(x float64) int          { probeAnyCalls++; return probeAnyCalls }
func probeBytes(b []byte) int         { probeAnyCalls++; return probeAnyCalls }
func probeBig(b *big.Int) int         { probeAnyCalls++; return probeAnyCalls }
func probeTime(t time.Time) int       { probeAnyCalls++; return probeAnyCalls }
func probeMap(m map[string][]int) int { probeAnyCalls++; return probeAnyCalls }

func TestStoreKeyHits(t *testing.T) {
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	cases := []struct {
		fn  any
		arg any
	}{
		{probeF64, math.Copysign(0, -1)}, {probeF64, math.NaN()}, {probeF64, math.Inf(-1)},
		{probeBytes, []byte{}}, {probeBytes, []byte(nil)}, {probeBytes, []byte("x")},
		{probeBig, huge}, {probeTime, time.Now()}, {probeTime, time.Now().UTC()}, {probeTime, time.Unix(0, 1).In(time.FixedZone("", -3600))},
		{probeMap, map[string][]int{"a": nil, "b": {}}},
	}
	for i, c := range cases {
		url := memURL(t)
		a, err := persist.Decorate(c.fn, persist.Options{Cache: url, StoreKey: true, FuncName: fmt.Sprint("f", i)})
		if err != nil {
			t.Fatal(err)
		}
		first, err := a.Call(c.arg)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		b, _ := persist.Decorate(c.fn, persist.Options{Cache: url, StoreKey: true, FuncName: fmt.Sprint("f", i)})
		again, err := b.Call(c.arg)
		stored, _ := b.Cache().Len()
		if err != nil || (stored == 1 && again != first) {
			t.Errorf("%d %T %v: first %v, again %v, %v (stored %d)", i, c.arg, c.arg, first, again, err, stored)
		}
		if stored != 1 {
			t.Logf("%d %T %v: not stored", i, c.arg, c.arg)
		}
		a.Close()
		b.Close()
	}
}
