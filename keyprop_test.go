package persist_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// The key-distinctness property: for values a and b in an interface
// position, EncodeKey(a) == EncodeKey(b) exactly when they print alike,
// where printing shows every type, follows pointers and shows a time with
// its zone (a finer %#v that does not print addresses). So two calls the
// function could tell apart never share a key, and equal calls always do.

type (
	propCelsius float64
	propInt     int
	propPoint   struct{ X, Y int }
	propPair    struct{ X, Y int }
	propHidden  struct {
		N int
		s string
	}
	propNode struct {
		V    any
		Next *propNode
	}
)

var propZones = []*time.Location{
	time.UTC,
	time.FixedZone("EST", -5*3600),
	time.FixedZone("", -5*3600),
	time.FixedZone("EST", -4*3600),
	time.FixedZone("UTC", 0),
}

// propGen builds values from fuzzed bytes, from a menu of types.
type propGen struct {
	data  []byte
	depth int
}

func (g *propGen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *propGen) u64() uint64 {
	var b [8]byte
	n := int(g.byte() % 9) // short numbers are common
	for i := range n {
		b[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

func (g *propGen) str() string {
	n := int(g.byte() % 4)
	var s []byte
	for range n {
		s = append(s, "ab\x00é"[g.byte()%5%4])
	}
	return string(s)
}

func (g *propGen) float() float64 {
	switch g.byte() % 8 {
	case 0:
		return math.Copysign(0, -1)
	case 1:
		return math.NaN()
	case 2:
		return math.Float64frombits(0x7ff8000000000001)
	case 3:
		return math.Inf(int(g.byte()%2)*2 - 1)
	case 4:
		return 0
	}
	return float64(int8(g.byte())) / 4
}

func (g *propGen) value() any {
	g.depth++
	defer func() { g.depth-- }()
	u := g.u64()
	kind := g.byte() % 36
	if g.depth > 4 && kind >= 20 {
		kind %= 20 // no deeper containers
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return int(int8(u))
	case 2:
		return int8(u)
	case 3:
		return int16(u)
	case 4:
		return int32(u)
	case 5:
		return int64(int8(u))
	case 6:
		return uint(uint8(u))
	case 7:
		return uint8(u)
	case 8:
		return uint16(u)
	case 9:
		return uint32(u)
	case 10:
		return uint64(uint8(u))
	case 11:
		return uintptr(uint8(u))
	case 12:
		return float32(g.float())
	case 13:
		return g.float()
	case 14:
		return propCelsius(g.float())
	case 15:
		return g.str()
	case 16:
		return []byte(g.str())
	case 17:
		return time.Duration(int8(u))
	case 18:
		return time.Unix(int64(u%4), int64(u%3)).In(propZones[g.byte()%byte(len(propZones))])
	case 19:
		return propInt(int8(u))
	case 20:
		return []int{int(int8(u)), int(int8(u >> 8))}[:u%3%2+1]
	case 21:
		return [1]int{int(int8(u))}
	case 22:
		return [2]byte{byte(u), byte(u >> 8)}
	case 23:
		return []any{g.value(), g.value()}[:u%3]
	case 24:
		return [1]any{g.value()}
	case 25:
		m := map[any]any{}
		for range u % 3 {
			m[g.key()] = g.value()
		}
		return m
	case 26:
		return map[float64]int{g.float(): int(u % 2), g.float(): int(u % 3)}
	case 27:
		return map[string]int{g.str(): int(u % 2)}
	case 28:
		return propPoint{int(int8(u)), int(int8(u >> 8))}
	case 29:
		return propPair{int(int8(u)), int(int8(u >> 8))}
	case 30:
		return struct{ X, Y int }{int(int8(u)), int(int8(u >> 8))}
	case 31:
		return propHidden{int(u % 2), g.str()}
	case 32:
		x := int(int8(u))
		return &x
	case 33:
		return &propPoint{int(u % 2), 0}
	case 34:
		return propNode{V: g.value(), Next: &propNode{V: g.value()}}
	}
	var p *int
	return p
}

// key returns a comparable value for a map[any]any key.
func (g *propGen) key() any {
	for range 4 {
		v := g.value()
		if v == nil || reflect.TypeOf(v).Comparable() && !hasMapOrSlice(reflect.TypeOf(v)) {
			return v
		}
	}
	return g.str()
}

func hasMapOrSlice(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Func, reflect.Interface: // an interface may hold a slice
		return true
	case reflect.Array, reflect.Pointer:
		return hasMapOrSlice(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasMapOrSlice(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// show prints a value as finely as the function could observe it.
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	t := v.Type().String()
	if v.Type() == reflect.TypeFor[time.Time]() {
		tm := reflect.NewAt(v.Type(), addressable(v).Addr().UnsafePointer()).Elem().Interface().(time.Time)
		return t + "(" + tm.Format(time.RFC3339Nano) + " " + tm.Location().String() + ")"
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return t + "(nil)"
		}
		return t + "(" + show(v.Elem()) + ")"
	case reflect.Pointer:
		if v.IsNil() {
			return t + "(nil)"
		}
		return t + "(&" + show(v.Elem()) + ")"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return t + "(" + strconv.FormatInt(v.Int(), 10) + ")"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return t + "(" + strconv.FormatUint(v.Uint(), 10) + ")"
	case reflect.Float32, reflect.Float64:
		return t + "(" + strconv.FormatFloat(v.Float(), 'g', -1, 64) + ")"
	case reflect.String:
		return t + "(" + strconv.Quote(v.String()) + ")"
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return t + "(nil)"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = show(v.Index(i))
		}
		return t + "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		if v.IsNil() {
			return t + "(nil)"
		}
		var parts []string
		for it := v.MapRange(); it.Next(); {
			parts = append(parts, show(it.Key())+": "+show(it.Value()))
		}
		slices.Sort(parts)
		return t + "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		parts := make([]string, v.NumField())
		for i := range parts {
			parts[i] = v.Type().Field(i).Name + ": " + show(v.Field(i))
		}
		return t + "{" + strings.Join(parts, ", ") + "}"
	}
	return t + "(?)"
}

func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return c
}

func FuzzKeyDistinct(f *testing.F) {
	f.Add([]byte{1, 1, 0, 5}, []byte{1, 1, 0, 5})
	f.Add([]byte{1, 1, 0, 1}, []byte{1, 1, 0, 17})
	f.Add([]byte{0, 13, 0, 0, 13, 4}, []byte{0, 13, 0, 4, 13, 4})
	f.Add([]byte{0, 20, 1, 1}, []byte{0, 21, 1, 1})
	f.Add([]byte{0, 25, 0, 1, 0, 1, 0, 5, 0, 1}, []byte{0, 25, 0, 1, 0, 5, 0, 1, 0, 1})
	f.Add([]byte{0, 18, 1}, []byte{0, 18, 2})
	f.Add([]byte{0, 26, 1, 1}, []byte{0, 26, 1, 2})
	f.Fuzz(func(t *testing.T, da, db []byte) {
		a := (&propGen{data: da}).value()
		b := (&propGen{data: db}).value()
		again := (&propGen{data: da}).value() // a deep copy of a
		ea, eb := mustEncode(t, a), mustEncode(t, b)
		sa, sb := show(reflect.ValueOf(&a).Elem()), show(reflect.ValueOf(&b).Elem())
		if !bytes.Equal(ea, mustEncode(t, again)) {
			t.Fatalf("%s: a copy encodes differently", sa)
		}
		if bytes.Equal(ea, eb) != (sa == sb) {
			t.Fatalf("EncodeKey equal: %v, printed equal: %v\na: %s\nb: %s", bytes.Equal(ea, eb), sa == sb, sa, sb)
		}
		ka, kb := persist.Key{{"x", a}}, persist.Key{{"x", b}}
		if bytes.Equal(mustEncode(t, ka), mustEncode(t, kb)) != (sa == sb) {
			t.Fatalf("in a Key, encoding and printing disagree\na: %s\nb: %s", sa, sb)
		}
	})
}
