package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFingerprintCommand runs persist fingerprint in a small module, as go
// generate would: it writes the registering file, leaves it alone when
// nothing changed, and changes the fingerprint when a helper changes.
func TestFingerprintCommand(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join("internal", "fingerprint", "testdata", "fpsample", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	gomod, err := os.ReadFile(filepath.Join("internal", "fingerprint", "testdata", "fpsample", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod := strings.Replace(string(gomod), "module example.com/fpsample", "module example.com/fpcmd", 1)
	mod = mod[:strings.Index(mod, "replace ")] + "replace github.com/gopersist/persist => " + root + "\n"
	write("go.mod", mod)
	write("go.sum", string(sum))
	const src = `package fpcmd

import "github.com/gopersist/persist"

const scale = 3

func helper(x int) int { return x * scale }

func Triple(x int) int { return helper(x) }

var Memo, _ = persist.Decorate(Triple, persist.Options{Cache: "mem://fpcmd"})
`
	write("fpcmd.go", src)

	type doc struct {
		File      string `json:"file"`
		Functions []struct {
			Name, Fingerprint string
		} `json:"functions"`
		Written bool `json:"written"`
	}
	fingerprint := func() doc {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), binary, "fingerprint", "--json")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		r := collect(t, cmd, dir, "", "running persist fingerprint")
		wantCode(t, r, 0)
		var d doc
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("persist fingerprint --json: %v\n%s", err, r)
		}
		return d
	}
	first := fingerprint()
	if !first.Written || first.File != "fpcmd_persist_fingerprint.go" || len(first.Functions) != 1 ||
		first.Functions[0].Name != "example.com/fpcmd.Triple" || len(first.Functions[0].Fingerprint) != 32 {
		t.Fatalf("first run: %+v", first)
	}
	gen, err := os.ReadFile(filepath.Join(dir, first.File))
	if err != nil || !strings.Contains(string(gen), `persist.RegisterFingerprint("example.com/fpcmd.Triple", "`+first.Functions[0].Fingerprint+`")`) {
		t.Fatalf("generated file: %v\n%s", err, gen)
	}
	if again := fingerprint(); again.Written || again.Functions[0].Fingerprint != first.Functions[0].Fingerprint {
		t.Errorf("second run, nothing changed: %+v, want the file left alone and the same fingerprint", again)
	}
	write("fpcmd.go", strings.Replace(src, "const scale = 3", "const scale = 4", 1))
	if edited := fingerprint(); !edited.Written || edited.Functions[0].Fingerprint == first.Functions[0].Fingerprint {
		t.Errorf("after changing a constant the helper reads: %+v, want a new fingerprint written", edited)
	}
}
