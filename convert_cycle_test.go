package persist_test

import (
	"testing"

	"github.com/gopersist/persist"
)

type probeTreeNode struct {
	Name     string
	Parent   *probeTreeNode
	Children []*probeTreeNode
}

type probeParams struct{ Name string }

func probeGreet(p probeParams) string { return "hello " + p.Name }

// A tree node with a parent pointer (a cycle, in a field the parameter's
// type does not have) converts to the parameter as it did: mapstructure
// never follows the field, and the key is made of the converted value.
func TestConvertIgnoresCyclicField(t *testing.T) {
	m, err := persist.Decorate(probeGreet, persist.Options{Cache: memURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	root := &probeTreeNode{Name: "root"}
	child := &probeTreeNode{Name: "leaf", Parent: root}
	root.Children = []*probeTreeNode{child}
	if got, err := m.Call(*child); err != nil || got != "hello leaf" {
		t.Fatalf("Call(node) = %v, %v", got, err)
	}
	in := map[string]any{"Name": "x"}
	in["self"] = in // a key the parameter's struct has no field for
	if got, err := m.Call(in); err != nil || got != "hello x" {
		t.Fatalf("Call(map) = %v, %v", got, err)
	}
}
