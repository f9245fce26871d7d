// Package fingerprint is what `persist fingerprint` runs: it finds the
// functions a package memoises (passes by name to persist.Decorate,
// persist.Wrap or persist.Wrap1 … Wrap3E, or to a function or method of the
// module that passes its parameter straight on to one of them), hashes each one's code together
// with the code of its module that it uses, and writes a small generated
// file that registers the hashes with persist.RegisterFingerprint, where
// Decorate finds them as the functions' default Version. Editing a
// memoised function, a helper it calls or a constant it reads therefore
// invalidates its stored results once the package is regenerated and
// rebuilt; reformatting it, commenting it or renaming its local variables
// does not.
//
// # What counts
//
// A function's fingerprint covers the normal form of its declaration
// (see normalise.go: the syntax tree without positions, comments or
// parentheses, with locals and parameters renamed by position) and,
// transitively, of every declaration of the same module it refers to:
//
//   - functions and methods it calls or refers to, mutual recursion and
//     other cycles included once;
//   - methods called through an interface declared in the module: every
//     method of the module's types (those of the packages the memoised
//     function's package imports, directly or not) that implement it. An
//     interface declared elsewhere (error, fmt.Stringer, io.Reader) is not
//     followed, since that would take in every Error, String or Read
//     method of the module; nor are methods called implicitly by other
//     modules (fmt calling String);
//   - the values of package-level constants it reads (the value, so that
//     0x10 and 16 are one), the initialisers of package-level variables it
//     reads (not assignments made to them elsewhere, in init functions say)
//     and the declarations of the module's types it names or selects
//     fields and methods from.
//
// Anything outside the module, the standard library and dependencies,
// counts by its qualified name only: its code is pinned by the Go version
// and by go.sum, neither of which is hashed, so that upgrading Go or a
// dependency keeps the cache (give a Version, or clear it, when an upgrade
// changes results). Function literals get no fingerprint, since the name the
// runtime gives them (…func1) changes with edits around them and Decorate
// needs a FuncName for them anyway; neither do func-typed variables and
// fields, whose value is known only at run time: Generate reports them in
// Result.Skipped. Test files are not read.
package fingerprint
