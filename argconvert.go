package persist

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"

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
	// runs out, and formatValue until the stack does.
	w := pickleWalk{onPath: map[visit]bool{}, nanOK: true}
	if err := w.walk(av); err != nil {
		return v, argErrorf(s.funcName, "argument '%s': cannot use a %T as %v: %v", name, a, t, err)
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:     v.Addr().Interface(),
		DecodeHook: mapstructure.ComposeDecodeHookFunc(exactNumberHook, mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToTimeHookFunc("2006-01-02T15:04:05.999999999Z07:00")),
	})
	if err == nil {
		err = dec.Decode(a)
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
