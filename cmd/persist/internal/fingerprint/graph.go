package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
)

// graph is the module's declarations as nodes, each with its normal form
// and the nodes it uses, computed once per node.
type graph struct {
	prog  *program
	decls map[types.Object]decl
	nodes map[types.Object]*gnode
	named []*types.TypeName // the module's concrete named types, for interface calls
}

type decl struct {
	pkg  *loaded
	node ast.Node // *ast.FuncDecl, *ast.ValueSpec or *ast.TypeSpec
}

type gnode struct {
	key  string
	text []byte
	deps []types.Object
	sum  []byte // digest's
}

func newGraph(prog *program) *graph {
	g := &graph{prog: prog, decls: map[types.Object]decl{}, nodes: map[types.Object]*gnode{}}
	for _, lp := range prog.pkgs {
		for _, f := range lp.files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if obj := lp.info.Defs[d.Name]; obj != nil {
						g.decls[obj] = decl{lp, d}
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if obj := lp.info.Defs[n]; obj != nil {
									g.decls[obj] = decl{lp, s}
								}
							}
						case *ast.TypeSpec:
							if obj, ok := lp.info.Defs[s.Name].(*types.TypeName); ok {
								g.decls[obj] = decl{lp, s}
								if !types.IsInterface(obj.Type()) && s.TypeParams == nil && s.Assign == token.NoPos {
									g.named = append(g.named, obj)
								}
							}
						}
					}
				}
			}
		}
	}
	return g
}

// node returns obj's normal form and uses, computing them the first time.
func (g *graph) node(obj types.Object) *gnode {
	if n, ok := g.nodes[obj]; ok {
		return n
	}
	n := &gnode{key: key(obj)}
	g.nodes[obj] = n
	if f, ok := obj.(*types.Func); ok && isInterfaceMethod(f) {
		// A call through an interface of the module may reach the method
		// of any of the module's types that implement it: all of them
		// count. (Interfaces from elsewhere, error or fmt.Stringer, are not
		// followed: that would take in every Error and String method.)
		n.deps = g.implementations(f)
		return n
	}
	if c, ok := obj.(*types.Const); ok {
		// A constant is its value, however it is spelled.
		n.text = []byte(types.TypeString(c.Type(), nil) + " " + strconv.Quote(c.Val().ExactString()))
		return n
	}
	d, ok := g.decls[obj]
	if !ok { // declared in a file left out (a generated one), or nowhere
		return n
	}
	e := &encoder{prog: g.prog, info: d.pkg.info, locals: map[types.Object]int{}, deps: map[types.Object]bool{}}
	e.node(d.node)
	n.text = e.buf.Bytes()
	for dep := range e.deps {
		if dep != obj {
			n.deps = append(n.deps, dep)
		}
	}
	slices.SortFunc(n.deps, func(a, b types.Object) int { return compareKeys(key(a), key(b)) })
	return n
}

func compareKeys(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// implementations returns the methods of the module's named types that an
// interface method m may dispatch to.
func (g *graph) implementations(m *types.Func) []types.Object {
	iface, _ := m.Type().(*types.Signature).Recv().Type().Underlying().(*types.Interface)
	if iface == nil {
		return nil
	}
	var out []types.Object
	for _, tn := range g.named {
		for _, t := range []types.Type{tn.Type(), types.NewPointer(tn.Type())} {
			if !types.Implements(t, iface) {
				continue
			}
			if sel := types.NewMethodSet(t).Lookup(m.Pkg(), m.Name()); sel != nil {
				if f, ok := sel.Obj().(*types.Func); ok && !isInterfaceMethod(f) {
					out = append(out, f.Origin())
				}
			}
			break
		}
	}
	return out
}

// fingerprint hashes root's normal form together with those of every node
// it reaches, in the order of their keys, so that a cycle (mutual
// recursion) or a node reached twice counts once.
func (g *graph) fingerprint(root types.Object) string {
	seen := map[types.Object]bool{root: true}
	stack := []types.Object{root}
	var reached []*gnode
	for len(stack) > 0 {
		obj := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := g.node(obj)
		reached = append(reached, n)
		for _, d := range n.deps {
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	slices.SortFunc(reached[1:], func(a, b *gnode) int { return compareKeys(a.key, b.key) })
	h := sha256.New()
	for _, n := range reached {
		h.Write(n.digest())
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// digest is the SHA-256 of the node's key and normal form, computed once:
// a fingerprint hashes the digests of the nodes it reaches, so that a
// helper reached from every memoised function is hashed once, not once
// for each.
func (n *gnode) digest() []byte {
	if n.sum == nil {
		h := sha256.New()
		h.Write([]byte(strconv.Quote(n.key)))
		h.Write([]byte{'\n'})
		h.Write(n.text)
		n.sum = h.Sum(nil)
	}
	return n.sum
}
