package persist

import (
	"encoding"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// What the default pickling can store, decided once per result type at
// Decorate: CBOR brings a value back with its Go type only when the type
// says what every part is. An interface (any, error, fmt.Stringer) would
// come back as CBOR's generic types (an int as a uint64) or not at all; a
// func, chan or complex number cannot be written.

var (
	cborUnmarshaler   = reflect.TypeFor[cbor.Unmarshaler]()
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// unstorable returns the path to the first part of t that the default
// pickling cannot store and bring back, and that part's type; "" when
// every part can be. Unexported fields are not stored, so they do not
// count; types that decode themselves are taken at their word.
func unstorable(t reflect.Type) (string, reflect.Type) {
	return walkType(t, map[reflect.Type]bool{})
}

func walkType(t reflect.Type, seen map[reflect.Type]bool) (string, reflect.Type) {
	if seen[t] || t == timeType || reflect.PointerTo(t).Implements(cborUnmarshaler) || reflect.PointerTo(t).Implements(binaryUnmarshaler) {
		return "", nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return "", t
	case reflect.Pointer, reflect.Slice, reflect.Array:
		if p, bad := walkType(t.Elem(), seen); bad != nil {
			return "[]" + p, bad
		}
	case reflect.Map:
		if p, bad := walkType(t.Key(), seen); bad != nil {
			return "[key]" + p, bad
		}
		if p, bad := walkType(t.Elem(), seen); bad != nil {
			return "[value]" + p, bad
		}
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if p, bad := walkType(f.Type, seen); bad != nil {
				return "." + f.Name + p, bad
			}
		}
	}
	return "", nil
}

// recursive reports whether values of t can refer to themselves: only
// those need a cycle check before pickling, which the CBOR encoder lacks
// (it would overflow the stack).
func recursive(t reflect.Type) bool { return reaches(t, t, map[reflect.Type]bool{}) }

func reaches(from, target reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[from] || from == timeType {
		return false
	}
	seen[from] = true
	var next []reflect.Type
	switch from.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		next = []reflect.Type{from.Elem()}
	case reflect.Map:
		next = []reflect.Type{from.Key(), from.Elem()}
	case reflect.Struct:
		for i := range from.NumField() {
			if from.Field(i).IsExported() {
				next = append(next, from.Field(i).Type)
			}
		}
	}
	for _, n := range next {
		if n == target || reaches(n, target, seen) {
			return true
		}
	}
	return false
}
