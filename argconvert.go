package persist

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"github.com/go-viper/mapstructure/v2"
)

// convertTo turns an argument into a value of type t: directly when it is
// assignable, else through mapstructure, so that a float64 3 decoded from
// JSON fills an int parameter and a map fills a struct.
func (s *argSpec) convertTo(name string, t reflect.Type, a any) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if a == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
			return v, nil
		}
		return v, argErrorf(s.funcName, "argument '%s': cannot use nil as %v", name, t)
	}
	av := reflect.ValueOf(a)
	if av.Type().AssignableTo(t) {
		v.Set(av)
		return v, nil
	}
	// Numbers are checked here too, for a message without mapstructure's
	// wrapping; the hook still checks numbers nested in maps and structs.
	if _, err := exactNumberHook(av.Type(), t, a); err != nil {
		return v, argErrorf(s.funcName, "argument '%s': cannot use %s (%T) as %v: %v", name, formatValue(a), a, t, err)
	}
	// mapstructure follows a value that refers to itself until memory
	// runs out.
	if err := (convertWalk{onPath: map[visit]bool{}}).walk(av, t); err != nil {
		return v, argErrorf(s.funcName, "argument '%s': cannot use a %T as %v: %v", name, a, t, err)
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:     v.Addr().Interface(),
		DecodeHook: mapstructure.ComposeDecodeHookFunc(exactNumberHook, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToTimeHookFunc("2006-01-02T15:04:05.999999999Z07:00")),
	})
	if err == nil {
		err = decodeArg(dec, a)
	}
	if err != nil {
		// mapstructure names the top-level value '' in its messages.
		msg := strings.TrimPrefix(err.Error(), "'' ")
		return v, argErrorf(s.funcName, "argument '%s': cannot use %s (%T) as %v: %s", name, formatValue(a), a, t, msg)
	}
	return v, nil
}

// exactNumberHook refuses to truncate: 3.0 may fill an int, 3.5 may not, and
// a number must fit its target, whatever its own kind (int, uint, float or
// json.Number, or a pointer to one). mapstructure alone would wrap 200 into
// an int8 as -56, and a float64 2^63 into an int as -2^63.
func exactNumberHook(_, to reflect.Type, data any) (any, error) {
	toInt, toUint := isIntKind(to.Kind()), isUintKind(to.Kind())
	if !toInt && !toUint {
		return data, nil
	}
	v := reflect.Indirect(reflect.ValueOf(data))
	if !v.IsValid() {
		return data, nil
	}
	target := reflect.New(to).Elem()
	switch k := v.Kind(); {
	case isIntKind(k):
		if i := v.Int(); toInt && target.OverflowInt(i) || toUint && (i < 0 || target.OverflowUint(uint64(i))) {
			return nil, fmt.Errorf("%d does not fit %v", i, to)
		}
	case isUintKind(k):
		if u := v.Uint(); toInt && (u > math.MaxInt64 || target.OverflowInt(int64(u))) || toUint && target.OverflowUint(u) {
			return nil, fmt.Errorf("%d does not fit %v", u, to)
		}
	case k == reflect.Float32 || k == reflect.Float64:
		return data, wholeNumberFits(v.Float(), to, target)
	case v.Type() == jsonNumberType:
		// Decoded here, so that "1e3" fills an int as 1000 does.
		n := json.Number(v.String())
		if i, err := n.Int64(); err == nil {
			return exactNumberHook(nil, to, i)
		}
		if f, err := n.Float64(); err == nil {
			return f, wholeNumberFits(f, to, target)
		}
	}
	return data, nil
}

// wholeNumberFits checks a float bound for an integer type. The range is
// checked before converting: converting an out-of-range float to an integer
// is implementation-defined in Go.
func wholeNumberFits(f float64, to reflect.Type, target reflect.Value) error {
	if f != math.Trunc(f) { // NaN too
		return fmt.Errorf("%v is not a whole number", f)
	}
	fits := f >= -(1<<63) && f < 1<<63 && !target.OverflowInt(int64(f))
	if isUintKind(to.Kind()) {
		fits = f >= 0 && f < 1<<64 && !target.OverflowUint(uint64(f))
	}
	if !fits {
		return fmt.Errorf("%v does not fit %v", f, to)
	}
	return nil
}

func isIntKind(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Int64 }

func isUintKind(k reflect.Kind) bool { return k >= reflect.Uint && k <= reflect.Uintptr }

// convertWalk looks for a cycle along the parts of a value that
// mapstructure follows to convert it to a type: the fields and entries the
// type has a place for (by name, in any case, as mapstructure matches
// them), not those it drops, nor what an interface in it takes whole. A
// cycle there it would follow for ever; one elsewhere (a tree whose nodes
// point to their parents, given for a struct of its names) is no matter.
type convertWalk struct {
	onPath map[visit]bool
	depth  int
}

func (w convertWalk) walk(v reflect.Value, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface {
		return nil // assigned whole
	}
	if w.depth++; w.depth > maxDepth {
		return &pathError{"", "it is nested too deeply"}
	}
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			return w.walk(v.Elem(), t)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return w.ref(v, 0, func() error { return w.walk(v.Elem(), t) })
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array || v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		elems := func() error {
			for i := range v.Len() {
				if err := w.walk(v.Index(i), t.Elem()); err != nil {
					return inPath(err, fmt.Sprintf("[%d]", i))
				}
			}
			return nil
		}
		if v.Kind() == reflect.Array {
			return elems()
		}
		return w.ref(v, v.Len(), elems)
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		return w.ref(v, 0, func() error {
			for it := v.MapRange(); it.Next(); {
				if t.Kind() == reflect.Map {
					// mapstructure decodes every key into the key type.
					if err := w.walk(it.Key(), t.Key()); err != nil {
						return inPath(err, "[key]")
					}
				}
				into := entryType(t, it.Key())
				if into == nil {
					continue
				}
				if err := w.walk(it.Value(), into); err != nil {
					return inPath(err, "["+keyLabel(it.Key())+"]")
				}
			}
			return nil
		})
	case reflect.Struct:
		if t.Kind() == reflect.Struct && t != v.Type() || t.Kind() == reflect.Map {
			// mapstructure first turns the whole struct into a map,
			// following every struct in it, whatever t has room for.
			if err := w.toMap(v); err != nil {
				return err
			}
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue // mapstructure reads exported fields only
			}
			into := t
			if !f.Anonymous {
				if into = entryType(t, reflect.ValueOf(f.Name)); into == nil {
					continue
				}
			}
			if err := w.walk(v.Field(i), into); err != nil {
				return inPath(err, "."+f.Name)
			}
		}
	}
	return nil
}

// toMap walks a struct as mapstructure's decodeMapFromStruct does: into
// every exported field that holds a struct, or a pointer to a struct type
// with mapstructure tags (dereferencePtrToStructIfNeeded).
func (w convertWalk) toMap(v reflect.Value) error {
	if w.depth++; w.depth > maxDepth {
		return &pathError{"", "it is nested too deeply"}
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Tag.Get("mapstructure") == "-" {
			continue
		}
		fv := v.Field(i)
		var err error
		switch {
		case fv.Kind() == reflect.Struct:
			err = w.toMap(fv)
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct && hasMapstructureTag(fv.Elem().Type()):
			err = w.ref(fv, 0, func() error { return w.toMap(fv.Elem()) })
		}
		if err != nil {
			return inPath(err, "."+f.Name)
		}
	}
	return nil
}

func hasMapstructureTag(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("mapstructure") != "" {
			return true
		}
	}
	return false
}

// ref walks what a reference refers to, failing if it is on the path.
func (w convertWalk) ref(v reflect.Value, n int, inner func() error) error {
	return refOnPath(w.onPath, v, n, inner)
}

// entryType is the type that the entry named key of a map or struct goes
// into in t, or nil if t has no place for it: a map's elements, or the
// field of a struct whose name (or mapstructure tag) is key in any case.
func entryType(t reflect.Type, key reflect.Value) reflect.Type {
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		for key.Kind() == reflect.Interface && !key.IsNil() {
			key = key.Elem()
		}
		if key.Kind() != reflect.String {
			return nil
		}
		name := key.String()
		var into reflect.Type
		for _, f := range decodedFields(t) {
			tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if f.IsExported() && (strings.EqualFold(f.Name, name) || tag != "" && strings.EqualFold(tag, name)) {
				into = f.Type
				if f.Name == name {
					break
				}
			}
		}
		if into == nil {
			// A key no field names goes to the ",remain" map, if any.
			for _, f := range decodedFields(t) {
				if _, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ","); f.IsExported() && strings.Contains(opts, "remain") && f.Type.Kind() == reflect.Map {
					return f.Type.Elem()
				}
			}
		}
		return into
	}
	return nil
}

// decodedFields are the fields of struct type t that mapstructure fills:
// its own, with those of embedded structs tagged ",squash" in place of
// them. They are found once per type, as encoding/json's field cache.
func decodedFields(t reflect.Type) []reflect.StructField {
	if fs, ok := decodedFieldCache.Load(t); ok {
		return fs.([]reflect.StructField)
	}
	fs := decodedFieldsSeen(t, map[reflect.Type]bool{})
	decodedFieldCache.Store(t, fs)
	return fs
}

var decodedFieldCache sync.Map // reflect.Type → []reflect.StructField

func decodedFieldsSeen(t reflect.Type, seen map[reflect.Type]bool) []reflect.StructField {
	if seen[t] {
		return nil
	}
	seen[t] = true
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if _, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ","); f.Anonymous && ft.Kind() == reflect.Struct && strings.Contains(opts, "squash") {
			out = append(out, decodedFieldsSeen(ft, seen)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// decodeArg is dec.Decode, where a panic of mapstructure (a map whose keys
// are of a named string type panics in reflect) is an error.
func decodeArg(dec *mapstructure.Decoder, a any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return dec.Decode(a)
}
