package fingerprint_test

import (
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	triple    = "example.com/fpsample.Triple"
	price     = "example.com/fpsample.Pricer.Price-fm"
	bump      = "example.com/fpsample.(*Pricer).Bump"
	isEven    = "example.com/fpsample.IsEven"
	isOdd     = "example.com/fpsample.IsOdd"
	totalArea = "example.com/fpsample.TotalArea"
	itoa      = "example.com/fpsample.Itoa"
	gen       = "example.com/fpsample.Gen[...]"
	square    = "example.com/fpsample.Square"
	cube      = "example.com/fpsample.Cube"
)

// sampleFuncs are the functions the sample memoises by name.
var sampleFuncs = []string{bump, cube, gen, isEven, isOdd, itoa, price, square, totalArea, triple}

type change struct{ file, old, new string }

// TestEdits edits the sample and checks exactly which fingerprints change:
// those listed in changed, and no other.
func TestEdits(t *testing.T) {
	const sample, calc = "sample.go", "calc/calc.go"
	tests := []struct {
		name    string
		edits   []change
		gofmt   bool // gofmt every file after the edits
		changed []string
	}{
		{name: "helper's body", edits: []change{{sample, "return x + offset", "return x + offset + 1"}}, changed: []string{triple}},
		{name: "constant it reads", edits: []change{{sample, "const offset = 10", "const offset = 11"}}, changed: []string{triple}},
		{name: "constant respelled, same value", edits: []change{{sample, "const offset = 10", "const offset = 0xA"}}},
		{name: "constant of another package", edits: []change{{calc, "const Rate = 3", "const Rate = 4"}}, changed: []string{price}},
		{name: "constant nothing reads", edits: []change{{calc, "const Unused = 7", "const Unused = 8"}}},
		{name: "unrelated function", edits: []change{{sample, "return x - 1", "return x - 2"}}},
		{name: "operator", edits: []change{{sample, "return 3 * y", "return 3 + y"}}, changed: []string{triple}},
		{name: "comments", edits: []change{
			{sample, "\ty := helper(x)\n", "\t// The helper adds the offset.\n\ty := helper(x) /* here */\n"},
			{sample, "func helper(x int) int {\n", "// helper is commented now.\nfunc helper(x int) int { // really\n"},
		}},
		{name: "locals and parameters renamed", edits: []change{
			{sample, "func Triple(x int) int {\n\tComputed++\n\ty := helper(x)\n\treturn 3 * y", "func Triple(n int) int {\n\tComputed++\n\ttripled := helper(n)\n\treturn 3 * tripled"},
			{sample, "\ttotal := 0\n\tfor _, s := range shapes {\n\t\ttotal += s.Area()\n\t}\n\treturn total", "\tsum := 0\n\tfor _, shape := range shapes {\n\t\tsum += shape.Area()\n\t}\n\treturn sum"},
		}},
		{name: "locals swapped", edits: []change{
			{sample, "func Triple(x int) int {\n\tComputed++\n\ty := helper(x)\n\treturn 3 * y", "func Triple(y int) int {\n\tComputed++\n\tx := helper(y)\n\treturn 3 * x"},
		}},
		{name: "reformatted", edits: []change{
			{sample, "func Triple(x int) int {\n\tComputed++\n\ty := helper(x)\n\treturn 3 * y\n}", "func Triple(x int,\n) int {\n\tComputed ++\n\n\ty :=    helper(x);\n\n\treturn 3 * (y)\n}"},
			{calc, "func Scale(x int) int { return x * Rate }", "func Scale(x int) int {\n\treturn (x * Rate)\n}"},
		}},
		{name: "reformatted and gofmt'd", gofmt: true, edits: []change{
			{sample, "func Triple(x int) int {\n\tComputed++\n\ty := helper(x)\n\treturn 3 * y\n}", "func Triple(x int,\n) int {\n\tComputed ++\n\n\ty :=    helper(x);\n\n\treturn 3 * (y)\n}"},
		}},
		{name: "import renamed", edits: []change{
			{sample, "\t\"example.com/fpsample/calc\"", "\tc \"example.com/fpsample/calc\""},
			{sample, "return p.Rate * calc.Scale(n)", "return p.Rate * c.Scale(n)"},
			{sample, "[]calc.Shape", "[]c.Shape"},
			{sample, "strconv.Itoa(calc.Lookup(x))", "strconv.Itoa(c.Lookup(x))"},
		}},
		{name: "helper in another package, through a method value", edits: []change{{calc, "return x * Rate", "return x * Rate * 2"}}, changed: []string{price}},
		{name: "mutual recursion", edits: []change{{sample, "return false", "return n < 0"}}, changed: []string{isEven, isOdd}},
		{name: "method expression's body", edits: []change{{sample, "return n + p.Rate", "return n - p.Rate"}}, changed: []string{bump}},
		{name: "implementation of an interface of the module, value receiver", edits: []change{{calc, "return s.Side * s.Side", "return s.Side + s.Side"}}, changed: []string{totalArea}},
		{name: "implementation of an interface of the module, pointer receiver", edits: []change{{calc, "return r.W * r.H", "return r.W + r.H"}}, changed: []string{totalArea}},
		{name: "package variable's initialiser", edits: []change{{calc, "[]int{1, 2, 3}", "[]int{1, 2, 4}"}}, changed: []string{itoa}},
		{name: "receiver's type", edits: []change{{sample, "type Pricer struct{ Rate int }", "type Pricer struct {\n\tRate int\n\tName string\n}"}}, changed: []string{price, bump}},
		{name: "generic function", edits: []change{{sample, "return []T{x, x}", "return []T{x}"}}, changed: []string{gen}},
		{name: "spread argument", edits: []change{{sample, "func Gen[T any](x T) []T { return []T{x, x} }", "func Gen[T any](x T) []T { return append([]T{x}, []T{x}...) }"}}, changed: []string{gen}},
		{name: "memoised through a forwarder", edits: []change{{sample, "return x * x }", "return x * x * 1 }"}}, changed: []string{square}},
		{name: "memoised through a method forwarding to a forwarder", edits: []change{{sample, "return x * x * x }", "return x * x * x * 1 }"}}, changed: []string{cube}},
		{name: "the forwarders", edits: []change{{sample, "r.prefix+name", "name+r.prefix"}}},
		{name: "the call sites", edits: []change{{sample, `persist.Options{FuncName: "price"}`, `persist.Options{FuncName: "price2"}`}}},
	}
	base := fingerprints(t, copySample(t))
	if got := slices.Sorted(maps.Keys(base)); !slices.Equal(got, sampleFuncs) {
		t.Fatalf("fingerprinted %q, want %q", got, sampleFuncs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			for _, e := range tt.edits {
				edit(t, filepath.Join(dir, e.file), e.old, e.new)
			}
			if tt.gofmt {
				gofmtAll(t, dir)
			}
			got := fingerprints(t, dir)
			for _, name := range sampleFuncs {
				want := slices.Contains(tt.changed, name)
				if changed := got[name] != base[name]; changed != want {
					t.Errorf("%s: changed %v, want %v (%s, was %s)", name, changed, want, got[name], base[name])
				}
			}
		})
	}
}

func gofmtAll(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := format.Source(src)
		if err != nil {
			return err
		}
		return os.WriteFile(path, out, 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
}
