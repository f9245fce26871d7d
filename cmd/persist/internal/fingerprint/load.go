package fingerprint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// listed is the part of `go list -json` the loader reads.
type listed struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string
	Standard   bool
	Export     string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// program is the target package and the packages of its module that it
// imports, directly or not, parsed and type-checked from source with one
// universe of objects, so that a call resolved in one package is the same
// *types.Func as the declaration in another.
type program struct {
	fset   *token.FileSet
	module string    // the module's path
	target *loaded   // the package in dir
	pkgs   []*loaded // the module's packages, dependencies first
	byPkg  map[*types.Package]*loaded
}

// loaded is one package of the module, from source.
type loaded struct {
	path  string
	types *types.Package
	info  *types.Info
	files []*ast.File
	names []string // the files' names, beside files
}

// load lists the package in dir with its dependencies (one `go list -deps`),
// gets export data for those outside its module (a second `go list
// -export`, which compiles them into the build cache: the packages of the
// module itself are never compiled, so a package that does not build yet
// because of a stale generated file still loads), and type-checks the
// module's packages from source.
func load(ctx context.Context, dir string, opts Options) (*program, error) {
	all, err := goList(ctx, dir, opts, "-deps", ".")
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("fingerprint: go list found no package in %s", dir)
	}
	target := all[len(all)-1] // -deps lists dependencies first
	if target.Error != nil {
		return nil, fmt.Errorf("fingerprint: %s: %s", target.ImportPath, target.Error.Err)
	}
	if target.Module == nil {
		return nil, fmt.Errorf("fingerprint: %s is not in a module", dir)
	}
	module := target.Module.Path
	inModule := func(p *listed) bool { return p.Module != nil && p.Module.Path == module }

	var outside []string
	for _, p := range all {
		if p.Error != nil && inModule(p) {
			return nil, fmt.Errorf("fingerprint: %s: %s", p.ImportPath, p.Error.Err)
		}
		if !inModule(p) && p.ImportPath != "unsafe" {
			outside = append(outside, p.ImportPath)
		}
	}
	exports := map[string]string{}
	if len(outside) > 0 {
		ex, err := goList(ctx, dir, opts, append([]string{"-export"}, outside...)...)
		if err != nil {
			return nil, err
		}
		for _, p := range ex {
			if p.Export == "" {
				msg := "no export data"
				if p.Error != nil {
					msg = p.Error.Err
				}
				return nil, fmt.Errorf("fingerprint: dependency %s: %s", p.ImportPath, msg)
			}
			exports[p.ImportPath] = p.Export
		}
	}

	prog := &program{fset: token.NewFileSet(), module: module, byPkg: map[*types.Package]*loaded{}}
	gc := importer.ForCompiler(prog.fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	fromSource := map[string]*types.Package{}
	for _, p := range all {
		if !inModule(p) {
			continue
		}
		lp, err := prog.check(p, func(path string) (*types.Package, error) {
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			if tp, ok := fromSource[path]; ok {
				return tp, nil
			}
			return gc.Import(path)
		}, opts)
		if err != nil {
			return nil, err
		}
		fromSource[p.ImportPath] = lp.types
		prog.pkgs = append(prog.pkgs, lp)
		prog.byPkg[lp.types] = lp
	}
	prog.target = prog.pkgs[len(prog.pkgs)-1]
	return prog, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// check parses and type-checks one package of the module, leaving out the
// files this package generates (they register fingerprints and take no part
// in them).
func (prog *program) check(p *listed, imp importerFunc, opts Options) (*loaded, error) {
	lp := &loaded{path: p.ImportPath}
	for _, name := range append(append([]string(nil), p.GoFiles...), p.CgoFiles...) {
		src, err := os.ReadFile(filepath.Join(p.Dir, name))
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %w", err)
		}
		if bytes.HasPrefix(src, []byte(generatedHeader)) {
			continue
		}
		f, err := parser.ParseFile(prog.fset, filepath.Join(p.Dir, name), src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %w", err)
		}
		lp.files = append(lp.files, f)
		lp.names = append(lp.names, filepath.Join(p.Dir, name))
	}
	lp.info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances:  map[*ast.Ident]types.Instance{},
	}
	var errs []error
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if q, ok := p.ImportMap[path]; ok { // vendored
				path = q
			}
			return imp(path)
		}),
		FakeImportC: true,
		Error: func(err error) {
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		},
	}
	tp, _ := conf.Check(p.ImportPath, prog.fset, lp.files, lp.info)
	if len(errs) > 0 {
		return nil, fmt.Errorf("fingerprint: type-checking %s: %w", p.ImportPath, errors.Join(errs...))
	}
	lp.types = tp
	return lp, nil
}

// goList runs `go list -e -json` in dir with the given arguments.
func goList(ctx context.Context, dir string, opts Options, args ...string) ([]*listed, error) {
	argv := append([]string{"list", "-e", "-json=ImportPath,Name,Dir,GoFiles,CgoFiles,ImportMap,Standard,Export,Module,Error"}, opts.BuildFlags...)
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, "go", argv...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("fingerprint: go list in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var out []*listed
	dec := json.NewDecoder(&stdout)
	for {
		p := new(listed)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("fingerprint: reading go list's output: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}
