package persist_test

import (
	"errors"
	"os"
	"os/exec"
	"runtime/debug"
	"testing"
	"time"

	"github.com/gopersist/persist"
)

// inChild runs the test named name again in a child process with
// PERSIST_TEST_CHILD=1 and fails if the child crashes or hangs.
func inChild(t *testing.T, name string) bool {
	if os.Getenv("PERSIST_TEST_CHILD") != "" {
		return false
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "PERSIST_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 1500 {
			out = out[:1500]
		}
		t.Fatalf("child ended with %v:\n%s", err, out)
	}
	return true
}

type probe2TaggedNode struct {
	Name   string            `mapstructure:"name"`
	Parent *probe2TaggedNode `mapstructure:"parent"`
}

type probe2NameOnly struct {
	Name string `mapstructure:"name"`
}

func probe2NameOf(p probe2NameOnly) string { return p.Name }

// A struct whose type has mapstructure tags, with a pointer to itself in a
// field the parameter's struct has no place for: mapstructure turns the
// whole source struct into a map first (decodeMapFromStruct), following
// pointers to tagged structs, whatever the target has.
func TestConvertTaggedParentCycle(t *testing.T) {
	if inChild(t, "TestConvertTaggedParentCycle") {
		return
	}
	debug.SetMaxStack(64 << 20)
	m, err := persist.Decorate(probe2NameOf, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := &probe2TaggedNode{Name: "x"}
	n.Parent = n
	got, err := m.Call(*n)
	var ae *persist.ArgumentError
	if err != nil && !errors.As(err, &ae) {
		t.Fatalf("Call = %v, %v; want a result or an ArgumentError", got, err)
	}
	t.Log(got, err)
}

func probe2MapArg(p map[string]any) int { return len(p) }

// The same node for a map[string]any parameter: convertWalk stops at the
// map's element type (an interface), mapstructure does not.
func TestConvertTaggedToMap(t *testing.T) {
	if inChild(t, "TestConvertTaggedToMap") {
		return
	}
	debug.SetMaxStack(64 << 20)
	m, err := persist.Decorate(probe2MapArg, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := &probe2TaggedNode{Name: "x"}
	n.Parent = n
	got, err := m.Call(*n)
	var ae *persist.ArgumentError
	if err != nil && !errors.As(err, &ae) {
		t.Fatalf("Call = %v, %v; want a result or an ArgumentError", got, err)
	}
	t.Log(got, err)
}

type probe2Node struct {
	Name string
	Next *probe2Node
}

type probe2Key struct {
	Name string
	Next *probe2Key
}

func probe2Keyed(p map[probe2Key]int) int { return len(p) }

// A cycle in a map's key: convertWalk walks the values only; mapstructure
// decodes every key into the target's key type.
func TestConvertCyclicMapKey(t *testing.T) {
	if inChild(t, "TestConvertCyclicMapKey") {
		return
	}
	debug.SetMaxStack(64 << 20)
	m, err := persist.Decorate(probe2Keyed, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := &probe2Node{Name: "x"}
	n.Next = n
	got, err := m.Call(map[*probe2Node]int{n: 1})
	var ae *persist.ArgumentError
	if err != nil && !errors.As(err, &ae) {
		t.Fatalf("Call = %v, %v; want a result or an ArgumentError", got, err)
	}
	t.Log(got, err)
}

type probe2Remain struct {
	Name string
	Rest map[string]probe2Remain `mapstructure:",remain"`
}

func probe2RemainOf(p probe2Remain) string { return p.Name }

// A key the target has no field for goes to its ",remain" map, decoded
// into the map's element type: convertWalk passes such a key by.
func TestConvertRemainCycle(t *testing.T) {
	if inChild(t, "TestConvertRemainCycle") {
		return
	}
	debug.SetMaxStack(64 << 20)
	m, err := persist.Decorate(probe2RemainOf, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := map[string]any{"Name": "x"}
	in["loop"] = in
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, err := m.Call(in)
		var ae *persist.ArgumentError
		if err != nil && !errors.As(err, &ae) {
			t.Errorf("Call = %v, %v; want a result or an ArgumentError", got, err)
		}
		t.Log(got, err)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("still converting after 30 s")
	}
}
