package persist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// KW holds keyword arguments by parameter name, as Python's **kwargs.
type KW map[string]any

// specTag is the struct tag of a spec's fields. Its syntax is documented on
// Options.Spec, where users look for it.
const specTag = "persist"

// param is one compiled parameter.
type param struct {
	name     string
	typ      reflect.Type
	def      any    // default; meaningful when hasDef
	defEnc   []byte // def's key encoding, taken at Decorate: a default the caller's slice backs may change later
	hasDef   bool
	kwOnly   bool
	variadic bool
	ignore   bool // not in the key
	isCtx    bool
}

// keyName is the name the parameter has in keys: variadic surplus is kept
// as "*name", so it sorts first, as in pypersist.
func (p *param) keyName() string {
	if p.variadic {
		return "*" + p.name
	}
	return p.name
}

// argSpec is a function's compiled parameter list.
type argSpec struct {
	funcName   string
	params     []param
	byName     map[string]int
	positional []int // parameters that can be given by position, in order
	keyOrder   []int // parameters in the key, sorted by key name
	ctxIndex   int   // the first context.Context parameter, or -1
}

// fieldTag is a parsed spec tag, cached per struct type.
type fieldTag struct {
	name                             string
	hasDef, kwOnly, variadic, ignore bool
}

var specTags sync.Map // reflect.Type → []fieldTag or error

func parseSpecTags(t reflect.Type) ([]fieldTag, error) {
	if v, ok := specTags.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.([]fieldTag), nil
	}
	tags := make([]fieldTag, t.NumField())
	var err error
	for i := range tags {
		f := t.Field(i)
		if !f.IsExported() {
			err = fmt.Errorf("spec field %s is unexported", f.Name)
			break
		}
		tag := fieldTag{name: lowerFirst(f.Name)}
		parts := strings.Split(f.Tag.Get(specTag), ",")
		if parts[0] != "" {
			tag.name = parts[0]
		}
		for _, opt := range parts[1:] {
			switch strings.TrimSpace(opt) {
			case "default":
				tag.hasDef = true
			case "kwonly":
				tag.kwOnly = true
			case "variadic":
				tag.variadic = true
			case "ignore":
				tag.ignore = true
			case "":
			default:
				err = fmt.Errorf("spec field %s: unknown tag option %q (want default, kwonly, variadic or ignore)", f.Name, opt)
			}
		}
		tags[i] = tag
	}
	if err != nil {
		specTags.Store(t, err)
		return nil, err
	}
	specTags.Store(t, tags)
	return tags, nil
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// compileSpec checks spec against the function type ft and compiles it. A
// nil spec names the parameters arg0, arg1, … with no defaults.
func compileSpec(funcName string, ft reflect.Type, spec any) (*argSpec, error) {
	n := ft.NumIn()
	s := &argSpec{funcName: funcName, params: make([]param, n), byName: make(map[string]int, n), ctxIndex: -1}
	var sv reflect.Value
	var tags []fieldTag
	if spec != nil {
		sv = reflect.ValueOf(spec)
		if sv.Kind() == reflect.Pointer && !sv.IsNil() {
			sv = sv.Elem()
		}
		if sv.Kind() != reflect.Struct {
			return nil, optErrorf(funcName, "Spec for %s must be a struct, got %T", funcName, spec)
		}
		if sv.NumField() != n {
			return nil, optErrorf(funcName, "Spec for %s has %d %s but %s takes %d %s", funcName, sv.NumField(), plural(sv.NumField(), "field"), ft, n, plural(n, "parameter"))
		}
		var err error
		if tags, err = parseSpecTags(sv.Type()); err != nil {
			return nil, optErrorf(funcName, "Spec for %s: %v", funcName, err)
		}
	}
	for i := range n {
		p := param{name: "arg" + strconv.Itoa(i), typ: ft.In(i)}
		p.isCtx = p.typ == ctxType
		p.variadic = ft.IsVariadic() && i == n-1
		if tags != nil {
			f, tag := sv.Type().Field(i), tags[i]
			if f.Type != p.typ {
				return nil, optErrorf(funcName, "Spec field %s for %s is %v, but parameter %d is %v", f.Name, funcName, f.Type, i, p.typ)
			}
			if tag.variadic && !p.variadic {
				return nil, optErrorf(funcName, "Spec field %s for %s is variadic, but parameter %d of %v is not", f.Name, funcName, i, ft)
			}
			p.name, p.hasDef, p.kwOnly, p.ignore = tag.name, tag.hasDef, tag.kwOnly, tag.ignore
			if p.hasDef {
				if p.variadic {
					return nil, optErrorf(funcName, "Spec field %s for %s: a variadic parameter cannot have a default", f.Name, funcName)
				}
				p.def = sv.Field(i).Interface()
				p.defEnc, _ = EncodeKey(p.def) // nil if it cannot be a key: no argument is then its default
			}
			if p.variadic && p.kwOnly {
				return nil, optErrorf(funcName, "Spec field %s for %s: a variadic parameter cannot be keyword-only", f.Name, funcName)
			}
		}
		if p.isCtx {
			if s.ctxIndex < 0 {
				s.ctxIndex = i
			}
			p.ignore = true
			if !p.hasDef {
				p.hasDef, p.def = true, context.Background()
			}
		}
		if strings.HasPrefix(p.name, "*") {
			// "*rest" is the variadic rest's name in keys (keyName).
			return nil, optErrorf(funcName, "Spec for %s names parameter %d %q: a name in keys cannot begin with '*', which marks the variadic parameter", funcName, i, p.name)
		}
		if _, dup := s.byName[p.name]; dup {
			return nil, optErrorf(funcName, "Spec for %s names two parameters %q", funcName, p.name)
		}
		s.byName[p.name] = i
		s.params[i] = p
		if !p.kwOnly && !p.variadic {
			s.positional = append(s.positional, i)
		}
		if !p.ignore {
			s.keyOrder = append(s.keyOrder, i)
		}
	}
	slices.SortFunc(s.keyOrder, func(a, b int) int {
		return strings.Compare(s.params[a].keyName(), s.params[b].keyName())
	})
	return s, nil
}

// key builds the default key from bound arguments: names, defaults elided,
// sorted by name (keyOrder is sorted already). It is the one normalisation
// of keys: calls give every argument; Cache methods give those the key
// names and leave the others invalid, which are then left out.
func (s *argSpec) key(in []reflect.Value) Key {
	return s.appendKey(make(Key, 0, len(s.keyOrder)), in)
}

// appendKey is key appending to k, which may be on the caller's stack.
func (s *argSpec) appendKey(k Key, in []reflect.Value) Key {
	for _, i := range s.keyOrder {
		p := &s.params[i]
		v := in[i]
		switch {
		case !v.IsValid():
		case p.variadic:
			// f() passes nil, f(s...) passes s: a function tells an empty
			// s apart from nil, so only nil is left out.
			if !v.IsNil() {
				k = append(k, Arg{p.keyName(), v.Interface()})
			}
		default:
			if val := v.Interface(); !p.isDefault(val) {
				k = append(k, Arg{p.name, val})
			}
		}
	}
	return k
}

// isDefault reports whether an argument equals the parameter's default
// under the key encoding, the one notion of key equality.
func (p *param) isDefault(val any) bool {
	if !p.hasDef {
		return false
	}
	if equal, ok := scalarSameKey(val, p.def); ok {
		return equal // immutable: still the default of Decorate
	}
	if p.defEnc == nil {
		return false
	}
	return encodesAs(val, p.defEnc)
}

// encodesAs reports whether v's canonical encoding is enc, in a pooled
// buffer: a call that gives a default costs no allocation for it.
func encodesAs(v any, enc []byte) bool {
	e := encoderPool.Get().(*encoder)
	defer e.release()
	return e.encodeRoot(v) == nil && bytes.Equal(e.buf, enc)
}

// defaultsDigest is the first 8 bytes of a SHA-256 of the defaults that
// keys leave out, each name and encoding with its length; "" when there
// are none. It is in the stamp of every result (Stamp): an entry stored
// under other defaults is a miss, since a key without the argument meant
// another value then.
func (s *argSpec) defaultsDigest() string {
	h := sha256.New()
	n := 0
	for _, i := range s.keyOrder {
		if p := &s.params[i]; p.hasDef {
			n++
			name := p.keyName()
			h.Write(binary.AppendUvarint(nil, uint64(len(name))))
			h.Write([]byte(name))
			h.Write(binary.AppendUvarint(nil, uint64(len(p.defEnc))))
			h.Write(p.defEnc)
		}
	}
	if n == 0 {
		return ""
	}
	return string(h.Sum(nil)[:8])
}

// bind matches positional and keyword arguments to the parameters, as
// Python does, converts them to the parameters' types, and fills in
// defaults. The variadic parameter, if any, receives the surplus positional
// arguments as a slice.
func (s *argSpec) bind(args []any, kw KW) ([]reflect.Value, error) {
	in := make([]reflect.Value, len(s.params))
	nPos := min(len(args), len(s.positional))
	if len(args) > len(s.positional) && !s.isVariadic() {
		return nil, s.tooManyPositional(len(args), kw)
	}
	for j := range nPos {
		i := s.positional[j]
		v, err := s.convert(&s.params[i], args[j])
		if err != nil {
			return nil, err
		}
		in[i] = v
	}
	if s.isVariadic() {
		i := len(s.params) - 1
		p := &s.params[i]
		extra := args[nPos:]
		sl := reflect.Zero(p.typ) // nil, as f() passes it
		if len(extra) > 0 {
			sl = reflect.MakeSlice(p.typ, len(extra), len(extra))
		}
		for j, a := range extra {
			v, err := s.convertTo(p.name, p.typ.Elem(), a)
			if err != nil {
				return nil, err
			}
			sl.Index(j).Set(v)
		}
		in[i] = sl
	}
	names := make([]string, 0, len(kw))
	for name := range kw {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic errors
	for _, name := range names {
		i, ok := s.byName[name]
		if !ok || s.params[i].variadic {
			return nil, argErrorf(s.funcName, "got an unexpected keyword argument '%s'", name)
		}
		if in[i].IsValid() {
			return nil, argErrorf(s.funcName, "got multiple values for argument '%s'", name)
		}
		v, err := s.convert(&s.params[i], kw[name])
		if err != nil {
			return nil, err
		}
		in[i] = v
	}
	var missingPos, missingKW []string
	for i := range s.params {
		p := &s.params[i]
		if in[i].IsValid() {
			continue
		}
		if p.hasDef {
			in[i] = reflect.New(p.typ).Elem()
			if p.def != nil {
				in[i].Set(reflect.ValueOf(p.def))
			}
			continue
		}
		if p.kwOnly {
			missingKW = append(missingKW, p.name)
		} else {
			missingPos = append(missingPos, p.name)
		}
	}
	if len(missingPos) > 0 {
		return nil, s.missing(missingPos, "positional")
	}
	if len(missingKW) > 0 {
		return nil, s.missing(missingKW, "keyword-only")
	}
	return in, nil
}

func (s *argSpec) isVariadic() bool {
	return len(s.params) > 0 && s.params[len(s.params)-1].variadic
}

// tooManyPositional formats Python's message, which also counts the
// keyword-only arguments given: takes 1 positional argument but 2
// positional arguments (and 1 keyword-only argument) were given.
func (s *argSpec) tooManyPositional(given int, kw KW) error {
	kwOnlyGiven := 0
	for name := range kw {
		if i, ok := s.byName[name]; ok && s.params[i].kwOnly {
			kwOnlyGiven++
		}
	}
	most, least := len(s.positional), 0
	for _, i := range s.positional {
		if !s.params[i].hasDef {
			least++
		}
	}
	takes := strconv.Itoa(most)
	if least != most {
		takes = fmt.Sprintf("from %d to %d", least, most)
	}
	noun := "arguments"
	if most == 1 {
		noun = "argument"
	}
	if kwOnlyGiven == 0 {
		verb := "were"
		if given == 1 {
			verb = "was"
		}
		return argErrorf(s.funcName, "takes %s positional %s but %d %s given", takes, noun, given, verb)
	}
	return argErrorf(s.funcName, "takes %s positional %s but %d positional %s (and %d keyword-only %s) were given",
		takes, noun, given, plural(given, "argument"), kwOnlyGiven, plural(kwOnlyGiven, "argument"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// missing formats Python's message: missing 2 required positional
// arguments: 'a' and 'b', or, for three and more, 'a', 'b', and 'c'.
func (s *argSpec) missing(names []string, kind string) error {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	list := quoted[0]
	switch len(quoted) {
	case 1:
	case 2:
		list = quoted[0] + " and " + quoted[1]
	default:
		list = strings.Join(quoted[:len(quoted)-1], ", ") + ", and " + quoted[len(quoted)-1]
	}
	noun := "argument"
	if len(names) > 1 {
		noun = "arguments"
	}
	return argErrorf(s.funcName, "missing %d required %s %s: %s", len(names), kind, noun, list)
}

func (s *argSpec) convert(p *param, a any) (reflect.Value, error) {
	return s.convertTo(p.name, p.typ, a)
}

// ArgTuple returns the default key of the call name(args..., kw...) of a
// function whose parameters spec describes, a struct as Options.Spec is
// (which documents its fields and tags), with pypersist's arg_tuple
// semantics: positional arguments become named; an
// argument equal to its default is dropped; pairs are sorted by name; the
// surplus positional arguments of a variadic function are kept as one list
// under "*" and its name. Errors are *ArgumentError with Python's messages.
func ArgTuple(name string, spec any, args []any, kw KW) (Key, error) {
	t, err := specFuncType(spec)
	if err != nil {
		return nil, optErrorf(name, "%v", err)
	}
	s, err := compileSpec(name, t, spec)
	if err != nil {
		return nil, err
	}
	in, err := s.bind(args, kw)
	if err != nil {
		return nil, err
	}
	return s.key(in), nil
}

// specFuncType makes the function type that a spec struct describes.
func specFuncType(spec any) (reflect.Type, error) {
	t := reflect.TypeOf(spec)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("spec must be a struct, got %T", spec)
	}
	tags, err := parseSpecTags(t)
	if err != nil {
		return nil, err
	}
	in := make([]reflect.Type, t.NumField())
	variadic := false
	for i := range in {
		in[i] = t.Field(i).Type
		if tags[i].variadic {
			if i != len(in)-1 || in[i].Kind() != reflect.Slice {
				return nil, fmt.Errorf("spec field %s: only the last field, a slice, can be variadic", t.Field(i).Name)
			}
			variadic = true
		}
	}
	return reflect.FuncOf(in, nil, variadic), nil
}
