package persist

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Arg is one named argument of a key.
type Arg struct {
	Name  string
	Value any
}

// Key is the default key of a call: its arguments by name, sorted, without
// those equal to their defaults (see ArgTuple). It prints as pypersist's
// tuples do, (('x', 4),). Write one with [KeyOf], names and values in
// turn as in pypersist's tuple, or as a literal with its fields named (go
// vet asks for the names outside tests):
//
//	memo.Cache().Get(persist.KeyOf("x", 4))              // f.cache[(('x', 4),)]
//	memo.Cache().Get(persist.Key{{Name: "x", Value: 4}}) // the same
type Key []Arg

// KeyOf makes a Key of names and values in turn, as pypersist's
// (('a', 10), ('b', 2)) is KeyOf("a", 10, "b", 2). The Cache's methods take
// the pairs in any order, with or without arguments equal to their
// defaults. Like strings.NewReplacer, it panics if a name is missing its
// value or is not a string: a mistake in what stands for a literal.
func KeyOf(namesAndValues ...any) Key {
	if len(namesAndValues)%2 != 0 {
		panic("persist.KeyOf: odd argument count")
	}
	k := make(Key, 0, len(namesAndValues)/2)
	for i := 0; i < len(namesAndValues); i += 2 {
		name, ok := namesAndValues[i].(string)
		if !ok {
			panic(fmt.Sprintf("persist.KeyOf: argument %d is a name, but it is %T, not a string", i, namesAndValues[i]))
		}
		k = append(k, Arg{Name: name, Value: namesAndValues[i+1]})
	}
	return k
}

// String formats k as pypersist prints a key: (('a', 10), ('b', 2)).
func (k Key) String() string { return k.format(0, reprPath{}) }

func (k Key) format(depth int, path reprPath) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("('")
		b.WriteString(a.Name)
		b.WriteString("', ")
		b.WriteString(formatDepth(a.Value, depth+1, path))
		b.WriteByte(')')
	}
	if len(k) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// Repr prints a value as Python's repr would, the way pypersist shows keys:
// strings in single quotes, floats with a decimal point, None, True and
// False, lists in brackets, maps in braces with their items sorted.
func Repr(v any) string { return formatValue(v) }

// maxReprDepth bounds how deep formatValue goes, as Python's repr prints
// [...] for a list that holds itself: a value that refers to itself (an
// argument that cannot be converted, say) must not overflow the stack.
const maxReprDepth = 100

func formatValue(v any) string { return formatDepth(v, 0, reprPath{}) }

// reprPath holds the slices and maps that formatDepth is inside, so that
// one that holds itself prints as [...] or {...}, as Python's repr does,
// once and not once per path to it.
type reprPath map[visit]bool

func formatDepth(v any, depth int, path reprPath) (s string) {
	if depth > maxReprDepth {
		return "..."
	}
	defer func() {
		// A String method that panics (one with a value receiver called
		// on a nil pointer, say) must not turn an error message into a
		// crash; fmt recovers the same way.
		if r := recover(); r != nil {
			s = fmt.Sprintf("<%T: %v>", v, r)
		}
	}()
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "None"
	}
	switch x := v.(type) {
	case nil:
		return "None"
	case Key, *Key:
		k, ok := x.(Key)
		if !ok {
			k = *x.(*Key)
		}
		// A Key is a slice: one that holds itself prints as [...].
		kv := reflect.ValueOf(k)
		vk := visit{kv.Pointer(), kv.Type(), kv.Len()}
		if path[vk] {
			return "[...]"
		}
		path[vk] = true
		defer delete(path, vk)
		return k.format(depth, path)
	case fmt.Stringer:
		return x.String()
	case big.Int:
		return x.String()
	case string:
		return quote(x)
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len()) // a copy: an array may not be addressable
			reflect.Copy(reflect.ValueOf(b), rv)
			return fmt.Sprintf("b%q", b)
		}
		if rv.Kind() == reflect.Slice {
			k := visit{rv.Pointer(), rv.Type(), rv.Len()}
			if path[k] {
				return "[...]"
			}
			path[k] = true
			defer delete(path, k)
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = formatDepth(rv.Index(i).Interface(), depth+1, path)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		k := visit{rv.Pointer(), rv.Type(), 0}
		if path[k] {
			return "{...}"
		}
		path[k] = true
		defer delete(path, k)
		items := make([]string, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			items = append(items, formatDepth(it.Key().Interface(), depth+1, path)+": "+formatDepth(it.Value().Interface(), depth+1, path))
		}
		slices.Sort(items)
		return "{" + strings.Join(items, ", ") + "}"
	case reflect.Float32, reflect.Float64:
		return formatFloat(rv.Float(), rv.Type().Bits())
	case reflect.String:
		return quote(rv.String())
	}
	// fmt follows maps and slices in every field, exported or not, and
	// has no guard against a cycle.
	w := pickleWalk{onPath: map[visit]bool{}, nanOK: true, unexported: true, fmtPointers: true}
	if err := w.walk(rv); err != nil {
		return fmt.Sprintf("<%T: %v>", v, err)
	}
	return fmt.Sprint(v)
}

func quote(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
