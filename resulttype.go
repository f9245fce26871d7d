package persist

import (
	"reflect"
	"strings"
)

// What the default pickling can store, decided once per type at Decorate
// for results and, with StoreKey, for keys: CBOR brings a value back
// exactly, with its Go type, only when the type says what every part is
// and every part is written. An interface (any, error, fmt.Stringer) would
// come back as CBOR's generic types (an int as a uint64) or not at all; a
// func, chan, uintptr or complex number cannot be written; an unexported field, or
// one tagged "-", is not written and comes back as its zero value; a
// pointer to a nil pointer, slice or map comes back as a nil pointer. Types
// that marshal and unmarshal themselves are taken at their word.

// unstorable returns the path to the first part of t that the default
// pickling cannot store and bring back exactly, that part's type and why;
// a nil type when every part can be.
func unstorable(t reflect.Type) (path string, bad reflect.Type, why string) {
	return walkType(t, map[reflect.Type]bool{})
}

// marshalsItself reports whether t writes and reads itself, with CBOR's or
// encoding's binary methods.
func marshalsItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return (t.Implements(cborMarshaler) || p.Implements(cborMarshaler)) && p.Implements(cborUnmarshaler) ||
		(t.Implements(binaryMarshaler) || p.Implements(binaryMarshaler)) && p.Implements(binaryUnmarshaler)
}

func walkType(t reflect.Type, seen map[reflect.Type]bool) (string, reflect.Type, string) {
	if seen[t] || t == timeType || t == bigIntType || marshalsItself(t) {
		return "", nil, ""
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr, reflect.Complex64, reflect.Complex128:
		return "", t, "" // not with its Go type, if at all
	case reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return "", t, "a pointer to a nil " + t.Elem().Kind().String() + " would come back as a nil pointer"
		}
		if p, bad, why := walkType(t.Elem(), seen); bad != nil {
			return "[]" + p, bad, why
		}
	case reflect.Slice, reflect.Array:
		if p, bad, why := walkType(t.Elem(), seen); bad != nil {
			return "[]" + p, bad, why
		}
	case reflect.Map:
		if p, bad, why := walkType(t.Key(), seen); bad != nil {
			return "[key]" + p, bad, why
		}
		if p, bad, why := walkType(t.Elem(), seen); bad != nil {
			return "[value]" + p, bad, why
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if p, bad, why := walkField(t.Field(i), seen); bad != nil {
				return "." + t.Field(i).Name + p, bad, why
			}
		}
	}
	return "", nil, ""
}

func walkField(f reflect.StructField, seen map[reflect.Type]bool) (string, reflect.Type, string) {
	if !f.IsExported() {
		// An embedded unexported struct's exported fields are promoted
		// and written, as encoding/json does.
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			return walkType(f.Type, seen)
		}
		return "", f.Type, "an unexported field is not written and comes back as its zero value, unless the type " +
			"has MarshalBinary and UnmarshalBinary, or MarshalCBOR and UnmarshalCBOR"
	}
	if name, _, _ := strings.Cut(f.Tag.Get("cbor"), ","); name == "-" || f.Tag.Get("cbor") == "" && strings.Split(f.Tag.Get("json"), ",")[0] == "-" {
		return "", f.Type, `a field tagged "-" is not written and comes back as its zero value`
	}
	return walkType(f.Type, seen)
}

// recursive reports whether values of t can refer to themselves: only
// those need a cycle check before pickling, which the CBOR encoder lacks
// (it would overflow the stack). An interface may hold anything.
func recursive(t reflect.Type) bool { return reaches(t, t, map[reflect.Type]bool{}) }

func reaches(from, target reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[from] || from == timeType {
		return false
	}
	seen[from] = true
	var next []reflect.Type
	switch from.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		next = []reflect.Type{from.Elem()}
	case reflect.Map:
		next = []reflect.Type{from.Key(), from.Elem()}
	case reflect.Struct:
		for i := range from.NumField() {
			if from.Field(i).IsExported() || from.Field(i).Anonymous {
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

// unstorableClause says why t cannot be pickled exactly, for messages:
// "which …" or "whose part T (at path) …"; "" when it can be.
func unstorableClause(t reflect.Type) string {
	path, bad, why := unstorable(t)
	if bad == nil {
		return ""
	}
	clause := "which the default pickling cannot bring back"
	if bad != t || path != "" {
		clause = "whose part " + bad.String() + " (at " + elidePath(path) + ") the default pickling cannot bring back"
	}
	if why == "" {
		return clause + " with its Go type"
	}
	return clause + " exactly (" + why + ")"
}

// checkPickling refuses, at Decorate, results and stored keys that the
// default pickling would not bring back exactly: a hit must equal the miss,
// and a stored key the call's.
func (m *Memo) checkPickling() error {
	if !m.hooks.pickle.set() {
		for i, t := range m.results {
			if clause := unstorableClause(t); clause != "" {
				return optErrorf(m.name, "%s returns %v as result %d, %s: give Pickle and Unpickle", m.name, t, i, clause)
			}
		}
	}
	if !m.opts.StoreKey {
		return nil
	}
	if m.hooks.key.set() {
		if clause := unstorableClause(m.hooks.keyType); clause != "" {
			return optErrorf(m.name, "StoreKey: the Key hook of %s returns %v, %s, so the stored key would differ from the call's: return another type, or drop StoreKey",
				m.name, m.hooks.keyType, clause)
		}
		return nil
	}
	for _, i := range m.spec.keyOrder {
		p := &m.spec.params[i]
		if clause := unstorableClause(p.typ); clause != "" {
			return optErrorf(m.name, "StoreKey: %s takes %v as argument '%s', %s, so the stored key would differ from the call's: give a Key hook, or drop StoreKey",
				m.name, p.typ, p.name, clause)
		}
	}
	return nil
}
