package persist_test

import (
	"fmt"
	"testing"

	"github.com/gopersist/persist"
)

var probeVarCalls int

func probeVar(xs ...int) string { probeVarCalls++; return fmt.Sprintf("%v %v", xs == nil, len(xs)) }

func TestVariadicPaths(t *testing.T) {
	probeVarCalls = 0
	f, m, err := persist.Wrap(probeVar, persist.Options{Cache: memURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := f(); got != "true 0" {
		t.Fatalf("f() = %q", got)
	}
	if got, err := m.Call(); err != nil || got != "true 0" || probeVarCalls != 1 {
		t.Fatalf("Call() = %q, %v after %d computes", got, err, probeVarCalls)
	}
	if got, err := m.CallKW(nil, nil); err != nil || got != "true 0" || probeVarCalls != 1 {
		t.Fatalf("CallKW() = %q, %v after %d computes", got, err, probeVarCalls)
	}
	if ok, err := m.Cache().Contains(persist.KeyOf()); !ok || err != nil {
		t.Fatalf("Contains(KeyOf()) = %v, %v", ok, err)
	}
	if got := f([]int{}...); got != "false 0" {
		t.Fatalf("f([]int{}...) = %q", got)
	}
	if got, err := m.Cache().Get(persist.KeyOf("*arg0", []int{})); err != nil || got != "false 0" {
		t.Fatalf("Get(*arg0: []int{}) = %q, %v", got, err)
	}
	if got, err := m.Cache().Get(persist.KeyOf()); err != nil || got != "true 0" {
		t.Fatalf("Get() = %q, %v", got, err)
	}
	if err := m.Cache().Set(persist.KeyOf("*arg0", []any{}), "set"); err != nil {
		t.Fatal(err)
	}
	if got := f([]int{}...); got != "set" {
		t.Fatalf("f([]int{}...) after Set(*arg0: []any{}) = %q", got)
	}
	if got := f(); got != "true 0" {
		t.Fatalf("f() after Set(*arg0: []any{}) = %q", got)
	}
	if got := f(1, 2); got != "false 2" {
		t.Fatalf("f(1, 2) = %q", got)
	}
	if got, err := m.Call(1, 2); err != nil || got != "false 2" {
		t.Fatalf("Call(1, 2) = %q, %v", got, err)
	}
	if got, err := m.Cache().Get(persist.KeyOf("*arg0", []int{1, 2})); err != nil || got != "false 2" {
		t.Fatalf("Get(*arg0: [1 2]) = %q, %v", got, err)
	}
}
