package fingerprint

import "context"

// SymbolPrefix is symbolPrefix, for the tests.
var SymbolPrefix = symbolPrefix

// Program is a loaded package, for the benchmark's floor.
type Program = program

// Load is load, the benchmark's floor: Generate without the hashing.
func Load(ctx context.Context, dir string, opts Options) (*Program, error) {
	if opts.PersistPath == "" {
		opts.PersistPath = DefaultPersistPath
	}
	return load(ctx, dir, opts)
}

// FromProgram is Generate on a loaded package: the hashing alone.
func FromProgram(prog *Program, dir string, opts Options) (*Result, error) {
	if opts.PersistPath == "" {
		opts.PersistPath = DefaultPersistPath
	}
	return generate(prog, dir, opts)
}
