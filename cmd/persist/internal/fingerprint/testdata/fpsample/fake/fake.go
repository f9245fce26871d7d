// Package fake stands in for persist in the naming test: its Decorate and
// Wrap1 record the name runtime.FuncForPC gives each function value, which
// is the name persist looks fingerprints up by.
package fake

import (
	"reflect"
	"runtime"
)

// Names are the recorded names, in call order.
var Names []string

// Decorate records fn's name.
func Decorate(fn any, opts any) {
	Names = append(Names, runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name())
}

// Wrap1 records fn's name.
func Wrap1[A, R any](fn func(A) R, opts any) { Decorate(fn, opts) }
