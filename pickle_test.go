package persist_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/zstd"

	"github.com/gopersist/persist"
)

type pickleInner struct {
	Name  string
	Score float64
	Tags  []string
}

type pickleOuter struct {
	ID      int64
	Inner   pickleInner
	PInner  *pickleInner
	Items   []pickleInner
	ByName  map[string]pickleInner
	When    time.Time
	Raw     []byte
	Nothing *int
}

// roundTrip pickles v and unpickles it into a new value of v's type.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := persist.Pickle(v)
	if err != nil {
		t.Fatalf("Pickle(%#v): %v", v, err)
	}
	p := reflect.New(reflect.TypeOf(v))
	if err := persist.Unpickle(data, p.Interface()); err != nil {
		t.Fatalf("Unpickle of %#v: %v", v, err)
	}
	return p.Elem().Interface()
}

func TestPickleRoundTrip(t *testing.T) {
	when := time.Date(2024, 3, 10, 14, 30, 15, 123456789, time.FixedZone("IST", 5*3600+1800))
	n := 7
	tests := []struct {
		name string
		v    any
	}{
		{"int8 min", int8(math.MinInt8)}, {"int8 max", int8(math.MaxInt8)},
		{"int16 min", int16(math.MinInt16)}, {"int16 max", int16(math.MaxInt16)},
		{"int32 min", int32(math.MinInt32)}, {"int32 max", int32(math.MaxInt32)},
		{"int64 min", int64(math.MinInt64)}, {"int64 max", int64(math.MaxInt64)},
		{"int min", math.MinInt}, {"int max", math.MaxInt}, {"int 0", 0},
		{"uint8 max", uint8(math.MaxUint8)}, {"uint16 max", uint16(math.MaxUint16)},
		{"uint32 max", uint32(math.MaxUint32)}, {"uint64 max", uint64(math.MaxUint64)},
		{"uint max", uint(math.MaxUint)},
		{"float64", 3.141592653589793}, {"float64 smallest", math.SmallestNonzeroFloat64},
		{"float64 max", math.MaxFloat64}, {"float32", float32(0.1)},
		{"+Inf", math.Inf(1)}, {"-Inf", math.Inf(-1)}, {"float32 +Inf", float32(math.Inf(1))},
		{"string", "hello"}, {"string empty", ""}, {"string unicode", "héllo, 世界 🌍 \u0000 end"},
		{"bytes", []byte{0, 1, 0xff}}, {"bool", true},
		{"pointer", &n}, {"pointer to struct", &pickleInner{Name: "p"}},
		{"empty slice", []int{}}, {"slice", []int{-1, 0, 1}},
		{"map", map[string]int{"a": 1, "b": -2}}, {"map int keys", map[int]string{1: "x", -5: "y"}},
		{"empty map", map[string]int{}},
		{"slice of float with NaN", []float64{1, math.Inf(1)}},
		{"nested structs", pickleOuter{
			ID:     -9,
			Inner:  pickleInner{"in", 1.5, []string{"a"}},
			PInner: &pickleInner{Name: "ptr", Tags: []string{}},
			Items:  []pickleInner{{Name: "i1"}, {Name: "i2", Score: -0.5}},
			ByName: map[string]pickleInner{"k": {Name: "v"}},
			When:   when,
			Raw:    []byte("raw"),
		}},
		{"time UTC", time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, tt.v)
			if diff := cmp.Diff(tt.v, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPickleNilAndEmpty: nil and empty stay apart, as they do in Go.
func TestPickleNilAndEmpty(t *testing.T) {
	if got := roundTrip(t, []byte(nil)).([]byte); got != nil {
		t.Errorf("nil []byte came back as %#v", got)
	}
	if got := roundTrip(t, []byte{}).([]byte); got == nil || len(got) != 0 {
		t.Errorf("empty []byte came back as %#v", got)
	}
	if got := roundTrip(t, []int(nil)).([]int); got != nil {
		t.Errorf("nil slice came back as %#v", got)
	}
	if got := roundTrip(t, []int{}).([]int); got == nil {
		t.Error("empty slice came back nil")
	}
	if got := roundTrip(t, map[string]int(nil)).(map[string]int); got != nil {
		t.Errorf("nil map came back as %#v", got)
	}
	if got := roundTrip(t, map[string]int{}).(map[string]int); got == nil {
		t.Error("empty map came back nil")
	}
	if got := roundTrip(t, (*int)(nil)).(*int); got != nil {
		t.Errorf("nil pointer came back as %v", *got)
	}
	if got := roundTrip(t, pickleOuter{}).(pickleOuter); got.PInner != nil || got.Raw != nil || got.Items != nil || got.ByName != nil {
		t.Errorf("zero struct came back with non-nil fields: %#v", got)
	}
}

func TestPickleFloats(t *testing.T) {
	if got := roundTrip(t, math.NaN()).(float64); !math.IsNaN(got) {
		t.Errorf("NaN came back as %v", got)
	}
	if got := roundTrip(t, float32(math.NaN())).(float32); !math.IsNaN(float64(got)) {
		t.Errorf("float32 NaN came back as %v", got)
	}
	got := roundTrip(t, math.Copysign(0, -1)).(float64)
	if got != 0 || !math.Signbit(got) {
		t.Errorf("-0 came back as %v (sign bit %v)", got, math.Signbit(got))
	}
	vals := roundTrip(t, []float64{math.NaN(), math.Inf(-1), 1}).([]float64)
	if !cmp.Equal(vals, []float64{math.NaN(), math.Inf(-1), 1}, cmpopts.EquateNaNs()) {
		t.Errorf("slice with NaN came back as %v", vals)
	}
}

// TestPickleTimeKeepsOffset: the instant and the zone offset survive; the
// zone's name does not, as RFC 3339 has no place for it.
func TestPickleTimeKeepsOffset(t *testing.T) {
	when := time.Date(2024, 3, 10, 14, 30, 15, 123456789, time.FixedZone("IST", 5*3600+1800))
	got := roundTrip(t, when).(time.Time)
	if !got.Equal(when) {
		t.Errorf("time %v came back as %v", when, got)
	}
	if _, off := got.Zone(); off != 5*3600+1800 {
		t.Errorf("offset %d, want %d", off, 5*3600+1800)
	}
	local := time.Now() // monotonic reading and Local zone
	if got := roundTrip(t, local).(time.Time); !got.Equal(local) {
		t.Errorf("time.Now() %v came back as %v", local, got)
	}
}

// TestPickleUnexportedFieldsAreDropped documents that only exported
// fields are kept, as with encoding/json: an unexported field comes back as
// its zero value.
func TestPickleUnexportedFieldsAreDropped(t *testing.T) {
	type withHidden struct {
		Shown  int
		hidden int
	}
	got := roundTrip(t, withHidden{Shown: 1, hidden: 2}).(withHidden)
	if got.Shown != 1 {
		t.Errorf("exported field came back as %d", got.Shown)
	}
	if got.hidden != 0 {
		t.Errorf("unexported field came back as %d, want 0", got.hidden)
	}
}

// TestPickleAnySlice: []any round-trips, with integers in CBOR's own
// types, since the encoding carries no Go type names: non-negative ints
// come back as uint64, negative ones as int64, maps as map[any]any. Results
// of memoised functions keep their Go types, since they are decoded into
// the function's result types (see TestSeveralResultsRoundTrip).
func TestPickleAnySlice(t *testing.T) {
	in := []any{1, -2, "a", 2.5, nil, true, []byte("b"), []any{"nested", uint64(3)}, map[string]any{"k": "v"}}
	got := roundTrip(t, in).([]any)
	want := []any{uint64(1), int64(-2), "a", 2.5, nil, true, []byte("b"), []any{"nested", uint64(3)}, map[any]any{"k": "v"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("[]any round trip (-want +got):\n%s", diff)
	}
}

// TestPickleIsDeterministic: the same value pickles to the same bytes
// (map order included), so a stored result can be compared byte for byte.
func TestPickleIsDeterministic(t *testing.T) {
	m := map[string]int{}
	for i := range 500 {
		m[strconv.Itoa(i)] = i
	}
	first, err := persist.Pickle(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := persist.Pickle(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("one map pickled to different bytes")
		}
	}
}

func TestPickleRefusesFuncs(t *testing.T) {
	if data, err := persist.Pickle(func() {}); err == nil {
		t.Errorf("Pickle(func) = %x, want an error", data)
	}
	if data, err := persist.Pickle(make(chan int)); err == nil {
		t.Errorf("Pickle(chan) = %x, want an error", data)
	}
}

// damageSample is a pickled value with some of everything, the victim of
// the damage tests.
func damageSample(t testing.TB) (pickleOuter, []byte) {
	v := pickleOuter{
		ID: 42, Inner: pickleInner{"inner", 2.5, []string{"x", "y"}},
		Items: []pickleInner{{Name: "a"}, {Name: "b"}}, Raw: []byte("payload"),
		When: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	data, err := persist.Pickle(v)
	if err != nil {
		t.Fatal(err)
	}
	return v, data
}

// TestUnpickleDamaged flips each byte of a pickle in turn: every flip is
// an error, and the target is left as it was.
func TestUnpickleDamaged(t *testing.T) {
	_, data := damageSample(t)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0xff
		var got pickleOuter
		err := persist.Unpickle(bad, &got)
		if err == nil {
			t.Errorf("byte %d of %d flipped: no error, decoded %+v", i, len(data), got)
			continue
		}
		if !reflect.DeepEqual(got, pickleOuter{}) {
			t.Errorf("byte %d flipped: error %v, but the target was changed to %+v", i, err, got)
		}
	}
}

func TestUnpickleTruncated(t *testing.T) {
	want, data := damageSample(t)
	for n := range len(data) {
		var got pickleOuter
		if err := persist.Unpickle(data[:n], &got); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error, decoded %+v", n, len(data), got)
		}
		if v, err := persist.UnpickleAny(data[:n]); err == nil || v != nil {
			t.Errorf("UnpickleAny truncated to %d bytes: %v, %v", n, v, err)
		}
	}
	var got pickleOuter
	if err := persist.Unpickle(data, &got); err != nil || !cmp.Equal(got, want) {
		t.Errorf("untouched pickle: %+v, %v", got, err)
	}
}

func TestUnpickleForeign(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("2401"))
	zw.Close()
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	_, sample := damageSample(t)
	aString, err := persist.Pickle("a string, not an int")
	if err != nil {
		t.Fatal(err)
	}
	foreign := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"human-readable 2401", []byte("2401")},
		{"gzip", gz.Bytes()},
		{"random bytes", random},
		{"zstd magic then random", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, random[:64]...)},
		{"two pickles end to end", append(bytes.Clone(sample), sample...)},
		{"pickle with trailing garbage", append(bytes.Clone(sample), 0, 1, 2)},
		{"pickle of another type", aString},
	}
	for _, f := range foreign {
		t.Run(f.name, func(t *testing.T) {
			var n int
			if err := persist.Unpickle(f.data, &n); err == nil {
				t.Errorf("Unpickle into int: no error, got %d", n)
			} else if n != 0 {
				t.Errorf("Unpickle into int: error %v but target set to %d", err, n)
			}
			var s pickleOuter
			if err := persist.Unpickle(f.data, &s); err == nil && f.name != "pickle of another type" {
				t.Errorf("Unpickle into a struct: no error, got %+v", s)
			}
			if f.name == "pickle of another type" {
				return // a well-formed pickle: UnpickleAny may show it
			}
			if v, err := persist.UnpickleAny(f.data); err == nil || v != nil {
				t.Errorf("UnpickleAny = %v, %v; want only an error", v, err)
			}
		})
	}
}

// TestUnpickleAnyIsJSONable: a value decoded without its Go type can be
// shown as JSON when its maps have string keys, as persist show does.
func TestUnpickleAnyIsJSONable(t *testing.T) {
	type rec struct {
		Name  string
		Tags  []string
		Inner map[string][]int
		Score float64
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"map", map[string]int{"b": 2, "a": -1}, `{"a":-1,"b":2}`},
		{"nested map", map[string]map[string][]int{"x": {"y": {1, 2}}}, `{"x":{"y":[1,2]}}`},
		{"struct", rec{"n", []string{"t"}, map[string][]int{"k": {3}}, 0.5},
			`{"Inner":{"k":[3]},"Name":"n","Score":0.5,"Tags":["t"]}`},
		{"slice of maps", []map[string]bool{{"ok": true}, nil}, `[{"ok":true},null]`},
		{"scalar", "2401", `"2401"`},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `"2024-01-02T03:04:05Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := persist.Pickle(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			v, err := persist.UnpickleAny(data)
			if err != nil {
				t.Fatalf("UnpickleAny: %v", err)
			}
			js, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("json.Marshal(%#v): %v", v, err)
			}
			if string(js) != tt.want {
				t.Errorf("JSON %s, want %s", js, tt.want)
			}
		})
	}
	// A map with other keys still decodes, as map[any]any.
	data, err := persist.Pickle(map[int]string{1: "one"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := persist.UnpickleAny(data)
	if err != nil {
		t.Fatalf("UnpickleAny of map[int]string: %v", err)
	}
	if want := (map[any]any{uint64(1): "one"}); !reflect.DeepEqual(v, want) {
		t.Errorf("UnpickleAny of map[int]string = %#v, want %#v", v, want)
	}
}

// zstdFrame wraps raw bytes in a valid, checksummed zstd frame, so that
// the fuzzer reaches the CBOR decoder instead of stopping at the checksum.
func zstdFrame(raw []byte) []byte { return testZstd.enc.EncodeAll(raw, nil) }

// cborOf is the CBOR inside a pickle.
func cborOf(t testing.TB, data []byte) []byte {
	raw, err := persist.CBOROf(data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var testZstd = func() (z struct {
	enc *zstd.Encoder
}) {
	var err error
	if z.enc, err = zstd.NewWriter(nil, zstd.WithEncoderCRC(true)); err != nil {
		panic(err)
	}
	return z
}()

// FuzzUnpickle feeds arbitrary bytes to Unpickle and UnpickleAny, either
// as they are (framing and checksum: frame 0) or in a valid frame: zstd
// (1) or plain (2) around CBOR, which reaches the CBOR decoder and the
// scalar shortcut, or a slice frame (3, the first byte the element type):
// never a panic, the shortcut agrees with the decoder, and what decodes
// pickles again to itself.
func FuzzUnpickle(f *testing.F) {
	_, sample := damageSample(f)
	f.Add(sample, uint8(0))
	f.Add(cborOf(f, sample), uint8(1))
	for _, v := range []any{42, -7, 1 << 40, true, "2401", []any{1, "a", nil}, map[string]int{"a": 1}, time.Unix(0, 0).UTC(), []byte(nil), math.NaN(),
		make([]float64, 600), bytes.Repeat([]byte("ab"), 3000)} {
		data, err := persist.Pickle(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
		if raw, err := persist.CBOROf(data); err == nil {
			f.Add(raw, uint8(1))
			f.Add(raw, uint8(2))
		}
	}
	f.Add([]byte("d\x00\x00\x00\x00\x00\x00\xf0\x3f"), uint8(3))
	f.Add([]byte("2401"), uint8(0))
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, uint8(2))                      // 2^63, beyond int64
	f.Add([]byte{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(1)) // an array claiming 2^64-1 elements
	f.Fuzz(func(t *testing.T, data []byte, frame uint8) {
		switch frame % 4 {
		case 1, 2:
			if err := persist.ScalarShortcutAgrees(data); err != nil {
				t.Fatal(err)
			}
			if frame%4 == 1 {
				data = zstdFrame(data)
			} else {
				data = persist.PlainFrame(data)
			}
		case 3:
			if len(data) == 0 {
				return
			}
			data = persist.SliceFrame(data[0], data[1:])
		}
		var i int
		if err := persist.Unpickle(data, &i); err == nil {
			// What decodes pickles again to the same value.
			if got := roundTrip(t, i).(int); got != i {
				t.Fatalf("int %d came back as %d", i, got)
			}
		}
		var s string
		if err := persist.Unpickle(data, &s); err == nil {
			if got := roundTrip(t, s).(string); got != s {
				t.Fatalf("string %q came back as %q", s, got)
			}
		}
		var b []byte
		_ = persist.Unpickle(data, &b)
		var o pickleOuter
		_ = persist.Unpickle(data, &o)
		var tm time.Time
		_ = persist.Unpickle(data, &tm)
		var m map[string]any
		_ = persist.Unpickle(data, &m)
		var a any
		errTyped := persist.Unpickle(data, &a)
		v, err := persist.UnpickleAny(data)
		if err != nil && v != nil {
			t.Fatalf("UnpickleAny returned %v with error %v", v, err)
		}
		if (err == nil) != (errTyped == nil) {
			t.Fatalf("Unpickle into any: %v, UnpickleAny: %v; want both to succeed or both to fail", errTyped, err)
		}
	})
}

// TestSeveralResultsRoundTrip: a function of several results, one of them
// an error, is stored by one Memo and read back by another on the same
// store, without computing again, each result with its own Go type.
func TestSeveralResultsRoundTrip(t *testing.T) {
	type stats struct {
		Mean float64
		When time.Time
		Tags map[string][]byte
	}
	when := time.Date(2025, 6, 1, 8, 0, 0, 5, time.FixedZone("", -7*3600))
	var calls atomic.Int64
	describe := func(x int) (int, string, []byte, *stats, []int, error) {
		calls.Add(1)
		if x < 0 {
			return 0, "", nil, nil, nil, strconv.ErrRange
		}
		return x * x, "x=" + strconv.Itoa(x), nil,
			&stats{Mean: math.NaN(), When: when, Tags: map[string][]byte{"e": {}, "n": nil}}, []int{}, nil
	}
	opts := persist.Options{Cache: memURL(t), FuncName: "describe"}
	first, err := persist.Decorate(describe, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Call(4); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Call(-1); err != strconv.ErrRange {
		t.Fatalf("Call(-1) error = %v, want the function's own", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("computed %d times, want 2", n)
	}

	second, err := persist.Decorate(describe, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	fn := second.Func().(func(int) (int, string, []byte, *stats, []int, error))
	sq, s, b, st, empty, err := fn(4)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the second Memo computed again (%d calls): the results did not come from the store", n)
	}
	if sq != 16 || s != "x=4" || b != nil || empty == nil || len(empty) != 0 {
		t.Errorf("fn(4) = %d, %q, %#v, _, %#v", sq, s, b, empty)
	}
	if st == nil || !math.IsNaN(st.Mean) || !st.When.Equal(when) || st.Tags["e"] == nil || st.Tags["n"] != nil {
		t.Errorf("fn(4) stats = %+v", st)
	} else if _, off := st.When.Zone(); off != -7*3600 {
		t.Errorf("time offset %d, want %d", off, -7*3600)
	}
	got, err := second.Call(4)
	if err != nil {
		t.Fatal(err)
	}
	vals, ok := got.([]any)
	if !ok || len(vals) != 5 {
		t.Fatalf("Call(4) = %#v, want the five results kept", got)
	}
	if vals[0] != 16 || vals[1] != "x=4" {
		t.Errorf("Call(4) = %#v: results must keep their Go types (int 16, string)", vals)
	}
	// The error result was never stored: -1 computes again.
	if _, err := second.Call(-1); err != strconv.ErrRange {
		t.Errorf("Call(-1) error = %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("computed %d times, want 3: an error result must not be stored", n)
	}
}
