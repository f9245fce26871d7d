package fingerprint

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// fromSource type-checks one package p of the module p from src, with the
// standard library from export data, and returns the fingerprint of its F.
func fromSource(t *testing.T, src string) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", "package p\n\n"+src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	lp := &loaded{path: "p", files: []*ast.File{f}, names: []string{"p.go"}, info: &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances:  map[*ast.Ident]types.Instance{},
	}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", nil)}
	if lp.types, err = conf.Check("p", fset, lp.files, lp.info); err != nil {
		t.Fatal(err)
	}
	prog := &program{fset: fset, module: "p", target: lp, pkgs: []*loaded{lp}, byPkg: map[*types.Package]*loaded{lp.types: lp}}
	obj := lp.types.Scope().Lookup("F")
	if obj == nil {
		t.Fatal("no F")
	}
	return newGraph(prog).fingerprint(obj)
}

// TestNormalForm compares the fingerprints of F in pairs of sources that
// must and must not count as the same code.
func TestNormalForm(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"slice bounds", "func F(a []int, i int) []int { return a[i:] }", "func F(a []int, i int) []int { return a[:i] }", false},
		{"three-index slice", "func F(a []int) []int { return a[1:2] }", "func F(a []int) []int { return a[1:2:2] }", false},
		{"spread", "func F(xs []any) { g(xs...) }\nfunc g(xs ...any) {}", "func F(xs []any) { g(xs) }\nfunc g(xs ...any) {}", false},
		{"hex literal", "func F() int { return 0x10 }", "func F() int { return 16 }", true},
		{"digit separators", "func F() int { return 1_000 }", "func F() int { return 1000 }", true},
		{"raw string", "func F() string { return `a` }", `func F() string { return "a" }`, true},
		{"string", `func F() string { return "a" }`, `func F() string { return "b" }`, false},
		{"float", "func F() float64 { return 1.5 }", "func F() float64 { return 1.50 }", true},
		{"parentheses that group", "func F(a, b, c int) int { return (a + b) * c }", "func F(a, b, c int) int { return a + b*c }", false},
		{"parentheses that do not", "func F(a, b, c int) int { return a + (b * c) }", "func F(a, b, c int) int { return a + b*c }", true},
		{"shadowing", "func F() int { x := 1; { x := 2; _ = x }; return x }", "func F() int { x := 1; { y := 2; _ = y }; return x }", true},
		{"shadowing removed", "func F() int { x := 1; { x := 2; _ = x }; return x }", "func F() int { x := 1; { x = 2; _ = x }; return x }", false},
		{"parameters swapped in use", "func F(a, b int) int { return a - b }", "func F(a, b int) int { return b - a }", false},
		{"labels renamed", "func F() { outer: for { break outer } }", "func F() { loop: for { break loop } }", true},
		{"break or continue", "func F() { for { break } }", "func F() { for { continue } }", false},
		{"closure parameter renamed", "func F() func(int) int { return func(x int) int { return x } }", "func F() func(int) int { return func(y int) int { return y } }", true},
		{"type parameter renamed", "func F[T any](x T) T { return x }", "func F[U any](y U) U { return y }", true},
		{"named results renamed", "func F() (n int) { n = 1; return }", "func F() (m int) { m = 1; return }", true},
		{"local type's field renamed", "func F() int { type t struct{ a int }; return t{1}.a }", "func F() int { type t struct{ b int }; return t{1}.b }", false},
		{"operator", "func F(a int) bool { return a < 1 }", "func F(a int) bool { return a <= 1 }", false},
		{"assignment operator", "func F(a int) int { a += 1; return a }", "func F(a int) int { a -= 1; return a }", false},
		{"increment", "func F(a int) int { a++; return a }", "func F(a int) int { a--; return a }", false},
		{"channel direction", "func F(c chan<- int) {}", "func F(c <-chan int) {}", false},
		{"alias or defined type", "type A = int\nfunc F(a A) int { return int(a) }", "type A int\nfunc F(a A) int { return int(a) }", false},
		{"struct tag of a type used", "type S struct{ X int `json:\"x\"` }\nfunc F(s S) int { return s.X }", "type S struct{ X int `json:\"y\"` }\nfunc F(s S) int { return s.X }", false},
		{"typed constant's type", "const c int = 1\nfunc F() any { return c }", "const c int64 = 1\nfunc F() any { return c }", false},
		{"constant spelled otherwise", "const c = 2\nfunc F() int { return c }", "const c = 1 + 1\nfunc F() int { return c }", true},
		{"iota", "const (a = iota; b)\nfunc F() int { return b }", "const (z = iota; a; b)\nfunc F() int { return b }", false},
		{"variable's initialiser", "var v = 1\nfunc F() int { return v }", "var v = 2\nfunc F() int { return v }", false},
		{"function used as a value", "func g() int { return 1 }\nfunc F() func() int { return g }", "func g() int { return 2 }\nfunc F() func() int { return g }", false},
		{"method of an embedded field", "type E struct{}\nfunc (E) M() int { return 1 }\ntype S struct{ E }\nfunc F(s S) int { return s.M() }",
			"type E struct{}\nfunc (E) M() int { return 2 }\ntype S struct{ E }\nfunc F(s S) int { return s.M() }", false},
		{"method of a generic type", "type G[T any] struct{}\nfunc (G[T]) M() int { return 1 }\nfunc F() int { return G[int]{}.M() }",
			"type G[T any] struct{}\nfunc (G[T]) M() int { return 2 }\nfunc F() int { return G[int]{}.M() }", false},
		{"standard library call", "import \"strings\"\nfunc F(s string) string { return strings.ToUpper(s) }", "import \"strings\"\nfunc F(s string) string { return strings.ToLower(s) }", false},
		{"import renamed", "import \"strings\"\nfunc F(s string) string { return strings.ToUpper(s) }", "import str \"strings\"\nfunc F(s string) string { return str.ToUpper(s) }", true},
		{"type switch", "func F(x any) int { switch x.(type) { case int: return 1 }; return 0 }", "func F(x any) int { switch x.(type) { case string: return 1 }; return 0 }", false},
		{"type switch's variable renamed", "func F(x any) any { switch v := x.(type) { case int: return v }; return 0 }", "func F(x any) any { switch w := x.(type) { case int: return w }; return 0 }", true},
		{"var block or not", "var v = 1\nfunc F() int { return v }", "var (\n\tv = 1\n)\nfunc F() int { return v }", true},
		{"blank or named", "func F(m map[int]int) (n int) { for k := range m { n += k }; return }", "func F(m map[int]int) (n int) { for _, k := range m { n += k }; return }", false},
		{"unrelated declaration", "func F() int { return 1 }\nfunc g() int { return 1 }", "func F() int { return 1 }\nfunc g() int { return 2 }", true},
		{"interface of the package, implementation", "type I interface{ M() int }\ntype T struct{}\nfunc (T) M() int { return 1 }\nfunc F(i I) int { return i.M() }",
			"type I interface{ M() int }\ntype T struct{}\nfunc (T) M() int { return 2 }\nfunc F(i I) int { return i.M() }", false},
		{"interface of the standard library, not followed", "import \"fmt\"\ntype T struct{}\nfunc (T) String() string { return \"a\" }\nfunc F(s fmt.Stringer) string { return s.String() }",
			"import \"fmt\"\ntype T struct{}\nfunc (T) String() string { return \"b\" }\nfunc F(s fmt.Stringer) string { return s.String() }", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fromSource(t, tt.a), fromSource(t, tt.b)
			if (a == b) != tt.same {
				t.Errorf("same fingerprint %v, want %v:\n%s\n----\n%s", a == b, tt.same, tt.a, tt.b)
			}
		})
	}
}
