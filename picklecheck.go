package persist

import (
	"fmt"
	"reflect"
	"sync"
)

// The CBOR encoder follows pointers without a cycle check (a value that
// refers to itself overflows the stack, which no recover catches) and
// writes any depth, while the decoder stops at 1024 levels. checkPicklable
// walks the values whose types allow either, before they are encoded; other
// values cost one cached look-up of their type.

var walkTypes sync.Map // reflect.Type → bool: values need the walk

func needsWalk(t reflect.Type) bool {
	if w, ok := walkTypes.Load(t); ok {
		return w.(bool)
	}
	w := recursive(t) || hasFloatKey(t, map[reflect.Type]bool{})
	walkTypes.Store(t, w)
	return w
}

// hasFloatKey reports whether t holds a map with floats in its keys, where
// NaN keys would be folded into one on decoding.
func hasFloatKey(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasFloatKey(t.Elem(), seen)
	case reflect.Map:
		return floatIn(t.Key(), map[reflect.Type]bool{}) || hasFloatKey(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasFloatKey(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// floatIn reports whether a value of t can hold a float.
func floatIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Array:
		return floatIn(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if floatIn(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

func checkPicklable(v any) error {
	if v == nil || !needsWalk(reflect.TypeOf(v)) {
		return nil
	}
	w := pickleWalk{onPath: map[visit]bool{}}
	if err := w.walk(reflect.ValueOf(v)); err != nil {
		return fmt.Errorf("persist: cannot pickle %T: %w", v, err)
	}
	return nil
}

// pickleWalk checks a value for cycles, depth and NaN map keys.
type pickleWalk struct {
	onPath map[visit]bool
	depth  int
	nanOK  bool // NaN map keys are no error: the walk checks an argument, not a pickle
	// unexported walks unexported fields too, as fmt prints them.
	unexported bool
	// fmtPointers follows a pointer at the top only, as fmt prints one
	// (below, fmt prints the address).
	fmtPointers bool
}

type pathError struct {
	path, reason string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.reason
	}
	return "at " + elidePath(e.path) + ": " + e.reason
}

func inPath(err error, seg string) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = seg + pe.path
	}
	return err
}

func (w *pickleWalk) walk(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			return w.walk(v.Elem())
		}
	case reflect.Pointer:
		if v.IsNil() || w.fmtPointers && w.depth > 0 {
			return nil
		}
		return w.ref(v, 0, func() error { return w.walk(v.Elem()) })
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		return w.ref(v, v.Len(), func() error { return w.nested(func() error { return w.elems(v) }) })
	case reflect.Array:
		return w.nested(func() error { return w.elems(v) })
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		return w.ref(v, 0, func() error { return w.nested(func() error { return w.entries(v) }) })
	case reflect.Struct:
		if v.Type() == timeType {
			return nil
		}
		return w.nested(func() error {
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() || f.Anonymous || w.unexported {
					if err := w.walk(v.Field(i)); err != nil {
						return inPath(err, "."+f.Name)
					}
				}
			}
			return nil
		})
	}
	return nil
}

func (w *pickleWalk) elems(v reflect.Value) error {
	for i := range v.Len() {
		if err := w.walk(v.Index(i)); err != nil {
			return inPath(err, fmt.Sprintf("[%d]", i))
		}
	}
	return nil
}

func (w *pickleWalk) entries(v reflect.Value) error {
	for it := v.MapRange(); it.Next(); {
		if !w.nanOK && hasNaN(it.Key()) {
			return &pathError{"[key]", "a NaN map key: decoding keeps one of the NaN keys"}
		}
		if err := w.walk(it.Key()); err != nil {
			return inPath(err, "[key]")
		}
		if err := w.walk(it.Value()); err != nil {
			return inPath(err, "["+keyLabel(it.Key())+"]")
		}
	}
	return nil
}

// hasNaN reports whether a map key holds a NaN.
func hasNaN(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return v.Float() != v.Float()
	case reflect.Interface, reflect.Pointer:
		return !v.IsNil() && hasNaN(v.Elem())
	case reflect.Array:
		for i := range v.Len() {
			if hasNaN(v.Index(i)) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if hasNaN(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// ref walks what a reference refers to, failing if it is on the current
// path: a cycle.
func (w *pickleWalk) ref(v reflect.Value, n int, inner func() error) error {
	return refOnPath(w.onPath, v, n, inner)
}

// refOnPath runs inner, which walks what the reference v (of n elements)
// refers to, with v on the path, unless it is on it already: a cycle.
func refOnPath(onPath map[visit]bool, v reflect.Value, n int, inner func() error) error {
	k := visit{v.Pointer(), v.Type(), n}
	if onPath[k] {
		return &pathError{"", "it refers to itself (a cycle)"}
	}
	onPath[k] = true
	defer delete(onPath, k)
	return inner()
}

// nested counts one level of CBOR nesting.
func (w *pickleWalk) nested(inner func() error) error {
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > maxPickleDepth {
		return &pathError{"", fmt.Sprintf("it is nested more than %d deep", maxPickleDepth)}
	}
	return inner()
}
