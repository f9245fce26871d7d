package persist_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopersist/persist"
)

// sliceSamples are pickles in each slice frame: raw and compressed.
func sliceSamples(t *testing.T) map[string][]byte {
	floats := make([]float64, 700)
	for i := range floats {
		floats[i] = math.Sqrt(float64(i)) * math.Pi
	}
	out := map[string][]byte{}
	for name, v := range map[string]any{"raw": floats, "zstd": bytes.Repeat([]byte("slices "), 800)} {
		data, err := persist.Pickle(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	if frameKind(out["raw"]) != "slice" || frameKind(out["zstd"]) != "slicezstd" {
		t.Fatalf("samples are %s and %s frames", frameKind(out["raw"]), frameKind(out["zstd"]))
	}
	return out
}

// TestSliceFrameDamaged: every flipped byte and every truncation of a slice
// frame is an error, and the target keeps its value.
func TestSliceFrameDamaged(t *testing.T) {
	for name, data := range sliceSamples(t) {
		t.Run(name, func(t *testing.T) {
			for i := range data {
				for _, flip := range []byte{0x01, 0x80, 0xff} {
					bad := bytes.Clone(data)
					bad[i] ^= flip
					var f []float64
					var b []byte
					errF, errB := persist.Unpickle(bad, &f), persist.Unpickle(bad, &b)
					if errF == nil && errB == nil || f != nil || b != nil {
						t.Fatalf("byte %d of %d ^%#x: errors %v, %v; targets %d, %d values", i, len(data), flip, errF, errB, len(f), len(b))
					}
				}
			}
			for n := range len(data) {
				var a any
				if err := persist.Unpickle(data[:n], &a); err == nil || a != nil {
					t.Fatalf("truncated to %d of %d: %v, %T", n, len(data), err, a)
				}
			}
			if _, err := persist.UnpickleAny(append(bytes.Clone(data), 0)); err == nil {
				t.Fatal("a trailing byte: no error")
			}
		})
	}
}

// TestSliceFrameTypes: a slice frame decodes into a slice of its element
// type, named or not, and into an interface as the plain slice type; into
// another element type it is an error, not a conversion.
func TestSliceFrameTypes(t *testing.T) {
	type series []float64
	in := make(series, 1000)
	for i := range in {
		in[i] = float64(i) / 3
	}
	data, err := persist.Pickle(in)
	if err != nil {
		t.Fatal(err)
	}
	var named series
	if err := persist.Unpickle(data, &named); err != nil || !slices.Equal(named, in) {
		t.Errorf("into series: %v", err)
	}
	var a any
	if err := persist.Unpickle(data, &a); err != nil {
		t.Fatal(err)
	} else if plain, ok := a.([]float64); !ok || !slices.Equal(plain, in) {
		t.Errorf("into any: %T", a)
	}
	var f32 []float32
	if err := persist.Unpickle(data, &f32); err == nil || f32 != nil {
		t.Errorf("into []float32: %v, %d values", err, len(f32))
	}
	ints := make([]int, 2000)
	for i := range ints {
		ints[i] = i - 1000
	}
	data, err = persist.Pickle(ints)
	if err != nil {
		t.Fatal(err)
	}
	var back []int
	if err := persist.Unpickle(data, &back); err != nil || !slices.Equal(back, ints) {
		t.Errorf("[]int: %v", err)
	}
}

// TestZstdFrameDamaged: the zstd frames, today's for large CBOR and the
// earlier ones for every size (a golden file), detect every flipped byte
// and every truncation.
func TestZstdFrameDamaged(t *testing.T) {
	words := make([]string, 1200)
	for i := range words {
		words[i] = []string{"alpha", "beta", "gamma"}[i%3]
	}
	large, err := persist.Pickle(words)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join("testdata", "frames", "zstd-struct.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"large": large, "golden": old} {
		if frameKind(data) != "zstd" {
			t.Fatalf("%s: a %s frame", name, frameKind(data))
		}
		check := func(what string, bad []byte) {
			var s []string
			var r goldenRecord
			if errS, errR := persist.Unpickle(bad, &s), persist.Unpickle(bad, &r); errS == nil && errR == nil {
				t.Fatalf("%s %s: no error", name, what)
			}
		}
		for i := range data {
			bad := bytes.Clone(data)
			bad[i] ^= 0x10
			check(fmt.Sprintf("byte %d flipped", i), bad)
		}
		for n := range len(data) {
			check(fmt.Sprintf("truncated to %d", n), data[:n])
		}
	}
}
