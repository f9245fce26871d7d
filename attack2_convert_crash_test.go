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

func probe2MapArg(p map[string]any) int { return len(p) }

type probe2Node struct {
	Name string
	Next *probe2Node
}

type probe2Key struct {
	Name string
	Next *probe2Key
}

func probe2Keyed(p map[probe2Key]int) int { return len(p) }

type probe2Remain struct {
	Name string
	Rest map[string]probe2Remain `mapstructure:",remain"`
}

func probe2RemainOf(p probe2Remain) string { return p.Name }

// Cyclic arguments along the paths mapstructure takes whatever the target
// type has room for: each converts or is an *ArgumentError, in a child
// process, which a stack overflow would kill, within 30 s.
func TestConvertCyclesMapstructureFollows(t *testing.T) {
	if inChild(t, "TestConvertCyclesMapstructureFollows") {
		return
	}
	debug.SetMaxStack(64 << 20)
	tagged := &probe2TaggedNode{Name: "x"}
	tagged.Parent = tagged
	node := &probe2Node{Name: "x"}
	node.Next = node
	loop := map[string]any{"Name": "x"}
	loop["loop"] = loop
	for _, c := range []struct {
		name string
		fn   any
		arg  any
	}{
		// mapstructure turns a whole source struct into a map first,
		// following pointers to tagged structs.
		{"tagged parent, struct parameter", probe2NameOf, *tagged},
		{"tagged parent, map parameter", probe2MapArg, *tagged},
		// It decodes every key into the target's key type.
		{"cyclic map key", probe2Keyed, map[*probe2Node]int{node: 1}},
		// A key no field names goes to the ",remain" map.
		{"remain", probe2RemainOf, loop},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := persist.Decorate(c.fn, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				got, err := m.Call(c.arg)
				var ae *persist.ArgumentError
				if err != nil && !errors.As(err, &ae) {
					t.Errorf("Call = %v, %v; want a result or an ArgumentError", got, err)
				}
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("still converting after 30 s")
			}
		})
	}
}
