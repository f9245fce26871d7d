package server

import (
	"path"
	"testing"
)

// FuzzIsCleanPath checks that a path isCleanPath passes is one path.Clean
// leaves as it is, so that canonicalPath's shortcut refuses nothing it
// would have refused, and that the protocol's paths take it.
func FuzzIsCleanPath(f *testing.F) {
	for _, p := range []string{"/", "/persist/f/h", "/persist//f", "/persist/./f", "/persist/../x", "/persist/f/", "persist", "", "/a/.b/..c"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if isCleanPath(p) && path.Clean(p) != p {
			t.Fatalf("isCleanPath(%q), but path.Clean makes it %q", p, path.Clean(p))
		}
	})
}

func TestIsCleanPath(t *testing.T) {
	for _, p := range []string{"/", "/persist/f", "/persist/f/Q2FjaGVk%2Fx", "/healthz", "/persist/.owner/f"} {
		if !isCleanPath(p) {
			t.Errorf("isCleanPath(%q) = false: the protocol's paths should not be cleaned", p)
		}
	}
}
