package fingerprint

import (
	"bytes"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
)

// The normal form of a declaration is its syntax tree written as nested
// lists, node by node and field by field, with positions and comments left
// out, so that formatting and comments do not count, and parentheses
// dropped, since the tree's nesting already says how operands group. Every
// identifier is written as what it resolves to: a local variable, parameter,
// label, local type or type parameter as its position in order of first
// appearance (L0, L1, …), so that renaming one does not count; a
// package-level object as its package path and name; a field by its name;
// the universe's names (int, len, nil) as themselves. A literal is written
// as its value (0x10 and 16 are one), an operator as its token, and a nil
// child as _, so that a[i:] and a[:i] differ.

// encoder writes the normal form of one declaration and collects the
// objects of the module it uses.
type encoder struct {
	prog   *program
	info   *types.Info
	buf    bytes.Buffer
	locals map[types.Object]int
	deps   map[types.Object]bool
}

var (
	posType     = reflect.TypeFor[token.Pos]()
	commentType = reflect.TypeFor[*ast.CommentGroup]()
)

func (e *encoder) node(n ast.Node) {
	switch n := n.(type) {
	case *ast.Ident:
		e.ident(n)
		return
	case *ast.ParenExpr:
		e.node(n.X)
		return
	case *ast.BasicLit:
		e.buf.WriteString("(lit ")
		e.buf.WriteString(n.Kind.String())
		e.buf.WriteByte(' ')
		e.buf.WriteString(strconv.Quote(constant.MakeFromLiteral(n.Value, n.Kind, 0).ExactString()))
		e.buf.WriteByte(')')
		return
	case *ast.CommentGroup, *ast.Comment:
		return
	case *ast.CallExpr:
		if n.Ellipsis.IsValid() { // f(xs...) is not f(xs)
			e.buf.WriteString("(spread)")
		}
	case *ast.TypeSpec:
		if n.Assign.IsValid() { // type A = B is not type A B
			e.buf.WriteString("(alias)")
		}
	case *ast.SelectorExpr:
		e.selection(n)
	}
	v := reflect.ValueOf(n)
	if v.IsNil() {
		e.buf.WriteString("_")
		return
	}
	v = v.Elem()
	t := v.Type()
	e.buf.WriteByte('(')
	e.buf.WriteString(t.Name())
	for i := range t.NumField() {
		f := t.Field(i)
		switch f.Type {
		case posType, commentType:
			continue
		}
		if f.Name == "Incomplete" { // set by the parser on filtered lists only
			continue
		}
		e.buf.WriteByte(' ')
		e.value(v.Field(i))
	}
	e.buf.WriteByte(')')
}

func (e *encoder) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			e.buf.WriteByte('_')
			return
		}
		if n, ok := v.Interface().(ast.Node); ok {
			e.node(n)
			return
		}
	case reflect.Slice:
		e.buf.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				e.buf.WriteByte(' ')
			}
			e.value(v.Index(i))
		}
		e.buf.WriteByte(']')
		return
	}
	switch x := v.Interface().(type) {
	case token.Token:
		e.buf.WriteString(x.String())
	case ast.ChanDir:
		e.buf.WriteString(strconv.Itoa(int(x)))
	case bool:
		e.buf.WriteString(strconv.FormatBool(x))
	case string:
		e.buf.WriteString(strconv.Quote(x))
	default:
		e.buf.WriteString(strconv.Quote(v.Type().String()))
	}
}

// selection notes the named type a field or method is selected from: its
// declaration (its fields' types, say) is part of what the code does.
func (e *encoder) selection(n *ast.SelectorExpr) {
	sel, ok := e.info.Selections[n]
	if !ok {
		return
	}
	t := sel.Recv()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if named, ok := t.(*types.Named); ok {
		e.use(named.Origin().Obj())
	}
}

func (e *encoder) ident(id *ast.Ident) {
	obj, def := e.info.Defs[id], true
	if obj == nil {
		obj, def = e.info.Uses[id], false
	}
	if obj == nil {
		if _, ok := e.info.Defs[id]; ok && id.Name != "_" {
			// The symbol of a type switch, v in v := x.(type): each clause
			// declares its own v, which is what its uses resolve to.
			e.buf.WriteString("(switched)")
			return
		}
		e.buf.WriteString(strconv.Quote(id.Name)) // the blank identifier
		return
	}
	switch o := obj.(type) {
	case *types.PkgName:
		e.buf.WriteString("(pkg " + strconv.Quote(o.Imported().Path()) + ")")
		return
	case *types.Builtin, *types.Nil:
		e.buf.WriteString(id.Name)
		return
	case *types.Var:
		if o.IsField() {
			e.buf.WriteString("(field " + strconv.Quote(o.Name()) + ")")
			return
		}
	case *types.Func:
		o = o.Origin()
		e.buf.WriteString("(func " + strconv.Quote(o.FullName()) + ")")
		if !def {
			e.use(o)
		}
		return
	}
	if obj.Parent() == types.Universe {
		e.buf.WriteString(id.Name)
		return
	}
	if obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
		e.buf.WriteString("(" + key(obj) + ")")
		if !def {
			e.use(obj)
		}
		return
	}
	n, ok := e.locals[obj]
	if !ok {
		n = len(e.locals)
		e.locals[obj] = n
	}
	e.buf.WriteString("L" + strconv.Itoa(n))
}

// use records a dependency on obj if it belongs to the module; objects
// from elsewhere are named in the normal form and nothing more.
func (e *encoder) use(obj types.Object) {
	if obj.Pkg() != nil && e.prog.byPkg[obj.Pkg()] != nil {
		e.deps[obj] = true
	}
}

// key names a node of the dependency graph, unique across the program.
func key(obj types.Object) string {
	switch o := obj.(type) {
	case *types.Func:
		if isInterfaceMethod(o) {
			return "imethod " + o.FullName()
		}
		return "func " + o.FullName()
	case *types.Var:
		return "var " + o.Pkg().Path() + "." + o.Name()
	case *types.Const:
		return "const " + o.Pkg().Path() + "." + o.Name()
	case *types.TypeName:
		return "type " + o.Pkg().Path() + "." + o.Name()
	}
	return "object " + obj.String()
}

func isInterfaceMethod(f *types.Func) bool {
	sig, _ := f.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return false
	}
	return types.IsInterface(sig.Recv().Type())
}
