package persist_test

import (
	"errors"
	"os"
	"os/exec"
	"runtime/debug"
	"testing"

	"github.com/gopersist/persist"
)

type probeCountParams struct{ Name int }

func probeCountOf(p probeCountParams) int { return p.Name }

// An argument that cannot be converted, with a map that holds itself in an
// unexported field (which pickleWalk passes by, as pickling does): the
// message's formatValue prints the struct with fmt, which follows the map
// for ever. Run in a child: the stack overflow ends the process.
func TestConvertErrorUnexportedCycle(t *testing.T) {
	if os.Getenv("REV_CYCLE") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConvertErrorUnexportedCycle$", "-test.count=1")
		cmd.Env = append(os.Environ(), "REV_CYCLE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			if len(out) > 400000 {
				out = out[:400]
			}
			t.Fatalf("a call with an unconvertible argument ended the process: %v\n%s", err, out)
		}
		return
	}
	debug.SetMaxStack(32 << 20) // the same overflow, sooner
	m, err := persist.Decorate(probeCountOf, persist.Options{Cache: memURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	type withCache struct {
		Name string
		memo map[string]any
	}
	a := withCache{Name: "x", memo: map[string]any{}}
	a.memo["self"] = a.memo
	_, err = m.Call(a)
	var ae *persist.ArgumentError
	if !errors.As(err, &ae) {
		t.Fatalf("Call: %v, want an ArgumentError", err)
	}
}
