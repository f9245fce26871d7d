package fingerprint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/cmd/persist/internal/fingerprint"
)

// benchModule writes a module of n memoised functions in one package,
// spread over files of 50, each calling two others (so that each reaches
// most of the rest), reading a constant, a variable and a helper of a
// second package, and returns the package's directory.
func benchModule(b *testing.B, n int) string {
	b.Helper()
	sample := copySample(b) // for its go.mod and go.sum
	dir := filepath.Join(b.TempDir(), "bench")
	write := func(name, src string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o777); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o666); err != nil {
			b.Fatal(err)
		}
	}
	mod, err := os.ReadFile(filepath.Join(sample, "go.mod"))
	if err != nil {
		b.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(sample, "go.sum"))
	if err != nil {
		b.Fatal(err)
	}
	write("go.mod", strings.Replace(string(mod), "module example.com/fpsample", "module example.com/bench", 1))
	write("go.sum", string(sum))
	write("util/util.go", "package util\n\nconst K = 7\n\nvar Table = []int{1, 2, 3}\n\nfunc Mix(a, b int) int { return a*K + b + Table[a%3] }\n")
	var setup strings.Builder
	setup.WriteString("package bench\n\nimport \"github.com/gopersist/persist\"\n\nfunc Setup() {\n")
	for file := 0; file*50 < n; file++ {
		var src strings.Builder
		src.WriteString("package bench\n\nimport \"example.com/bench/util\"\n\n")
		for i := file * 50; i < min(n, (file+1)*50); i++ {
			fmt.Fprintf(&src, "const c%d = %d\n\n", i, i)
			fmt.Fprintf(&src, "// F%d is one of the memoised functions.\n", i)
			fmt.Fprintf(&src, "func F%d(x int) int {\n\tif x <= 0 {\n\t\treturn c%d\n\t}\n", i, i)
			fmt.Fprintf(&src, "\ty := util.Mix(x, c%d)\n\tfor j := range 3 {\n\t\ty += j * x\n\t}\n", i)
			fmt.Fprintf(&src, "\treturn y + F%d(x-1) - F%d(x/2)\n}\n\n", (i+1)%n, (i*7+3)%n)
			fmt.Fprintf(&setup, "\tpersist.Wrap1(F%d, persist.Options{})\n", i)
		}
		write(fmt.Sprintf("f%d.go", file), src.String())
	}
	setup.WriteString("}\n")
	write("setup.go", setup.String())
	return dir
}

// BenchmarkGenerate200 fingerprints a module of 200 memoised functions.
// Its floor is loading the package alone (go list, parsing and
// type-checking), measured in the same loop: x-floor is Generate's time
// over the load's, and hash-ms the hashing alone.
func BenchmarkGenerate200(b *testing.B) {
	dir := benchModule(b, 200)
	ctx := context.Background()
	res, err := fingerprint.Generate(ctx, dir, env) // warms the build cache
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Funcs) != 200 {
		b.Fatalf("%d funcs", len(res.Funcs))
	}
	var gen, floor, hash time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		prog, err := fingerprint.Load(ctx, dir, env)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := fingerprint.FromProgram(prog, dir, env); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := fingerprint.Generate(ctx, dir, env); err != nil {
			b.Fatal(err)
		}
		floor += t1.Sub(t0)
		hash += t2.Sub(t1)
		gen += time.Since(t2)
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(n) / 1e6 }
	b.ReportMetric(ms(gen), "generate-ms")
	b.ReportMetric(ms(floor), "load-ms")
	b.ReportMetric(ms(hash), "hash-ms")
	b.ReportMetric(float64(gen)/float64(floor), "x-floor")
}
