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

// memoised says which argument of a call is a function memoised: the
// first of persist's memoisers, or the one a forwarder passes on.
type memoised struct {
	persistPath string
	forwarders  map[*types.Func]int // functions of the module that pass a parameter to a memoiser: its index
	forwarded   map[types.Object]bool
}

// findForwarders finds the module's functions and methods that pass one of
// their parameters straight to a memoiser, such as
//
//	func (t *tour) decorate(fn any, opts persist.Options) *persist.Memo {
//		…
//		m, err := persist.Decorate(fn, opts)
//
// so that the functions given to them count as memoised, and forwarders of
// forwarders, up to a fixed point.
func findForwarders(prog *program, persistPath string) *memoised {
	m := &memoised{persistPath: persistPath, forwarders: map[*types.Func]int{}, forwarded: map[types.Object]bool{}}
	for changed := true; changed; {
		changed = false
		for _, lp := range prog.pkgs {
			for _, f := range lp.files {
				for _, d := range f.Decls {
					fd, ok := d.(*ast.FuncDecl)
					if !ok || fd.Body == nil {
						continue
					}
					fn, _ := lp.info.Defs[fd.Name].(*types.Func)
					if fn == nil {
						continue
					}
					if _, done := m.forwarders[fn]; done {
						continue
					}
					params := fn.Type().(*types.Signature).Params()
					ast.Inspect(fd.Body, func(n ast.Node) bool {
						call, ok := n.(*ast.CallExpr)
						if !ok {
							return true
						}
						i, ok := m.argIndex(lp.info, call)
						if !ok {
							return true
						}
						id, ok := ast.Unparen(call.Args[i]).(*ast.Ident)
						if !ok {
							return true
						}
						for j := range params.Len() {
							if p := params.At(j); p == lp.info.Uses[id] && (j < params.Len()-1 || !fn.Type().(*types.Signature).Variadic()) {
								m.forwarders[fn] = j
								m.forwarded[p] = true
								changed = true
								return false
							}
						}
						return true
					})
				}
			}
		}
	}
	return m
}

// argIndex says whether call is of a memoiser or a forwarder, and which of
// its arguments is the function.
func (m *memoised) argIndex(info *types.Info, call *ast.CallExpr) (int, bool) {
	fun := stripIndex(ast.Unparen(call.Fun))
	var id *ast.Ident
	shift := 0
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
		if sel, ok := info.Selections[f]; ok && sel.Kind() == types.MethodExpr {
			shift = 1 // (*T).M(t, fn): the receiver comes first
		}
	default:
		return 0, false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok {
		return 0, false
	}
	fn = fn.Origin()
	i := 0
	if fn.Pkg() == nil || fn.Pkg().Path() != m.persistPath || !memoisers.MatchString(fn.Name()) {
		if i, ok = m.forwarders[fn]; !ok {
			return 0, false
		}
	}
	i += shift
	return i, i < len(call.Args)
}

// findRoots walks the target package for calls of the memoisers and
// forwarders, and classifies the functions passed.
func findRoots(prog *program, persistPath string) (roots []root, skipped []Skipped) {
	lp := prog.target
	m := findForwarders(prog, persistPath)
	skip := func(n ast.Node, reason string) {
		skipped = append(skipped, Skipped{Pos: prog.fset.Position(n.Pos()), Reason: reason})
	}
	for _, f := range lp.files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			i, ok := m.argIndex(lp.info, call)
			if !ok {
				return true
			}
			arg := ast.Unparen(call.Args[i])
			if id, ok := arg.(*ast.Ident); ok && m.forwarded[lp.info.Uses[id]] {
				return true // a forwarder passing its parameter on: its callers pass the functions
			}
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
