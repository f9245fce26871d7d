package fingerprint_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

// TestHitsAcrossEdits is the end-to-end check: generate the file,
// build and run a program that memoises Triple; edit Triple's helper,
// regenerate, rebuild and see a miss; reformat it, regenerate, rebuild and
// see a hit.
func TestHitsAcrossEdits(t *testing.T) {
	if !persistRegistersFingerprints(t) {
		t.Skip("the persist package has no RegisterFingerprint yet")
	}
	dir := copySample(t)
	cache := filepath.Join(t.TempDir(), "cache")
	run := func(step, want string) {
		t.Helper()
		if _, err := fingerprint.Write(context.Background(), dir, env); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		bin := filepath.Join(t.TempDir(), "hits")
		build := exec.Command("go", "build", "-o", bin, "./cmd/hits")
		build.Dir = dir
		build.Env = append(os.Environ(), env.Env...)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("%s: go build: %v\n%s", step, err, out)
		}
		out, err := exec.Command(bin, "file://"+cache).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", step, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: got %q, want %q (result, computed)", step, got, want)
		}
	}
	run("first run", "42 1")
	run("second run", "42 0")
	edit(t, filepath.Join(dir, "sample.go"), "return x + offset", "return offset + x")
	run("helper edited", "42 1")
	run("helper edited, second run", "42 0")
	edit(t, filepath.Join(dir, "sample.go"), "\ty := helper(x)\n", "\t// A comment.\n\ty :=   helper( x )\n")
	gofmtAll(t, dir)
	run("reformatted", "42 0")
}

// persistRegistersFingerprints says whether the persist package of this
// repository has RegisterFingerprint.
func persistRegistersFingerprints(t *testing.T) bool {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if src, err := os.ReadFile(f); err == nil && bytes.Contains(src, []byte("\nfunc RegisterFingerprint(")) {
			return true
		}
	}
	return false
}
