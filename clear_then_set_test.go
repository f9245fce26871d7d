package persist_test

import (
	"testing"

	"github.com/gopersist/persist"
)

func TestClearThenSet(t *testing.T) {
	for _, url := range []string{memURL(t), t.TempDir()} {
		m, err := persist.Decorate(probeSquare, persist.Options{Cache: url, StoreKey: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Call(3); err != nil {
			t.Fatal(err)
		}
		if err := m.Clear(); err != nil {
			t.Fatal(err)
		}
		if err := m.Cache().Set(persist.KeyOf("arg0", 3), 10); err != nil {
			t.Fatalf("%s: Set after Clear: %v", url, err)
		}
		if got, err := m.Call(3); err != nil || got != 10 {
			t.Fatalf("%s: Call(3) after Set = %v, %v", url, got, err)
		}
		if err := m.Clear(); err != nil {
			t.Fatal(err)
		}
		for k, err := range m.Cache().Keys() {
			t.Fatalf("%s: Keys after Clear: %v, %v", url, k, err)
		}
		if n, err := m.Cache().Len(); n != 0 || err != nil {
			t.Fatalf("Len %d %v", n, err)
		}
		m.Close()
	}
}
