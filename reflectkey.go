package persist

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The canonical key encoding. It starts with the format version
// (KeyFormat). Every value begins with a tag byte naming its kind, so values
// of different kinds never share an encoding: int 1, uint 1, float 1.0, "1"
// and true are different keys. A value in an interface position (the root,
// a Key's argument values, an element of []any, a field of type any) is
// preceded by its dynamic type, so int(1), int64(1) and time.Duration(1), or
// []int{1} and [1]int{1}, are different keys there; where the static type is
// concrete nothing is written for it, which keeps hits cheap. Lengths and
// integers are varints; floats are their IEEE-754 bits, -0 apart from 0,
// with every NaN folded into one NaN (their payloads are not kept); map
// entries are sorted by their encoded key, then value, so every map has one
// encoding; pointers are followed; struct fields are written with their
// names, in declaration order, unexported ones included; a time.Time keeps
// its instant, its offset and its location's name.
//
// The tags and layout below are a storage format: changing them orphans
// every stored result, so a change comes with a new KeyFormat.
// testdata/golden_hashes.txt guards them.
const (
	tagNil     byte = 'N' // nil pointer, interface, slice or map
	tagFalse   byte = 'F'
	tagTrue    byte = 'T'
	tagInt     byte = 'i' // zigzag varint
	tagUint    byte = 'u' // uvarint
	tagFloat   byte = 'f' // 8 bytes, big endian
	tagComplex byte = 'c' // two floats
	tagString  byte = 's' // uvarint length, bytes
	tagBytes   byte = 'b' // []byte and [N]byte: uvarint length, bytes
	tagList    byte = 'l' // slices and arrays: uvarint count, elements
	tagMap     byte = 'm' // uvarint count, sorted (key, value) pairs
	tagStruct  byte = 'r' // uvarint count, (name, value) per field
	tagTime    byte = 't' // time.Time: zigzag varint seconds, uvarint nanoseconds, zigzag varint offset, location name
	tagArgs    byte = 'a' // a Key: uvarint count, (name, value) per argument
	tagType    byte = 'y' // a dynamic type in an interface position: uvarint length, its identity
)

// KeyFormat is the version of the canonical key encoding, its first byte
// and so part of every default hash. Format 1 (persist before KeyFormat)
// wrote no dynamic types and folded -0 into 0 and times into UTC; its
// entries are not found by format 2, so they are recomputed (misses, not
// errors).
const KeyFormat = 2

// maxDepth bounds nesting, as a guard against values too deep to be keys.
const maxDepth = 1000

// encoder appends canonical encodings to buf. It tracks the pointers on the
// current path, to reject cycles.
type encoder struct {
	buf     []byte
	visited map[visit]bool
	depth   int
}

type visit struct {
	ptr uintptr
	typ reflect.Type
	n   int
}

var encoderPool = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 256)} }}

// EncodeKey returns the canonical encoding of a key value: equal keys give
// equal bytes in every process, run, operating system and Go version, and
// two values the function could tell apart give different bytes (but for
// NaN payloads). It fails with an *UnhashableError for values that cannot
// be keys: funcs, channels, unsafe pointers and cyclic values.
func EncodeKey(key any) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	defer e.release()
	if err := e.encodeRoot(key); err != nil {
		return nil, err
	}
	return slices.Clone(e.buf), nil
}

// Hash is the default hash of persist: the SHA-256 of the key's canonical
// encoding (which starts with KeyFormat), in unpadded base64url, 43
// characters as in pypersist. It is always a safe file name.
func Hash(key any) (string, error) {
	e := encoderPool.Get().(*encoder)
	defer e.release()
	if err := e.encodeRoot(key); err != nil {
		return "", err
	}
	sum := sha256.Sum256(e.buf)
	var out [43]byte
	base64.RawURLEncoding.Encode(out[:], sum[:])
	return string(out[:]), nil
}

// sameKey reports whether two keys have one canonical encoding: the one
// notion of key equality, for collision checks, defaults and single flight.
func sameKey(a, b any) bool {
	if equal, ok := scalarSameKey(a, b); ok {
		return equal
	}
	e := encoderPool.Get().(*encoder)
	defer e.release()
	if e.encodeRoot(a) != nil {
		return false
	}
	n := len(e.buf)
	if e.encodeRoot(b) != nil {
		return false
	}
	return bytes.Equal(e.buf[:n], e.buf[n:])
}

// scalarSameKey decides sameKey for the common scalar types without
// encoding; ok is false when it cannot decide.
func scalarSameKey(a, b any) (equal, ok bool) {
	switch x := a.(type) {
	case int:
		y, same := b.(int)
		return same && x == y, true
	case string:
		y, same := b.(string)
		return same && x == y, true
	case bool:
		y, same := b.(bool)
		return same && x == y, true
	case float64:
		y, same := b.(float64)
		return same && floatBits(x) == floatBits(y), true
	}
	return false, false
}

func (e *encoder) release() {
	if cap(e.buf) > 64<<10 {
		return // let an unusually large buffer go
	}
	e.buf = e.buf[:0]
	clear(e.visited)
	e.depth = 0
	encoderPool.Put(e)
}

// Type descriptors of the common dynamic types, written without reflection,
// which keeps the hot path of a memoised call free of it.
var (
	typeInt     = typeDesc(reflect.TypeFor[int]())
	typeInt64   = typeDesc(reflect.TypeFor[int64]())
	typeString  = typeDesc(reflect.TypeFor[string]())
	typeFloat64 = typeDesc(reflect.TypeFor[float64]())
	typeBool    = typeDesc(reflect.TypeFor[bool]())
	typeBytes   = typeDesc(reflect.TypeFor[[]byte]())
)

// encodeAny encodes a value in an interface position: its dynamic type,
// then the value.
func (e *encoder) encodeAny(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, tagNil)
	case Key:
		return e.encodeArgs(x)
	case int:
		e.buf = append(e.buf, typeInt...)
		e.putInt(int64(x))
	case int64:
		e.buf = append(e.buf, typeInt64...)
		e.putInt(x)
	case string:
		e.buf = append(e.buf, typeString...)
		e.putString(tagString, x)
	case float64:
		e.buf = append(e.buf, typeFloat64...)
		e.putFloat(x)
	case bool:
		e.buf = append(e.buf, typeBool...)
		e.putBool(x)
	case []byte:
		e.buf = append(e.buf, typeBytes...)
		if x == nil {
			e.buf = append(e.buf, tagNil)
		} else {
			e.putString(tagBytes, string(x))
		}
	default:
		return e.encodeDynamic(reflect.ValueOf(v))
	}
	return nil
}

// encodeDynamic encodes the value held by an interface: its type, then the
// value. A Key's tag stands for its type.
func (e *encoder) encodeDynamic(v reflect.Value) error {
	if t := v.Type(); t != keyType {
		e.buf = append(e.buf, typeDesc(t)...)
	}
	return e.encode(v)
}

func (e *encoder) encodeArgs(k Key) error {
	// A Key nested in a Key bypasses encode, so it is bounded and checked
	// for cycles here; a Key holding itself would otherwise overflow the
	// stack. The root Key cannot be on a cycle that a nested one does not
	// also close, which keeps the common call free of the check.
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		return &UnhashableError{Type: keyType, Reason: "it is nested too deeply"}
	}
	if e.depth > 1 && len(k) > 0 {
		v := reflect.ValueOf(k)
		if err := e.enter(v, len(k)); err != nil {
			return err
		}
		defer e.leave(v, len(k))
	}
	e.buf = append(e.buf, tagArgs)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(k)))
	for _, a := range k {
		e.putString(tagString, a.Name)
		if err := e.encodeAny(a.Value); err != nil {
			return prependPath(err, "."+a.Name)
		}
	}
	return nil
}

// encodeRoot encodes a whole key. An argument name at the start of a path
// has no dot: arg0.Field[3], where a nested Key gives [0].x or outer.inner.
func (e *encoder) encodeRoot(key any) error {
	e.buf = append(e.buf, KeyFormat)
	err := e.encodeAny(key)
	if _, isKey := key.(Key); isKey && err != nil {
		var u *UnhashableError
		if errors.As(err, &u) {
			u.Path = strings.TrimPrefix(u.Path, ".")
		}
	}
	return err
}

func (e *encoder) putInt(i int64) {
	e.buf = append(e.buf, tagInt)
	e.buf = binary.AppendVarint(e.buf, i)
}

func (e *encoder) putUint(u uint64) {
	e.buf = append(e.buf, tagUint)
	e.buf = binary.AppendUvarint(e.buf, u)
}

func (e *encoder) putBool(b bool) {
	if b {
		e.buf = append(e.buf, tagTrue)
	} else {
		e.buf = append(e.buf, tagFalse)
	}
}

func (e *encoder) putString(tag byte, s string) {
	e.buf = append(e.buf, tag)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) putFloat(f float64) {
	e.buf = append(e.buf, tagFloat)
	e.appendFloatBits(f)
}

func (e *encoder) appendFloatBits(f float64) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, floatBits(f))
}

// floatBits keeps -0 apart from 0 (1/x tells them apart) and folds every
// NaN into one, whatever its payload.
func floatBits(f float64) uint64 {
	if f != f {
		f = math.NaN()
	}
	return math.Float64bits(f)
}

func (e *encoder) encode(v reflect.Value) error {
	if !v.IsValid() {
		e.buf = append(e.buf, tagNil)
		return nil
	}
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		return &UnhashableError{Type: v.Type(), Reason: "it is nested too deeply"}
	}
	if !v.CanInterface() && v.CanAddr() {
		// A value reached through an unexported field: the same value
		// without the read-only flag, so that time.Time's and Key's own
		// methods can read it.
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	t := v.Type()
	if t == timeType {
		tm := timeValue(v)
		_, offset := tm.Zone()
		e.buf = append(e.buf, tagTime)
		e.buf = binary.AppendVarint(e.buf, tm.Unix())
		e.buf = binary.AppendUvarint(e.buf, uint64(tm.Nanosecond()))
		e.buf = binary.AppendVarint(e.buf, int64(offset))
		e.putString(tagString, tm.Location().String())
		return nil
	}
	if t == keyType {
		return e.encodeArgs(keyValue(v))
	}
	switch v.Kind() {
	case reflect.Bool:
		e.putBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.putInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.putUint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.putFloat(v.Float())
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		e.buf = append(e.buf, tagComplex)
		e.appendFloatBits(real(c))
		e.appendFloatBits(imag(c))
	case reflect.String:
		e.putString(tagString, v.String())
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, tagNil)
			return nil
		}
		return e.encodeDynamic(v.Elem())
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return e.encodeRef(v)
	case reflect.Array:
		return e.encodeList(v)
	case reflect.Struct:
		return e.encodeStruct(v)
	default: // Func, Chan, UnsafePointer
		return &UnhashableError{Type: t, Reason: "a " + v.Kind().String() + " cannot be part of a key"}
	}
	return nil
}

// encodeRef encodes what a pointer, slice or map refers to, with nil as
// nil, and fails if the reference is already on the current path: a cycle.
func (e *encoder) encodeRef(v reflect.Value) error {
	if v.IsNil() {
		e.buf = append(e.buf, tagNil)
		return nil
	}
	n := 0
	if v.Kind() == reflect.Slice {
		n = v.Len() // a slice and its prefix share a pointer
	}
	if err := e.enter(v, n); err != nil {
		return err
	}
	defer e.leave(v, n)
	switch v.Kind() {
	case reflect.Pointer:
		return e.encode(v.Elem())
	case reflect.Slice:
		return e.encodeList(v)
	default:
		return e.encodeMap(v)
	}
}

// enter records a reference on the current path and fails on a cycle.
func (e *encoder) enter(v reflect.Value, n int) error {
	if e.visited == nil {
		e.visited = map[visit]bool{}
	}
	k := visit{v.Pointer(), v.Type(), n}
	if e.visited[k] {
		return &UnhashableError{Type: v.Type(), Reason: "it refers to itself (a cycle)"}
	}
	e.visited[k] = true
	return nil
}

func (e *encoder) leave(v reflect.Value, n int) { delete(e.visited, visit{v.Pointer(), v.Type(), n}) }

func (e *encoder) encodeList(v reflect.Value) error {
	n := v.Len()
	if v.Type().Elem().Kind() == reflect.Uint8 {
		e.buf = append(e.buf, tagBytes)
		e.buf = binary.AppendUvarint(e.buf, uint64(n))
		for i := range n {
			e.buf = append(e.buf, byte(v.Index(i).Uint()))
		}
		return nil
	}
	e.buf = append(e.buf, tagList)
	e.buf = binary.AppendUvarint(e.buf, uint64(n))
	for i := range n {
		if err := e.encode(v.Index(i)); err != nil {
			return prependIndex(err, i)
		}
	}
	return nil
}

func (e *encoder) encodeMap(v reflect.Value) error {
	type pair struct{ k, v []byte }
	pairs := make([]pair, 0, v.Len())
	sub := encoder{visited: e.visited, depth: e.depth}
	for it := v.MapRange(); it.Next(); {
		sub.buf = nil
		if err := sub.encode(it.Key()); err != nil {
			return prependPath(err, "[key]")
		}
		k := sub.buf
		sub.buf = nil
		if err := sub.encode(it.Value()); err != nil {
			return prependPath(err, "["+keyLabel(it.Key())+"]")
		}
		pairs = append(pairs, pair{k, sub.buf})
	}
	// Sorted by the whole entry, so that keys that encode alike (NaNs, or
	// pointers to equal values) are ordered by their values: one map, one
	// encoding.
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := bytes.Compare(a.k, b.k); c != 0 {
			return c
		}
		return bytes.Compare(a.v, b.v)
	})
	e.buf = append(e.buf, tagMap)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(pairs)))
	for _, p := range pairs {
		e.buf = append(e.buf, p.k...)
		e.buf = append(e.buf, p.v...)
	}
	return nil
}

func (e *encoder) encodeStruct(v reflect.Value) error {
	if !v.CanAddr() && hasUnexported(v.Type()) {
		// Fields of an unaddressable struct are unaddressable too, and an
		// unexported one could then not be read whole: an addressable copy.
		// v is exported here: a value that is not is addressable.
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	names := structFieldNames(v.Type())
	e.buf = append(e.buf, tagStruct)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(names)))
	for i, name := range names {
		e.putString(tagString, name)
		if err := e.encode(v.Field(i)); err != nil {
			return prependPath(err, "."+name)
		}
	}
	return nil
}

// fieldNames caches struct field names per type, as encoding/json does.
var fieldNames sync.Map // reflect.Type → []string

func structFieldNames(t reflect.Type) []string {
	if n, ok := fieldNames.Load(t); ok {
		return n.([]string)
	}
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Name
	}
	fieldNames.Store(t, names)
	return names
}

var unexportedFields sync.Map // reflect.Type → bool

// hasUnexported reports whether struct type t has an unexported field.
func hasUnexported(t reflect.Type) bool {
	if h, ok := unexportedFields.Load(t); ok {
		return h.(bool)
	}
	h := false
	for i := range t.NumField() {
		h = h || !t.Field(i).IsExported()
	}
	unexportedFields.Store(t, h)
	return h
}

// timeValue reads a time.Time even from an unexported field, where
// Value.Interface is not allowed. time.Time's own methods need the value.
func timeValue(v reflect.Value) time.Time {
	if v.CanInterface() {
		return v.Interface().(time.Time)
	}
	if v.CanAddr() {
		return *(*time.Time)(unsafe.Pointer(v.UnsafeAddr()))
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v) // panics only for unexported non-addressable values, which reflect never hands out here
	return c.Interface().(time.Time)
}

func keyValue(v reflect.Value) Key {
	if v.CanInterface() {
		return v.Interface().(Key)
	}
	return *(*Key)(unsafe.Pointer(v.UnsafeAddr()))
}

func keyLabel(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return `"` + k.String() + `"`
	}
	if k.CanInterface() {
		return formatValue(k.Interface())
	}
	return "?"
}
