package fingerprint

import (
	"go/ast"
	"go/types"
	"regexp"
	"strings"
)

// memoisers are the functions of the persist package whose first argument
// is the function memoised: Decorate, Wrap, Wrap1 … Wrap3E, and any Must
// form of them.
var memoisers = regexp.MustCompile(`^(Must)?(Decorate|Wrap|Wrap[1-9]E?)$`)

// root is a function passed to a memoiser.
type root struct {
	obj  *types.Func // the declaration whose body counts
	name string      // the name runtime.FuncForPC reports for the value passed
	pos  ast.Node
}

// findRoots walks the target package for calls of the memoisers and
// classifies their first arguments.
func findRoots(prog *program, persistPath string) (roots []root, skipped []Skipped) {
	lp := prog.target
	skip := func(n ast.Node, reason string) {
		skipped = append(skipped, Skipped{Pos: prog.fset.Position(n.Pos()), Reason: reason})
	}
	for _, f := range lp.files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 || !isMemoiser(lp.info, call.Fun, persistPath) {
				return true
			}
			arg := ast.Unparen(call.Args[0])
			r, reason := classify(prog, lp.info, arg)
			if reason != "" {
				skip(arg, reason)
				return true
			}
			r.pos = arg
			roots = append(roots, r)
			return true
		})
	}
	return roots, skipped
}

func isMemoiser(info *types.Info, fun ast.Expr, persistPath string) bool {
	fun = stripIndex(ast.Unparen(fun))
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == persistPath && memoisers.MatchString(fn.Name())
}

// stripIndex drops an explicit instantiation: Wrap1[int, int] is Wrap1.
func stripIndex(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.IndexExpr:
		return ast.Unparen(x.X)
	case *ast.IndexListExpr:
		return ast.Unparen(x.X)
	}
	return e
}

// classify finds the declaration behind a memoised function value and the
// name the runtime gives that value, or says why it has none.
func classify(prog *program, info *types.Info, arg ast.Expr) (root, string) {
	inModule := func(f *types.Func) bool { return f.Pkg() != nil && prog.byPkg[f.Pkg()] != nil }
	switch x := stripIndex(arg).(type) {
	case *ast.FuncLit:
		return root{}, "a function literal is not fingerprinted: its runtime name (…func1) changes with edits around it; it needs a FuncName, and a Version to invalidate it"
	case *ast.Ident, *ast.SelectorExpr:
		var id *ast.Ident
		if sx, ok := x.(*ast.SelectorExpr); ok {
			if sel, ok := info.Selections[sx]; ok {
				return classifySelection(prog, sel, inModule)
			}
			id = sx.Sel
		} else {
			id = x.(*ast.Ident)
		}
		fn, ok := info.Uses[id].(*types.Func)
		if !ok {
			return root{}, "not a declared function (a variable or a call's result): what it holds is known only at run time"
		}
		fn = fn.Origin()
		if !inModule(fn) {
			return root{}, fn.FullName() + " is outside the module: its version is in go.sum"
		}
		name := symbolPrefix(fn.Pkg()) + "." + fn.Name()
		if sig := fn.Type().(*types.Signature); sig.TypeParams().Len() > 0 {
			name += "[...]"
		}
		return root{obj: fn, name: name}, ""
	}
	return root{}, "not a declared function or method: what it is is known only at run time"
}

// classifySelection handles method values (t.M, named T.M-fm by the
// runtime after the method's declared receiver) and method expressions
// ((*T).M, named after the receiver as written).
func classifySelection(prog *program, sel *types.Selection, inModule func(*types.Func) bool) (root, string) {
	fn, ok := sel.Obj().(*types.Func)
	if !ok {
		return root{}, "a func-typed field: what it holds is known only at run time"
	}
	fn = fn.Origin()
	if !inModule(fn) {
		return root{}, fn.FullName() + " is outside the module: its version is in go.sum"
	}
	switch sel.Kind() {
	case types.MethodVal:
		return root{obj: fn, name: receiverName(fn.Type().(*types.Signature).Recv().Type()) + "." + fn.Name() + "-fm"}, ""
	case types.MethodExpr:
		if len(sel.Index()) > 1 {
			return root{}, "a method expression of a promoted method: the runtime names a wrapper made by the compiler"
		}
		return root{obj: fn, name: receiverName(sel.Recv()) + "." + fn.Name()}, ""
	}
	return root{}, "a func-typed field: what it holds is known only at run time"
}

// receiverName is a receiver type as the runtime writes it in a method's
// name: example.com/m/pkg.T, example.com/m/pkg.(*T), pkg.(*G[...]).
func receiverName(t types.Type) string {
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), true
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return types.TypeString(t, nil)
	}
	obj := named.Origin().Obj()
	s := obj.Name()
	if named.Origin().TypeParams().Len() > 0 {
		s += "[...]"
	}
	if ptr {
		s = "(*" + s + ")"
	}
	return symbolPrefix(obj.Pkg()) + "." + s
}

// symbolPrefix is a package's path as the linker writes it in symbol
// names, which runtime.FuncForPC reports: "main" for a command, and
// otherwise the path with dots in its last element (and a few other
// bytes) escaped, example.com/x.y/a%2eb for example.com/x.y/a.b. This is
// cmd/internal/objabi.PathToPrefix.
func symbolPrefix(pkg *types.Package) string {
	if pkg.Name() == "main" {
		return "main"
	}
	s := pkg.Path()
	slash := strings.LastIndex(s, "/")
	var b strings.Builder
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || (c == '.' && i > slash) || c == '%' || c == '"' || c >= 0x7F {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
