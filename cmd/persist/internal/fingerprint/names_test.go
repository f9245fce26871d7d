package fingerprint_test

import (
	"go/types"
	"testing"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

func TestSymbolPrefix(t *testing.T) {
	tests := []struct{ path, name, want string }{
		{"example.com/m/pkg", "pkg", "example.com/m/pkg"},
		{"example.com/x.y/a.b", "ab", "example.com/x.y/a%2eb"},
		{"gopkg.in/yaml.v3", "yaml", "gopkg.in/yaml%2ev3"},
		{"example.com/m/cmd/tool", "main", "main"},
		{"example.com/100%", "p", "example.com/100%25"},
		{"fmt", "fmt", "fmt"},
	}
	for _, tt := range tests {
		if got := fingerprint.SymbolPrefix(types.NewPackage(tt.path, tt.name)); got != tt.want {
			t.Errorf("symbolPrefix(%s) = %s, want %s", tt.path, got, tt.want)
		}
	}
}
