package persist_test

import (
	"errors"
	"testing"

	"github.com/gopersist/persist"
)

type probe2KeyName string

// A map with keys of a named string type, for a struct parameter:
// mapstructure looks a field up with a plain string key (MapIndex), which
// reflect refuses with a panic.
func TestConvertNamedStringKeys(t *testing.T) {
	m, err := persist.Decorate(probe2NameOf, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Call panicked: %v", r)
		}
	}()
	got, err := m.Call(map[probe2KeyName]any{"name": "x"})
	var ae *persist.ArgumentError
	if err != nil && !errors.As(err, &ae) {
		t.Fatalf("Call = %v, %v", got, err)
	}
	t.Log(got, err)
}

type ProbeInner struct{ Loop *ProbeOuter }

type ProbeOuter struct {
	ProbeInner
	Name string
}

func probe2OuterName(p ProbeOuter) string { return p.Name }

// A cycle under a key that only a promoted field of a non-squashed
// embedded struct names: mapstructure matches the embedded struct by its
// own name (ProbeInner) and never follows "Loop"; it converted before this
// morning's check.
func TestConvertPromotedFieldNotFollowed(t *testing.T) {
	m, err := persist.Decorate(probe2OuterName, persist.Options{Cache: memURL(t), Verbosity: persist.Silent})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := map[string]any{"Name": "x"}
	in["Loop"] = in
	if got, err := m.Call(in); err != nil || got != "x" {
		t.Fatalf("Call = %v, %v; want x", got, err)
	}
}
