package persist_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gopersist/persist"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_hashes.txt from the current key encoding")

func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := persist.EncodeKey(v)
	if err != nil {
		t.Fatalf("EncodeKey(%#v): %v", v, err)
	}
	return b
}

// TestEncodeKindsDiffer: values that print alike but differ in kind are
// different keys, as in Python, where 1, 1.0, "1" and True are told apart
// by pypersist's pickled keys.
func TestEncodeKindsDiffer(t *testing.T) {
	values := []struct {
		name string
		v    any
	}{
		{"int 1", 1},
		{"uint 1", uint(1)},
		{"float 1.0", 1.0},
		{"complex 1", complex(1, 0)},
		{`string "1"`, "1"},
		{"true", true},
		{`[]byte("1")`, []byte("1")},
		{"nil", nil},
		{"int 0", 0},
		{"false", false},
		{`""`, ""},
		{"empty []byte", []byte{}},
		{"empty []int", []int{}},
		{"empty map", map[string]int{}},
		{"empty struct", struct{}{}},
		{"empty Key", persist.Key{}},
		{"[]int{1}", []int{1}},
		{"[]float64{1}", []float64{1}},
		{"[]string{1}", []string{"1"}},
		{"Key x=1", persist.Key{{"x", 1}}},
		{"struct X=1", struct{ X int }{1}},
		{"map x:1", map[string]int{"X": 1}},
		{"time zero", time.Time{}},
	}
	seen := map[string]string{}
	for _, v := range values {
		enc := string(mustEncode(t, v.v))
		if other, dup := seen[enc]; dup {
			t.Errorf("%s and %s share the encoding %q", other, v.name, enc)
		}
		seen[enc] = v.name
	}
}

// TestEncodeTypesUnderAny: in an interface position, values of different
// types are different keys, though they print alike, since the function
// can tell them apart (%T, a type switch). Where the static type is
// concrete, no type is written: a []int8 costs two bytes an element.
func TestEncodeTypesUnderAny(t *testing.T) {
	type myInt int
	type celsius float64
	values := []any{
		int8(1), int16(1), int32(1), int64(1), 1, myInt(1), time.Duration(1),
		uint8(1), uint16(1), uint32(1), uint64(1), uint(1), uintptr(1),
		float32(0.5), 0.5, celsius(0.5),
		complex64(1 + 2i), 1 + 2i,
		[]int{1}, [1]int{1}, []int64{1}, []any{1}, []any{int64(1)},
		[]byte("abc"), [3]byte{'a', 'b', 'c'},
		xyPoint{1, 2}, struct{ X, Y int }{1, 2}, &xyPoint{1, 2},
		map[string]int{"a": 1}, map[string]int64{"a": 1}, map[any]int{"a": 1},
	}
	seen := map[string]any{}
	for _, v := range values {
		enc := string(mustEncode(t, v))
		if other, dup := seen[enc]; dup {
			t.Errorf("%T(%v) and %T(%v) share the encoding %x", other, other, v, v, enc)
		}
		seen[enc] = v
		inKey := string(mustEncode(t, persist.Key{{"x", v}}))
		if other, dup := seen[inKey]; dup {
			t.Errorf("Keys holding %T and %T share an encoding", other, v)
		}
		seen[inKey] = v
	}
	short, long := mustEncode(t, []int8{1}), mustEncode(t, []int8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	if d := len(long) - len(short); d != 20 {
		t.Errorf("ten more elements of a []int8 cost %d bytes, want 20: no type is written in a concrete position", d)
	}
}

func TestEncodeMapOrderIndependent(t *testing.T) {
	const n = 2000
	up := make(map[string]int, n)
	down := make(map[string]int, n)
	for i := range n {
		up[fmt.Sprint("k", i)] = i
	}
	for i := n - 1; i >= 0; i-- {
		down[fmt.Sprint("k", i)] = i
	}
	want := mustEncode(t, up)
	for range 5 { // map iteration order is randomised on every range
		if got := mustEncode(t, down); !bytes.Equal(got, want) {
			t.Fatal("maps with the same entries, inserted in different orders, encode differently")
		}
	}
	// Keys of mixed kinds, with values that are themselves maps.
	a := map[any]any{}
	b := map[any]any{}
	keys := []any{1, uint(1), 1.0, "1", true, 2, "x", false, -7.5}
	for i, k := range keys {
		a[k] = map[int]string{i + 1: fmt.Sprint(k), -i - 1: "neg"}
	}
	for i := len(keys) - 1; i >= 0; i-- {
		b[keys[i]] = map[int]string{-i - 1: "neg", i + 1: fmt.Sprint(keys[i])}
	}
	if !bytes.Equal(mustEncode(t, a), mustEncode(t, b)) {
		t.Error("map[any]any with the same entries encodes differently")
	}
	b["x"] = "changed"
	if bytes.Equal(mustEncode(t, a), mustEncode(t, b)) {
		t.Error("maps with different values encode alike")
	}
}

func TestEncodeNormalises(t *testing.T) {
	x := 42
	px := &x
	type withPtr struct{ P *int }
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	instant := time.Date(2024, 3, 10, 12, 0, 0, 123456789, time.UTC)
	now := time.Now() // carries a monotonic clock reading
	y := 42
	py := &y
	equal := []struct {
		name string
		a, b any
	}{
		{"pointer followed", &x, &y},
		{"pointer to pointer followed", &px, &py},
		{"pointer in a struct followed", withPtr{&x}, withPtr{&y}},
		{"NaN payloads are one NaN", math.Float64frombits(0x7ff8000000000001), math.NaN()},
		{"negative NaN is NaN", math.Float64frombits(0xfff8000000000000), math.NaN()},
		{"float32 NaN is NaN", float32(math.NaN()), float32(math.Float64frombits(0x7ff8000000000001))},
		{"complex NaN", complex(math.Copysign(0, -1), math.NaN()), complex(math.Copysign(0, -1), -math.NaN())},
		{"NaN inside a slice", []float64{math.NaN(), 1}, []float64{math.Float64frombits(0x7ff0000000000001), 1}},
		{"monotonic clock reading ignored", now, now.Round(0)},
		{"interface holding a value", []any{1, "a"}, []any{1, "a"}},
		{"one instant, one zone", instant.In(loc), instant.Add(0).In(time.FixedZone("UTC+5:30", 5*3600+1800))},
	}
	for _, tt := range equal {
		if a, b := mustEncode(t, tt.a), mustEncode(t, tt.b); !bytes.Equal(a, b) {
			t.Errorf("%s: %x != %x", tt.name, a, b)
		}
	}
	type hidden struct{ x int }
	type renamed struct{ Z, Y int }
	different := []struct {
		name string
		a, b any
	}{
		{"-0 is not 0", math.Copysign(0, -1), 0.0},
		{"float32 -0 is not 0", float32(math.Copysign(0, -1)), float32(0)},
		{"complex -0 is not 0", complex(math.Copysign(0, -1), 1), complex(0, 1)},
		{"time zones of one instant", instant, instant.In(loc)},
		{"time zone in a Key", persist.Key{{"t", instant.In(loc)}}, persist.Key{{"t", instant}}},
		{"zone names of one offset", instant.In(time.FixedZone("A", 3600)), instant.In(time.FixedZone("B", 3600))},
		{"offsets of one zone name", instant.In(time.FixedZone("A", 3600)), instant.In(time.FixedZone("A", 7200))},
		{"same fields, different type names", xyPoint{1, 2}, struct{ X, Y int }{1, 2}},
		{"array and slice of bytes", [3]byte{'a', 'b', 'c'}, []byte("abc")},
		{"array and slice", [2]int{1, 2}, []int{1, 2}},
		{"pointer and value", &x, x},
		{"unexported fields count", hidden{1}, hidden{2}},
		{"field names count", xyPoint{1, 2}, renamed{1, 2}},
		{"nanoseconds count", instant, instant.Add(1)},
		{"NaN is not Inf", math.NaN(), math.Inf(1)},
		{"+Inf is not -Inf", math.Inf(1), math.Inf(-1)},
		{"nil slice is not empty", []int(nil), []int{}},
		{"nil pointer is not zero", (*int)(nil), 0},
		{"typed nil is not nil", (*int)(nil), nil},
		{"order of a slice counts", []int{1, 2}, []int{2, 1}},
		{"order of a Key counts", persist.Key{{"a", 1}, {"b", 2}}, persist.Key{{"b", 2}, {"a", 1}}},
		{"names of a Key count", persist.Key{{"a", 1}}, persist.Key{{"b", 1}}},
		{"string boundaries count", []string{"ab", "c"}, []string{"a", "bc"}},
		{"struct boundaries count", struct{ A, B string }{"ab", "c"}, struct{ A, B string }{"a", "bc"}},
	}
	for _, tt := range different {
		if a, b := mustEncode(t, tt.a), mustEncode(t, tt.b); bytes.Equal(a, b) {
			t.Errorf("%s: both encode as %x", tt.name, a)
		}
	}
}

// TestEncodeSharedPointerIsNotACycle: a value reached twice by different
// paths is not a cycle.
func TestEncodeSharedPointerIsNotACycle(t *testing.T) {
	shared := &xyPoint{1, 2}
	s := []int{1, 2, 3}
	m := map[string]int{"a": 1}
	v := []any{shared, shared, s, s, m, m, struct{ A, B *xyPoint }{shared, shared}}
	if _, err := persist.EncodeKey(v); err != nil {
		t.Fatalf("EncodeKey of shared references: %v", err)
	}
}

type holder struct {
	Field any
}

type listNode struct {
	Val  int
	Next *listNode
}

func TestEncodeUnhashable(t *testing.T) {
	x := 1
	cyc := &listNode{Val: 1}
	cyc.Next = &listNode{Val: 2, Next: cyc}
	selfSlice := []any{1, nil}
	selfSlice[1] = selfSlice
	selfMap := map[string]any{"ok": 1}
	selfMap["self"] = selfMap
	ch := make(chan int)
	selfKey := persist.Key{{"a", nil}}
	selfKey[0].Value = selfKey
	tests := []struct {
		name   string
		key    any
		typ    reflect.Type
		path   string
		reason string
	}{
		{"func in a struct in a Key", persist.Key{{"arg0", holder{Field: []any{1, 2, 3, func() {}}}}},
			reflect.TypeFor[func()](), "arg0.Field[3]", "a func cannot be part of a key"},
		{"bare func", func(int) int { return 0 }, reflect.TypeFor[func(int) int](), "", "a func cannot be part of a key"},
		{"chan", persist.Key{{"c", ch}}, reflect.TypeFor[chan int](), "c", "a chan cannot be part of a key"},
		{"unsafe.Pointer", []any{unsafe.Pointer(&x)}, reflect.TypeFor[unsafe.Pointer](), "[0]", "a unsafe.Pointer cannot be part of a key"},
		{"cycle through pointers", persist.Key{{"n", cyc}}, reflect.TypeFor[*listNode](), "n.Next.Next", "it refers to itself (a cycle)"},
		{"cycle through a slice", persist.Key{{"s", selfSlice}}, reflect.TypeFor[[]any](), "s[1]", "it refers to itself (a cycle)"},
		{"cycle through a map", persist.Key{{"m", selfMap}}, reflect.TypeFor[map[string]any](), `m["self"]`, "it refers to itself (a cycle)"},
		{"chan as a map key", map[any]int{ch: 1}, reflect.TypeFor[chan int](), "[key]", "a chan cannot be part of a key"},
		{"func in a nested Key", persist.Key{{"outer", persist.Key{{"inner", func() {}}}}}, reflect.TypeFor[func()](), "outer.inner", "a func cannot be part of a key"},
		{"func in a Key in a slice", []any{0, persist.Key{{"x", func() {}}}}, reflect.TypeFor[func()](), "[1].x", "a func cannot be part of a key"},
		{"func in a struct", holder{Field: func() {}}, reflect.TypeFor[func()](), ".Field", "a func cannot be part of a key"},
		{"Key holding itself", selfKey, reflect.TypeFor[persist.Key](), "a.a", "it refers to itself (a cycle)"},
		{"Key holding itself in a slice", []any{selfKey}, reflect.TypeFor[persist.Key](), "[0].a", "it refers to itself (a cycle)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []struct {
				name string
				fn   func(any) error
			}{
				{"EncodeKey", func(k any) error { b, err := persist.EncodeKey(k); assertNil(t, b); return err }},
				{"Hash", func(k any) error {
					h, err := persist.Hash(k)
					if h != "" {
						t.Errorf("Hash returned %q with an error", h)
					}
					return err
				}},
			} {
				err := f.fn(tt.key)
				if !errors.Is(err, persist.ErrUnhashable) {
					t.Fatalf("%s: errors.Is(%v, ErrUnhashable) = false", f.name, err)
				}
				var ue *persist.UnhashableError
				if !errors.As(err, &ue) {
					t.Fatalf("%s: %T is not an *UnhashableError", f.name, err)
				}
				if ue.Path != tt.path {
					t.Errorf("%s: Path = %q, want %q", f.name, ue.Path, tt.path)
				}
				if ue.Type != tt.typ {
					t.Errorf("%s: Type = %v, want %v", f.name, ue.Type, tt.typ)
				}
				if ue.Reason != tt.reason {
					t.Errorf("%s: Reason = %q, want %q", f.name, ue.Reason, tt.reason)
				}
			}
		})
	}
	_, err := persist.EncodeKey(tests[0].key)
	if want := "persist: unhashable func() at arg0.Field[3]: a func cannot be part of a key"; err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// A failed encoding leaves nothing behind in the pooled encoder.
	if got, want := mustEncode(t, 7), mustEncode(t, 7); !bytes.Equal(got, want) || len(got) > 8 {
		t.Errorf("encoding after an error: %x", got)
	}
}

func assertNil(t *testing.T, b []byte) {
	t.Helper()
	if b != nil {
		t.Errorf("EncodeKey returned %x with an error", b)
	}
}

func TestEncodeTooDeep(t *testing.T) {
	var v any = 1
	for range 2000 {
		v = []any{v}
	}
	_, err := persist.EncodeKey(v)
	if !errors.Is(err, persist.ErrUnhashable) {
		t.Fatalf("EncodeKey of 2000 nested slices: %v, want ErrUnhashable", err)
	}
	var ue *persist.UnhashableError
	if errors.As(err, &ue) && !strings.HasPrefix(ue.Path, "[0][0][0]") {
		t.Errorf("Path = %.40q…, want it to start with [0][0][0]", ue.Path)
	}
	// Each []any level is two levels of the encoder: the slice and the
	// interface in it.
	v = 1
	for range 400 {
		v = []any{v}
	}
	if _, err := persist.EncodeKey(v); err != nil {
		t.Errorf("400 nested slices: %v", err)
	}
	// Keys nested in Keys are bounded too, rather than overflowing the stack.
	k := persist.Key{{"x", 1}}
	for range 5000 {
		k = persist.Key{{"k", k}}
	}
	if _, err := persist.EncodeKey(k); !errors.Is(err, persist.ErrUnhashable) {
		t.Errorf("5000 nested Keys: %v, want ErrUnhashable", err)
	}
}

var hashForm = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func TestHash(t *testing.T) {
	for _, k := range []any{persist.Key{{"x", 4}}, persist.Key{}, nil, "x", []byte{0xff}} {
		h, err := persist.Hash(k)
		if err != nil {
			t.Fatal(err)
		}
		if !hashForm.MatchString(h) {
			t.Errorf("Hash(%v) = %q: want 43 characters of unpadded base64url", k, h)
		}
		sum := sha256.Sum256(mustEncode(t, k))
		if want := base64.RawURLEncoding.EncodeToString(sum[:]); h != want {
			t.Errorf("Hash(%v) = %q, want SHA-256 of EncodeKey, %q", k, h, want)
		}
	}
}

// goldenKey is a representative key whose hash is pinned in testdata.
type goldenKey struct {
	name string
	key  any
}

type goldenInner struct {
	Tags   []string
	hidden int
}

type goldenOuter struct {
	Name  string
	Inner *goldenInner
	Score float64
}

func goldenKeys() []goldenKey {
	return []goldenKey{
		{"nil", nil},
		{"int 0", 0},
		{"int -1", -1},
		{"int64 max", int64(math.MaxInt64)},
		{"int8 min", int8(math.MinInt8)},
		{"uint 1", uint(1)},
		{"uint64 max", uint64(math.MaxUint64)},
		{"float 1.0", 1.0},
		{"float -0", math.Copysign(0, -1)},
		{"float 0", 0.0},
		{"float NaN", math.NaN()},
		{"float +Inf", math.Inf(1)},
		{"float32 0.1", float32(0.1)},
		{"complex 1+2i", 1 + 2i},
		{"string empty", ""},
		{"string unicode", "héllo, 世界 🌍"},
		{"bytes", []byte("1")},
		{"bool true", true},
		{"bool false", false},
		{"slice of int", []int{1, 2, 3}},
		{"slice of any nested", []any{1, "a", nil, []any{2.5, false}}},
		{"array of int", [3]int{7, 8, 9}},
		{"map string int", map[string]int{"a": 1, "b": 2, "c": 3}},
		{"map any any", map[any]any{1: "x", "1": true, 2.5: nil}},
		{"struct", xyPoint{1, 2}},
		{"struct nested", goldenOuter{"n", &goldenInner{[]string{"t"}, 7}, -1.5}},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)},
		{"time in a fixed zone", time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("EST", -5*3600))},
		{"duration 1", time.Duration(1)},
		{"int64 1", int64(1)},
		{"uint8 1", uint8(1)},
		{"Key of any", persist.Key{{"x", []any{int64(1), uint8(1), [1]int{1}}}}},
		{"pointer", ptrTo(4)},
		{"Key empty", persist.Key{}},
		{"Key x=4", persist.Key{{"x", 4}}},
		{"Key baz", persist.Key{{"a", 10}, {"b", 2}, {"e", 50}, {"g", 3}}},
		{"Key variadic", persist.Key{{"*someargs", []int{1, 2, 3}}, {"x", 8}, {"y", 7}}},
		{"Key nested Key", persist.Key{{"k", persist.Key{{"x", 1.0}}}, {"s", "alice"}}},
	}
}

const goldenPath = "testdata/golden_hashes.txt"

// goldenFormat is the line of the golden file that names the KeyFormat its
// hashes pin.
var goldenFormat = fmt.Sprintf("# key format %d\n", persist.KeyFormat)

const goldenHeader = `# Hashes of representative keys: name, a tab, persist.Hash of the key.
# These pin the key encoding. A change here orphans every stored result:
# every user's cache would silently miss. Regenerate only for a deliberate
# format change, with: go test -run TestGoldenHashes -update
`

func TestGoldenHashes(t *testing.T) {
	keys := goldenKeys()
	var file strings.Builder
	file.WriteString(goldenHeader)
	file.WriteString(goldenFormat)
	now := make(map[string]string, len(keys))
	for _, g := range keys {
		h, err := persist.Hash(g.key)
		if err != nil {
			t.Fatalf("Hash(%s): %v", g.name, err)
		}
		if _, dup := now[g.name]; dup {
			t.Fatalf("golden name %q used twice", g.name)
		}
		now[g.name] = h
		fmt.Fprintf(&file, "%s\t%s\n", g.name, h)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(file.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s with %d hashes", goldenPath, len(keys))
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with go test -run TestGoldenHashes -update)", err)
	}
	stored := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, "\t")
		if !ok || !hashForm.MatchString(hash) {
			t.Fatalf("%s:%d: malformed line %q", goldenPath, i+1, line)
		}
		stored[name] = hash
	}
	const orphans = "the key encoding changed: this orphans every stored result, since every user's existing cache " +
		"entries would no longer be found. Restore the encoding, or, for a deliberate format change, " +
		"rerun with -update and announce it as a breaking change"
	for _, g := range keys {
		want, ok := stored[g.name]
		if !ok {
			t.Errorf("%s has no hash for %q: rerun with -update to add it", goldenPath, g.name)
			continue
		}
		if now[g.name] != want {
			t.Errorf("hash of %q is %s, %s holds %s: %s", g.name, now[g.name], goldenPath, want, orphans)
		}
	}
	for name := range stored {
		if _, ok := now[name]; !ok {
			t.Errorf("%s holds %q, which the test no longer computes: rerun with -update", goldenPath, name)
		}
	}
	// The golden keys are distinct values; a hash shared by two of them
	// would make the file guard less.
	byHash := map[string][]string{}
	for name, h := range now {
		byHash[h] = append(byHash[h], name)
	}
	for _, names := range byHash {
		slices.Sort(names)
		if len(names) > 1 {
			t.Errorf("golden keys %v share one hash", names)
		}
	}
}

// TestGoldenHashesPinKeyFormat: the golden file says which KeyFormat it
// pins, and it is the current one: a new format comes with new hashes.
func TestGoldenHashesPinKeyFormat(t *testing.T) {
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "# key format ") {
			pinned = append(pinned, line)
		}
	}
	if len(pinned) != 1 || pinned[0] != goldenFormat {
		t.Fatalf("%s pins %q, want one line %q", goldenPath, pinned, goldenFormat)
	}
	if persist.KeyFormat != 2 {
		t.Fatalf("KeyFormat is %d: update this test and the golden file together", persist.KeyFormat)
	}
}

type fuzzInner struct {
	F float64
	b []byte
}

type fuzzStruct struct {
	I     int64
	U     uint64
	S     string
	T     bool
	Inner *fuzzInner
	Tags  map[string]int64
}

// fuzzValues builds one value of each kind from fuzzed primitives. Called
// twice, it gives deep copies: nothing is shared between the two results.
func fuzzValues(i int64, u uint64, fl float64, s string, b []byte, bo bool) []goldenKey {
	s = strings.Clone(s)
	b = append([]byte{}, b...) // never nil, so it stays apart from nil
	return []goldenKey{
		{"nil", nil},
		{"int", i},
		{"uint", u},
		{"float", fl},
		{"complex", complex(fl, float64(i))},
		{"string", s},
		{"bytes", b},
		{"bool", bo},
		{"time", time.Unix(i%1e11, int64(u%1e9))},
		{"slice", []int64{i, int64(u)}},
		{"any slice", []any{i, s, fl, b, bo, nil}},
		{"map", map[string]int64{s: i, s + "\x00": int64(u)}},
		{"any map", map[any]any{i: s, s: fl, bo: b}},
		{"struct", fuzzStruct{I: i, U: u, S: s, T: bo, Inner: &fuzzInner{F: fl, b: bytes.Clone(b)}, Tags: map[string]int64{s: i}}},
		{"Key", persist.Key{{s, i}, {"f", fl}, {"b", b}}},
	}
}

func FuzzEncodeKey(f *testing.F) {
	f.Add(int64(1), uint64(1), 1.0, "1", []byte("1"), true)
	f.Add(int64(0), uint64(0), math.Copysign(0, -1), "", []byte{}, false)
	f.Add(int64(math.MinInt64), uint64(math.MaxUint64), math.NaN(), "héllo\x00", []byte{0xff, 0}, true)
	f.Add(int64(-1), uint64(1<<63), math.Inf(-1), "s", []byte(nil), false)
	f.Fuzz(func(t *testing.T, i int64, u uint64, fl float64, s string, b []byte, bo bool) {
		values := fuzzValues(i, u, fl, s, b, bo)
		copies := fuzzValues(i, u, fl, s, b, bo)
		seen := map[string]string{}
		for n, v := range values {
			enc := mustEncode(t, v.key)
			if again := mustEncode(t, v.key); !bytes.Equal(enc, again) {
				t.Fatalf("%s: encoded twice, %x then %x", v.name, enc, again)
			}
			if cp := mustEncode(t, copies[n].key); !bytes.Equal(enc, cp) {
				t.Fatalf("%s: a deep copy encodes as %x, the value as %x", v.name, cp, enc)
			}
			if other, dup := seen[string(enc)]; dup {
				t.Fatalf("%s and %s share the encoding %x", other, v.name, enc)
			}
			seen[string(enc)] = v.name
		}
		// A scalar of one kind inside a container never matches another.
		inner := [][]any{{i}, {u}, {float64(i)}, {fmt.Sprint(i)}, {i != 0}}
		seenInner := map[string]int{}
		for n, v := range inner {
			enc := string(mustEncode(t, persist.Key{{"x", v}}))
			if m, dup := seenInner[enc]; dup {
				t.Fatalf("Keys holding %T and %T share an encoding", inner[m][0], v[0])
			}
			seenInner[enc] = n
		}
		// Pointers are followed; all NaNs are one float.
		s2 := strings.Clone(s)
		if !bytes.Equal(mustEncode(t, &s), mustEncode(t, &s2)) {
			t.Fatal("&s and a pointer to a copy encode differently")
		}
		fl2 := fl
		if fl != fl {
			fl2 = math.Float64frombits(math.Float64bits(fl) ^ 1)
		}
		if !bytes.Equal(mustEncode(t, fl), mustEncode(t, fl2)) {
			t.Fatalf("%v and %v encode differently", fl, fl2)
		}
	})
}

var bazNames = []string{"a", "b", "c", "d", "e", "f", "g"}

var bazDefault = map[string]int{"c": 3, "d": 4, "f": 6, "g": 7}

// FuzzArgTuple calls baz(a, b, c=3, d=4, *, e, f=6, g=7) with fuzzed
// positional counts, keyword names and values, and checks the result
// against a model of Python's binding.
func FuzzArgTuple(f *testing.F) {
	f.Add(uint8(3), uint16(0b1110000), "", []byte{10, 2, 3, 50, 6, 3})
	f.Add(uint8(5), uint16(0), "", []byte{1, 2, 3, 4, 5})
	f.Add(uint8(2), uint16(0b10000|1<<7), "zz", []byte{1, 2, 3})
	f.Add(uint8(2), uint16(0b10001|1<<8), "", []byte{1, 2, 3})
	f.Add(uint8(0), uint16(0b1111111), "", []byte{})
	f.Fuzz(func(t *testing.T, nPos uint8, mask uint16, extra string, vals []byte) {
		val := func(j int) int {
			if len(vals) == 0 {
				return j
			}
			return int(vals[j%len(vals)] % 10) // small, to hit the defaults often
		}
		asFloat := mask&(1<<8) != 0 // as JSON would give them
		arg := func(v int) any {
			if asFloat {
				return float64(v)
			}
			return v
		}
		n := int(nPos % 8)
		args := make([]any, n)
		given := map[string]int{} // the model: what each name receives
		var modelErr bool
		for j := range n {
			args[j] = arg(val(j))
			if j < 4 {
				given[bazNames[j]] = val(j)
			} else {
				modelErr = true // too many positional
			}
		}
		kw := persist.KW{}
		for j, name := range bazNames {
			if mask&(1<<j) != 0 {
				kw[name] = arg(val(10 + j))
			}
		}
		if mask&(1<<7) != 0 {
			kw[extra] = arg(val(20))
		}
		for name, v := range kw {
			if _, dup := given[name]; dup || !slices.Contains(bazNames, name) {
				modelErr = true // given twice, or unknown
			}
			if asFloat {
				given[name] = int(v.(float64))
			} else {
				given[name] = v.(int)
			}
		}
		for _, req := range []string{"a", "b", "e"} {
			if _, ok := given[req]; !ok {
				modelErr = true
			}
		}

		key, err := persist.ArgTuple("baz", baz, args, kw)
		if err != nil {
			var ae *persist.ArgumentError
			if !errors.As(err, &ae) || !errors.Is(err, persist.ErrBadCall) || !strings.HasPrefix(err.Error(), "baz() ") {
				t.Fatalf("error %T %q is not a baz() *ArgumentError", err, err)
			}
			if key != nil {
				t.Fatalf("key %v with error %v", key, err)
			}
			if !modelErr {
				t.Fatalf("baz(%v, %v): unexpected error %v", args, kw, err)
			}
			return
		}
		if modelErr {
			t.Fatalf("baz(%v, %v) = %v, want an error", args, kw, key)
		}
		var want persist.Key
		for _, name := range bazNames { // already sorted
			v, ok := given[name]
			d, hasDefault := bazDefault[name]
			if ok && (!hasDefault || v != d) {
				want = append(want, persist.Arg{Name: name, Value: v})
			}
		}
		if !reflect.DeepEqual(key, want) && !(len(key) == 0 && len(want) == 0) {
			t.Fatalf("baz(%v, %v) = %v, want %v", args, kw, key, want)
		}
		for j := 1; j < len(key); j++ {
			if key[j-1].Name >= key[j].Name {
				t.Fatalf("key %v is not sorted by unique names", key)
			}
		}
		for _, a := range key {
			if d, ok := bazDefault[a.Name]; ok && a.Value == d {
				t.Fatalf("key %v holds %s at its default", key, a.Name)
			}
		}
	})
}
