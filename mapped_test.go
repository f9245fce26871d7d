//go:build unix

package persist_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopersist/persist"
)

func rampFloats(n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Sin(float64(i)) * scale
	}
	return v
}

// TestMapResult: a large slice result on the file store is mapped in
// place on a miss and on a hit, its pages are private (writing to them
// changes neither the file nor the next read), and a mapping stays valid
// when the entry is replaced under it.
func TestMapResult(t *testing.T) {
	dir := t.TempDir()
	calls := 0
	series := func(n int) []float64 { calls++; return rampFloats(n, 1) }
	memo, err := persist.Decorate(series, persist.Options{Cache: dir, FuncName: "series"})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	first, err := persist.MapResult[float64](memo, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if !first.InPlace() || !slices.Equal(first.Values(), rampFloats(5000, 1)) || calls != 1 {
		t.Fatalf("miss: in place %v, %d computations, values equal %v", first.InPlace(), calls, slices.Equal(first.Values(), rampFloats(5000, 1)))
	}
	first.Values()[0] = 42 // private to this mapping
	second, err := persist.MapResult[float64](memo, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if !second.InPlace() || second.Values()[0] != 0 || calls != 1 {
		t.Errorf("hit: in place %v, first value %v, %d computations", second.InPlace(), second.Values()[0], calls)
	}
	// Replace the entry while second maps it: second keeps the old bytes.
	if err := memo.Cache().Set(persist.KeyOf("arg0", 5000), rampFloats(5000, 2)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.Values(), rampFloats(5000, 1)) {
		t.Error("the mapping changed when the entry was replaced")
	}
	if err := second.Close(); err != nil || second.Close() != nil || second.Values() != nil {
		t.Errorf("Close: %v", err)
	}
	third, err := persist.MapResult[float64](memo, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if !slices.Equal(third.Values(), rampFloats(5000, 2)) {
		t.Error("the replaced entry is not what is mapped next")
	}
}

// TestMapResultFallsBack: what cannot be mapped is read as Call reads it:
// a compressed entry, a small one, a store that does not map (memory), a
// damaged entry (recomputed, never returned), and a type that is not the
// result's is an error.
func TestMapResultFallsBack(t *testing.T) {
	dir := t.TempDir()
	calls := 0
	zeros := func(n int) []float64 { calls++; return make([]float64, n) }
	memo, err := persist.Decorate(zeros, persist.Options{Cache: dir, FuncName: "zeros", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer memo.Close()
	for _, n := range []int{5000, 10} {
		r, err := persist.MapResult[float64](memo, n)
		if err != nil || r.InPlace() || len(r.Values()) != n || r.Close() != nil {
			t.Errorf("zeros(%d): %v, in place %v", n, err, r.InPlace())
		}
	}
	if _, err := persist.MapResult[int32](memo, 10); err == nil {
		t.Error("MapResult[int32] of a []float64 result: no error")
	}

	mem, err := persist.Decorate(func(n int) []float64 { return rampFloats(n, 1) }, persist.Options{Cache: memURL(t), FuncName: "ramp"})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if r, err := persist.MapResult[float64](mem, 5000); err != nil || r.InPlace() || !slices.Equal(r.Values(), rampFloats(5000, 1)) {
		t.Errorf("memory store: %v", err)
	}

	calls = 0
	ramp := func(n int) []float64 { calls++; return rampFloats(n, 1) }
	file, err := persist.Decorate(ramp, persist.Options{Cache: dir, FuncName: "ramp", Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.Call(5000); err != nil {
		t.Fatal(err)
	}
	hash, _ := persist.Hash(persist.KeyOf("arg0", 5000))
	path := filepath.Join(dir, "ramp", hash+".out")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[100] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := persist.MapResult[float64](file, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !slices.Equal(r.Values(), rampFloats(5000, 1)) || calls != 2 {
		t.Errorf("damaged entry: %d computations, values equal %v", calls, slices.Equal(r.Values(), rampFloats(5000, 1)))
	}
}
