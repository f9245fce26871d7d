package persist_test

import (
	"os"
	"testing"

	"github.com/gopersist/persist"
)

func TestSliceZeros(t *testing.T) {
	n := 1 << 22
	if os.Getenv("REV_BIG") != "" {
		n = 100_000_000
	}
	for _, v := range []any{make([]float64, n), make([]byte, n*8), make([]int8, n)} {
		b, err := persist.Pickle(v)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%T of %d: %d bytes", v, n, len(b))
		got, err := persist.UnpickleAny(b)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		_ = got
	}
}
