package persist

import (
	"encoding/binary"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Type descriptors: what the key encoding writes before a value in an
// interface position, so that values of different types are different
// keys there. A type's identity is its package path and name when it has a
// name (time.Duration is "time.Duration", a Celsius of package main
// "main.Celsius"), and its structure otherwise ([]int, [1]int,
// struct{X int}), built from its parts' identities. Two types with one
// identity are the same type, but for types declared inside two functions
// of one package with the same name, which Go prints alike too.

var typeDescs sync.Map // reflect.Type → []byte: tagType, uvarint length, identity

// typeDesc returns the descriptor written for t, computed once per type.
func typeDesc(t reflect.Type) []byte {
	if d, ok := typeDescs.Load(t); ok {
		return d.([]byte)
	}
	id := typeIdentity(t)
	d := append([]byte{tagType}, binary.AppendUvarint(nil, uint64(len(id)))...)
	d = append(d, id...)
	typeDescs.Store(t, d)
	return d
}

// typeIdentity spells t in Go's syntax, with package paths in full.
func typeIdentity(t reflect.Type) string {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name() // predeclared: int, string, error
		}
		return t.PkgPath() + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeIdentity(t.Elem())
	case reflect.Slice:
		return "[]" + typeIdentity(t.Elem())
	case reflect.Array:
		return "[" + strconv.Itoa(t.Len()) + "]" + typeIdentity(t.Elem())
	case reflect.Map:
		return "map[" + typeIdentity(t.Key()) + "]" + typeIdentity(t.Elem())
	case reflect.Struct:
		var b strings.Builder
		b.WriteString("struct{")
		for i := range t.NumField() {
			f := t.Field(i)
			if i > 0 {
				b.WriteString("; ")
			}
			if !f.IsExported() {
				b.WriteString(f.PkgPath + ".") // unexported names of two packages differ
			}
			b.WriteString(f.Name)
			if f.Anonymous {
				b.WriteString(" embedded")
			}
			b.WriteString(" " + typeIdentity(f.Type))
			if f.Tag != "" {
				b.WriteString(" " + strconv.Quote(string(f.Tag)))
			}
		}
		b.WriteString("}")
		return b.String()
	}
	// Unnamed interfaces, funcs and chans: their values are nil or cannot
	// be keys, so Go's own spelling is precise enough.
	return t.String()
}
