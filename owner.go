package persist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
)

// ErrNameClaimed reports a function refused the results of its FuncName
// because they belong to another function. A *NameClaimError matches it.
var ErrNameClaimed = errors.New("persist: FuncName belongs to another function")

// NameClaimError reports that a FuncName's stored results belong to another
// function: the function's own results would be mixed with them, and calls
// of one would return results of the other.
type NameClaimError struct {
	FuncName string
	// Owner is the function the results belong to, as its owner record
	// names it ("example.com/geometry.Square"), and Claimant the one that
	// was refused.
	Owner, Claimant string
	// OwnerGiven and ClaimantGiven tell whether each chose the FuncName in
	// Options rather than getting it by default.
	OwnerGiven, ClaimantGiven bool
}

// Error implements the error interface.
func (e *NameClaimError) Error() string {
	how := func(given bool) string {
		if given {
			return "given as FuncName"
		}
		return "by default"
	}
	return fmt.Sprintf("persist: the results under FuncName %q belong to %s (name %s), not to %s (name %s): "+
		"give %s a FuncName of its own, or clear the old results (Memo.Clear, or persist clear) if %s is gone; "+
		"functions share results only when each is given the FuncName",
		e.FuncName, e.Owner, how(e.OwnerGiven), e.Claimant, how(e.ClaimantGiven), e.Claimant, e.Owner)
}

// Is reports whether target is ErrNameClaimed.
func (e *NameClaimError) Is(target error) bool { return target == ErrNameClaimed }

// owner says which function a FuncName's results belong to. Every store
// keeps one per funcname (*stores.Store.ClaimOwner); its encoding lives here
// alone, the stores keep the bytes.
type owner struct {
	fn    string // the function: package path and name
	given bool   // the FuncName was given in Options: a deliberate sharing
}

// ownerMagic starts every owner record, so that a record of another format
// is recognised as such.
const ownerMagic = "persist owner 1\n"

// encode returns the owner record: text, readable with cat.
//
//	persist owner 1
//	func example.com/geometry.Square
//	funcname given
func (o owner) encode() []byte {
	s := ownerMagic + "func " + o.fn + "\n"
	if o.given {
		s += "funcname given\n"
	}
	return []byte(s)
}

// parseOwner decodes an owner record. A record it cannot read names its
// bytes as the owner, so that the refusal shows them.
func parseOwner(b []byte) owner {
	rest, ok := bytes.CutPrefix(b, []byte(ownerMagic))
	if !ok {
		return owner{fn: fmt.Sprintf("an unknown function (owner record %q)", b)}
	}
	var o owner
	for line := range strings.Lines(string(rest)) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "func "):
			o.fn = line[len("func "):]
		case line == "funcname given":
			o.given = true
		}
	}
	if o.fn == "" {
		return owner{fn: fmt.Sprintf("an unknown function (owner record %q)", b)}
	}
	return o
}

// admits reports whether the results of o may be read and written by c:
// the same function, or two that were each given the name on purpose.
func (o owner) admits(c owner) bool { return o.fn == c.fn || o.given && c.given }

// ownerTagLen is the length of an owner tag.
const ownerTagLen = 9

// tag is the owner's mark in the stamp of every result it writes: a byte
// that says whether the FuncName was given, then the first 8 bytes of the
// SHA-256 of the function's name. The owner record is read once per Memo,
// so another process could clear the name and another function claim it
// in between; the tag lets a hit tell such an entry from its own, at the
// cost of 10 bytes an entry.
func (o owner) tag(customHash bool) string {
	sum := sha256.Sum256([]byte(o.fn))
	var flags byte
	if o.given {
		flags |= tagGiven
	}
	if customHash {
		flags |= tagCustomHash
	}
	return string(append([]byte{flags}, sum[:ownerTagLen-1]...))
}

// The bits of an owner tag's first byte.
const (
	tagGiven      = 1 << iota // the FuncName was given
	tagCustomHash             // the writer hashed keys with Options.Hash
)

// admitsTag is admits for the writer of an entry known by its tag; an
// entry whose stamp has none (written before tags, or by pypersist) is
// admitted, as the owner record admits it.
func (m *Memo) admitsTag(tag []byte) bool {
	switch {
	case len(tag) == 0:
		return true
	case len(tag) == ownerTagLen && len(m.ownerTag) == ownerTagLen:
		// As admits: the same function, however it got the name, or two
		// that were both given it. Array comparisons, in line: this is on
		// every hit's path.
		const digest = ownerTagLen - 1
		return [digest]byte(tag[1:]) == [digest]byte([]byte(m.ownerTag[1:])) ||
			tag[0]&tagGiven != 0 && m.ownerTag[0]&tagGiven != 0
	}
	return false
}

// entryOfAnother answers a lookup that found an entry another function
// wrote: the name changed hands since this Memo read its owner record. It
// reads the record again: a *NameClaimError if the name is the other
// function's now, else (the name is this function's once more) a miss, so
// that the entry is recomputed and replaced.
func (m *Memo) entryOfAnother(ctx context.Context, hash string) error {
	m.unclaim()
	if err := m.claimName(ctx); err != nil {
		return err
	}
	m.log.log(ctx, vDetails, "Entry written by another function; recomputing.", "hash", hash)
	return errMiss
}

// mainModule is the path of the program's main module, which qualifies the
// functions of package main: main.Square of one program is not main.Square
// of another.
var mainModule = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" {
		return bi.Main.Path
	}
	return ""
})

// ownerOf is the owner record a function claims: its full runtime name
// ("example.com/geometry.Square", "example.com/geometry.(*Grid).Cell"), with
// package main's qualified by the main module ("main.Square in
// example.com/tool").
func ownerOf(full string, given bool) owner {
	if strings.HasPrefix(full, "main.") {
		if mod := mainModule(); mod != "" {
			full += " in " + mod
		}
	}
	return owner{fn: full, given: given}
}

// claimName makes the store's owner record of the FuncName say that the
// results are this function's, or checks that they are; it returns a
// *NameClaimError when they belong to another function. Results stored
// without an owner record (by pypersist, or an earlier persist) are taken
// as they are: the first function to claim the name owns them from then
// on. Once the claim is settled later calls skip it, until Clear removes
// the record.
func (m *Memo) claimName(ctx context.Context) error {
	if m.claimed.Load() {
		return nil
	}
	m.claimMu.Lock()
	defer m.claimMu.Unlock()
	if m.claimed.Load() {
		return nil
	}
	return m.claimLocked(ctx)
}

// recheckName reads the owner record again, as claimName does the first
// time, without unclaiming the name meanwhile: calls that finish in
// between still store their results.
func (m *Memo) recheckName(ctx context.Context) error {
	m.claimMu.Lock()
	defer m.claimMu.Unlock()
	err := m.claimLocked(ctx)
	if err != nil {
		m.claimed.Store(false)
	}
	return err
}

// claimLocked is claimName's claim, with claimMu held.
func (m *Memo) claimLocked(ctx context.Context) error {
	stored, err := m.store.ClaimOwner(ctx, m.name, m.owner.encode())
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		if !m.toldNoOwners.Swap(true) { // once: entryOfAnother asks again
			m.log.log(ctx, vProblems, "The store keeps no owner records: nothing stops another function from using this FuncName.", "err", err)
		}
	case err != nil:
		return err
	default:
		if have := parseOwner(stored); !have.admits(m.owner) {
			return &NameClaimError{FuncName: m.name, Owner: have.fn, OwnerGiven: have.given,
				Claimant: m.owner.fn, ClaimantGiven: m.owner.given}
		}
	}
	m.claimed.Store(true)
	return nil
}

// unclaim makes the next call claim the FuncName again, after Clear has
// removed the owner record with the results.
func (m *Memo) unclaim() { m.claimed.Store(false) }

// withoutStore answers a call whose FuncName could not be claimed: with
// the function's own results when the options say a store failure may be
// bypassed, else with the error. Nothing is read or written, since the
// results under the name may be another function's.
func (m *Memo) withoutStore(ctx context.Context, in []reflect.Value, err error) ([]reflect.Value, error) {
	if !m.recoverable(ctx, err) {
		return nil, err
	}
	if m.ft.IsVariadic() {
		return m.fn.CallSlice(in), nil
	}
	return m.fn.Call(in), nil
}
