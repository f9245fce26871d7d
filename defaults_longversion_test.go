package persist_test

import (
	"strings"
	"testing"

	"github.com/gopersist/persist"
)

func probeScaleBy(x, factor int) int { return x * factor }

// Options.Version may be up to 256 bytes long; a Spec default must not
// make a Version of 240 bytes an OptionsError.
func TestLongVersionWithDefaults(t *testing.T) {
	type spec struct {
		X      int
		Factor int `persist:",default"`
	}
	m, err := persist.Decorate(probeScaleBy, persist.Options{Cache: memURL(t), Version: strings.Repeat("v", 240), Spec: spec{Factor: 2}})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}
