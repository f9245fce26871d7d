package fingerprint_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

// env keeps go list to the copied module, as it is: the modules it needs
// are downloaded if the module cache lacks them (the workspace may have
// selected other versions than the sample's), but go.mod never changes.
var env = fingerprint.Options{Env: []string{"GOWORK=off", "GOFLAGS=-mod=readonly"}}

// copySample copies testdata/fpsample into a temporary directory, with its
// persist requirement pointed at this repository by an absolute path, and
// returns the copy's directory.
func copySample(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "fpsample")
	src := filepath.Join("testdata", "fpsample")
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "go.mod" {
			data = regexp.MustCompile(`(?m)^replace github.com/gopersist/persist => .*$`).
				ReplaceAll(data, []byte("replace github.com/gopersist/persist => "+root))
		}
		return os.WriteFile(target, data, 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old by new in the file, which must hold old exactly once.
func edit(t testing.TB, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", file, old, n)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o666); err != nil {
		t.Fatal(err)
	}
}

func fingerprints(t testing.TB, dir string) map[string]string {
	t.Helper()
	fps, err := fingerprint.Fingerprints(context.Background(), dir, env)
	if err != nil {
		t.Fatal(err)
	}
	return fps
}
