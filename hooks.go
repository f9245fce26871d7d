package persist

import (
	"fmt"
	"reflect"
	"strings"
)

// Hooks are Options fields of type any that hold a func. Their shapes are
// checked once, at Decorate, and called through reflection afterwards.

// hook is a checked user function. fn is invalid when the hook is not set.
type hook struct {
	fn      reflect.Value
	withErr bool // its last result is an error
}

func (h hook) set() bool { return h.fn.IsValid() }

// call runs the hook on in and returns its first result.
func (h hook) call(in ...reflect.Value) (reflect.Value, error) {
	var out []reflect.Value
	if h.fn.Type().IsVariadic() {
		out = h.fn.CallSlice(in)
	} else {
		out = h.fn.Call(in)
	}
	if h.withErr {
		if err, _ := out[len(out)-1].Interface().(error); err != nil {
			return reflect.Value{}, err
		}
	}
	return out[0], nil
}

// funcShape checks that f is a func with one result, or one result and an
// error, and returns its type.
func funcShape(f any) (reflect.Type, bool, bool) {
	t := reflect.TypeOf(f)
	if t == nil || t.Kind() != reflect.Func || reflect.ValueOf(f).IsNil() {
		return t, false, false
	}
	switch {
	case t.NumOut() == 1 && t.Out(0) != errorType:
		return t, false, true
	case t.NumOut() == 2 && t.Out(1) == errorType:
		return t, true, true
	}
	return t, false, false
}

func typeList(ts []reflect.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

func funcIn(t reflect.Type) []reflect.Type {
	in := make([]reflect.Type, t.NumIn())
	for i := range in {
		in[i] = t.In(i)
	}
	return in
}

// checkKeyHook checks Key: a func over the same parameters as the memoised
// function, returning the key (and optionally an error).
func checkKeyHook(name string, ft reflect.Type, f any) (hook, reflect.Type, error) {
	t, withErr, ok := funcShape(f)
	want := funcIn(ft)
	if ok && (t.NumIn() != len(want) || t.IsVariadic() != ft.IsVariadic()) {
		ok = false
	}
	for i := 0; ok && i < len(want); i++ {
		ok = t.In(i) == want[i]
	}
	if !ok {
		shape := "(" + typeList(want) + ")"
		if ft.IsVariadic() {
			shape = "(" + typeList(want[:len(want)-1])
			if len(want) > 1 {
				shape += ", "
			}
			shape += "..." + want[len(want)-1].Elem().String() + ")"
		}
		return hook{}, nil, optErrorf(name, "Key for %s must take %s, got %v", name, shape, t)
	}
	return hook{reflect.ValueOf(f), withErr}, t.Out(0), nil
}

// checkInHook checks a hook that takes one value of type arg and returns
// a value of one of the types in outs (optionally with an error).
func checkInHook(name, what string, f any, arg reflect.Type, outs []reflect.Type, wantDesc string) (hook, error) {
	t, withErr, ok := funcShape(f)
	if ok && (t.NumIn() != 1 || t.IsVariadic() || !arg.AssignableTo(t.In(0))) {
		ok = false
	}
	if ok {
		ok = false
		for _, o := range outs {
			if t.Out(0) == o {
				ok = true
			}
		}
	}
	if !ok {
		return hook{}, optErrorf(name, "%s for %s must be %s, got %v", what, name, wantDesc, t)
	}
	return hook{reflect.ValueOf(f), withErr}, nil
}

// checkOutHook checks a hook that takes a string (or []byte, when bytesOK)
// and returns a value assignable to result.
func checkOutHook(name, what string, f any, result reflect.Type, bytesOK bool, wantDesc string) (hook, bool, error) {
	t, withErr, ok := funcShape(f)
	takesBytes := false
	if ok && (t.NumIn() != 1 || t.IsVariadic()) {
		ok = false
	}
	if ok {
		takesBytes = t.In(0) == bytesType
		ok = (t.In(0) == stringType || bytesOK && takesBytes) && t.Out(0).AssignableTo(result)
	}
	if !ok {
		return hook{}, false, optErrorf(name, "%s for %s must be %s, got %v", what, name, wantDesc, t)
	}
	return hook{reflect.ValueOf(f), withErr}, takesBytes, nil
}

// hooks holds the compiled Options hooks of one Memo.
type hooks struct {
	key              hook
	keyType          reflect.Type // Key when the default key is used
	hash, unhash     hook
	pickle, unpickle hook
	unpickleBytes    bool // Unpickle takes []byte rather than string
}

func compileHooks(name string, ft reflect.Type, resultType reflect.Type, o *Options) (*hooks, error) {
	h := &hooks{keyType: keyType}
	var err error
	if o.Key != nil {
		if h.key, h.keyType, err = checkKeyHook(name, ft, o.Key); err != nil {
			return nil, err
		}
	}
	if o.Hash != nil {
		want := fmt.Sprintf("func(%v) string or func(%v) (string, error)", h.keyType, h.keyType)
		if h.hash, err = checkInHook(name, "Hash", o.Hash, h.keyType, []reflect.Type{stringType}, want); err != nil {
			return nil, err
		}
	}
	if o.Unhash != nil {
		want := fmt.Sprintf("func(string) %v or func(string) (%v, error)", h.keyType, h.keyType)
		if h.unhash, _, err = checkOutHook(name, "Unhash", o.Unhash, h.keyType, false, want); err != nil {
			return nil, err
		}
	}
	if o.Pickle != nil {
		want := fmt.Sprintf("func(%v) string or []byte, optionally with an error", resultType)
		if h.pickle, err = checkInHook(name, "Pickle", o.Pickle, resultType, []reflect.Type{stringType, bytesType}, want); err != nil {
			return nil, err
		}
	}
	if o.Unpickle != nil {
		want := fmt.Sprintf("func(string or []byte) %v, optionally with an error", resultType)
		if h.unpickle, h.unpickleBytes, err = checkOutHook(name, "Unpickle", o.Unpickle, resultType, true, want); err != nil {
			return nil, err
		}
	}
	if (o.Pickle == nil) != (o.Unpickle == nil) {
		return nil, optErrorf(name, "Pickle and Unpickle for %s must be set together", name)
	}
	return h, nil
}
