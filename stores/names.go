package stores

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gopersist/persist/stores/driver"
)

// MaxNameLen is the longest funcname or hash, in bytes, that a store accepts.
// It leaves room under the usual 255-byte file-name limit for the suffixes a
// file store adds (".meta", temporary-file tags).
const MaxNameLen = 200

// NameError reports a funcname or hash that a store cannot use.
type NameError struct {
	What   string // "funcname", "hash" or "page token"
	Name   string
	Reason string
}

// Error implements the error interface.
func (e *NameError) Error() string {
	return fmt.Sprintf("%s %q cannot be used: %s", e.What, e.Name, e.Reason)
}

// Is reports whether target is ErrInvalidName.
func (e *NameError) Is(target error) bool { return target == ErrInvalidName }

// ValidName checks that name can be used as one path element on any system:
// not empty, not "." or "..", no '/', '\\' or NUL, at most MaxNameLen bytes.
// what ("funcname" or "hash") names it in the error. Every store accepts at
// most these names; [Store.CheckName] tells what one store accepts.
func ValidName(what, name string) error {
	return anyStore.check(what, name)
}

// anyStore are the rules of a store that states none of its own.
var anyStore = compileRule(MaxNameLen, "")

// nameRule is one compiled rule: a byte table and a length.
type nameRule struct {
	maxLen  int
	utf8    bool // names must be valid UTF-8
	allowed [256]bool
	anyByte bool   // every byte but '/', '\\' and NUL: checked with IndexByte
	bytes   string // the driver's statement of the allowed bytes, for errors
	why     string // the driver's reason for them, for errors
}

// nameRules are a store's rules for funcnames and hashes.
type nameRules struct{ funcname, hash *nameRule }

func compileNameRules(r driver.NameRules) nameRules {
	n := MaxNameLen
	if r.MaxLen > 0 && r.MaxLen < n {
		n = r.MaxLen
	}
	f, h := compileRule(n, r.FuncBytes), compileRule(n, r.HashBytes)
	f.utf8, h.utf8 = r.UTF8, r.UTF8
	f.why, h.why = r.Why, r.Why
	return nameRules{funcname: f, hash: h}
}

// compileRule builds the table of bytes a name may hold: those that spec
// lists ("a-z" is a range), or all when spec is empty, less '/', '\\' and
// NUL, which no store accepts.
func compileRule(maxLen int, spec string) *nameRule {
	r := &nameRule{maxLen: maxLen, bytes: spec, anyByte: spec == ""}
	if spec == "" {
		for i := range r.allowed {
			r.allowed[i] = true
		}
	}
	for i := 0; i < len(spec); i++ {
		lo, hi := spec[i], spec[i]
		if i+2 < len(spec) && spec[i+1] == '-' {
			hi = spec[i+2]
			i += 2
		}
		for c := int(lo); c <= int(hi); c++ {
			r.allowed[c] = true
		}
	}
	r.allowed['/'], r.allowed['\\'], r.allowed[0] = false, false, false
	return r
}

// check returns a *NameError if name breaks the rule.
func (r *nameRule) check(what, name string) error {
	if len(name) == 0 || len(name) > r.maxLen || name == "." || name == ".." {
		return r.explain(what, name)
	}
	if r.anyByte && !r.utf8 {
		// The hit path's check, as cheap as three vectorised scans.
		if strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, '\\') >= 0 || strings.IndexByte(name, 0) >= 0 {
			return r.explain(what, name)
		}
		return nil
	}
	for i := 0; i < len(name); i++ {
		if !r.allowed[name[i]] {
			return r.explain(what, name)
		}
	}
	if r.utf8 && !utf8.ValidString(name) {
		return r.explain(what, name)
	}
	return nil
}

// explain says which part of the rule name breaks; it is off the fast path.
func (r *nameRule) explain(what, name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "it is empty"
	case name == "." || name == "..":
		reason = "it names a directory"
	case len(name) > r.maxLen:
		reason = fmt.Sprintf("it is %d bytes long, more than %d", len(name), r.maxLen)
	case strings.ContainsAny(name, "/\\\x00"):
		reason = `it contains '/', '\' or NUL`
	case r.utf8 && !utf8.ValidString(name):
		reason = "it is not UTF-8, which the store's names must be"
	default:
		reason = "it holds bytes other than " + r.bytes
	}
	if r.why != "" && (r.utf8 || r.bytes != "") {
		reason += " (" + r.why + ")"
	}
	return &NameError{What: what, Name: name, Reason: reason}
}

// CheckName returns an error wrapping [ErrInvalidName] if the store cannot
// keep name as a funcname (what is "funcname") or a hash (what is "hash").
// Callers use it to refuse a name once, before any call, rather than on
// every call.
func (s *Store) CheckName(what, name string) error {
	r := s.names.hash
	if what == "funcname" {
		r = s.names.funcname
	}
	if err := r.check(what, name); err != nil {
		return s.fail("check name", "", "", err)
	}
	return nil
}
