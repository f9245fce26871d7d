package persist_test

import (
	"math"
	"strings"
	"time"
)

// goldenRecord is a struct of the kinds a result holds, for the golden
// frames.
type goldenRecord struct {
	Name  string
	Tags  []string
	Score float64
	When  time.Time
	Raw   []byte
	Next  *goldenRecord
}

// goldenValues are the values stored in testdata/frames, by name. The file
// for one value in one frame kind is <kind>-<name>.bin; its bytes must
// decode to the value forever. Never change a value: add a new one.
func goldenValues() map[string]any {
	ints := make([]int, 400)
	floats := make([]float64, 1000)
	counts := make([]int64, 1000)
	for i := range counts {
		counts[i] = int64(i % 10)
	}
	for i := range ints {
		ints[i] = i * i
	}
	for i := range floats {
		floats[i] = math.Sin(float64(i)) * 1e3
	}
	return map[string]any{
		"int":     21,
		"negint":  int64(-1 << 40),
		"string":  "hello, persist",
		"bool":    true,
		"floats":  []float64{1.5, -2.25, 1e300, math.Inf(-1)},
		"bytes":   []byte("payload\x00\xff"),
		"map":     map[string]int{"a": 1, "b": 2},
		"results": []any{"two", []byte("2"), nil},
		"struct": goldenRecord{
			Name: "rec", Tags: []string{"x", "y"}, Score: 0.5,
			When: time.Date(2026, 12, 1, 20, 0, 0, 5, time.FixedZone("", 3600)),
			Raw:  []byte{1, 2, 3}, Next: &goldenRecord{Name: "next"},
		},
		"bigints":   ints,
		"bigfloats": floats,
		"bigcounts": counts,
		"bigbytes":  []byte(strings.Repeat("persist ", 1000)),
	}
}
