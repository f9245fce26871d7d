package persist

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gopersist/persist/stores"
	"time"
)

// DefaultCache is where results go when Options.Cache is empty: the
// directory "persist" under the working directory, as in pypersist.
const DefaultCache = "file://persist/"

// Options customise Decorate. They are named after pypersist's parameters.
// The zero value memoises into files under ./persist with the default key,
// hash and pickling. Hooks are funcs of the shapes documented on each field,
// checked once by Decorate.
type Options struct {
	// Cache is the URL of the store: "file://dir/" (or a bare directory),
	// "mem://name", "http://host:port/persist" (a persist server), or any
	// scheme a blank-imported backend registers, such as "mongodb://".
	Cache string
	// Store, if set, is used instead of opening Cache. It is shared, not
	// owned: Memo.Close leaves it open.
	Store *stores.Store
	// FuncName names the function's results in the store. It defaults to
	// the function's short name ("triple"); anonymous functions, method
	// values and generic functions must be given one.
	FuncName string
	// Spec names the parameters, with their defaults and kinds: a struct
	// value with one field per parameter, in order, each of the parameter's
	// type. Go cannot see parameter names, so without a Spec they are
	// arg0, arg1, …, and keys (Cache.Get's too) are written with those.
	//
	// A field's name with its first letter in lower case is the
	// parameter's name in keys (field X is "x"). Its tag says what kind of
	// parameter it is:
	//
	//	persist:"name,default,kwonly,variadic,ignore"
	//
	// where every part is optional:
	//
	//   - name: the parameter's name in keys, instead of the field's.
	//   - default: the field's value in the Spec is the parameter's
	//     default, of any type: an argument equal to it is left out of the
	//     key, and Memo.CallKW fills it in when it is not given.
	//   - kwonly: the parameter can be given only by keyword (in
	//     Memo.CallKW), as Python's parameters after *.
	//   - variadic: the parameter is the function's ...T, and its field a
	//     []T. The last parameter of a variadic function is variadic
	//     without saying.
	//   - ignore: the parameter is left out of the key, as for a logger.
	//
	// A context.Context parameter is always left out of the key, and
	// defaults to context.Background() in Memo.CallKW. Python's
	// def foo(x, y, z=1, *, a=3) is
	//
	//	type fooArgs struct {
	//		X, Y int
	//		Z    int `persist:",default"`
	//		A    int `persist:",kwonly,default"`
	//	}
	//	memo, err := persist.Decorate(foo, persist.Options{Spec: fooArgs{Z: 1, A: 3}})
	Spec any
	// Key replaces the default key: a func taking the same parameters as
	// the memoised function and returning any key value, optionally with an
	// error. pypersist's key=lambda *args: sorted(args) is
	// func(args ...int) []int.
	Key any
	// Hash turns a key into the entry's name: func(K) string, optionally
	// with an error, where K is the key's type (Key by default). The result
	// must be one safe file name. The default is SHA-256, see Hash.
	Hash any
	// Unhash recovers a key from a hash: func(string) K, optionally with an
	// error. It must invert Hash; it makes iteration over keys possible and
	// turns a colliding hash into a HashCollisionError.
	Unhash any
	// StoreKey keeps each key beside its result, so that a hash collision is
	// detected (HashCollisionError) and keys can be iterated.
	StoreKey bool
	// Pickle and Unpickle replace the default encoding of results (CBOR in
	// a checksummed zstd frame): func(R) string or []byte and
	// func(string or []byte) R, each optionally with an error, where R is
	// the result type ([]any for functions of several results).
	// pypersist's pickle=str, unpickle=int is strconv.Itoa and
	// strconv.Atoi.
	Pickle, Unpickle any
	// Metadata, if set, is called for each new result and its text is kept
	// beside it (<hash>.meta in the file store).
	Metadata func() string
	// FailOnDamaged makes a stored entry that cannot be decoded an error, a
	// DecodeError, for those who would rather stop than recompute. By
	// default a damaged entry is a miss, as in the Go build cache: it is
	// recomputed and replaced, and logged once at the problems level. It
	// needs a function with a trailing error result to report through.
	FailOnDamaged bool
	// Version names the version of the function's code. A result stored
	// by another version is a miss: recomputed and replaced. It defaults
	// to the fingerprint that persist fingerprint registered for the
	// function (see RegisterFingerprint), or "": results stored before
	// versions existed, and without one, are of version "", so that
	// setting none changes nothing for an existing cache. Two versions
	// never share an entry, whatever Hash is: the version is kept in the
	// entry's Stamp.
	Version string
	// MaxAge, if positive, makes an entry older than it a miss (cachier's
	// stale_after): recomputed and replaced. WithMaxAge sets it for one
	// call. A store that expires records by itself (Redis) removes the
	// entries a Memo writes once past MaxAge + StaleWhileRefresh, where no
	// call of the Memo would serve them; a WithMaxAge longer than that
	// finds them gone there.
	MaxAge time.Duration
	// StaleWhileRefresh is a grace period past MaxAge (cachier's
	// next_time): an entry older than MaxAge but not by more than this is
	// returned at once, and one background computation per key replaces
	// it; a refresh that fails keeps it, and is logged. Close waits for the
	// refreshes under way.
	StaleWhileRefresh time.Duration
	// ComputeOnStoreError computes the result when the store cannot be
	// read (a server down, say), logging the failure. By default the call
	// fails with the store's error.
	ComputeOnStoreError bool
	// Verbosity is pypersist's: 1 problems only, 2 also writes and clears,
	// 3 also reads, and each file written or deleted, 4 also the keys. The
	// zero value means 1; Silent (pypersist's 0) logs nothing. The messages
	// are pypersist's, word for word ("Getting cache.", "Done reading
	// cache.", "Writing to persist/triple/<hash>.out", …).
	//
	// Verbosity alone decides what is logged: every message it asks for
	// goes out at slog.LevelInfo, and problems at slog.LevelWarn, so that
	// a handler at its default level, slog.Default() among them, shows
	// them all. The attribute "verbosity" is the level a message belongs
	// to, for handlers that filter further.
	Verbosity int
	// Logger receives the log, with the attribute "func" naming the
	// function. The default writes text to stderr.
	Logger *slog.Logger
}

// Silent is the Verbosity that logs nothing, pypersist's verbosity=0.
const Silent = -1

// Memo is a memoised function. Its methods are safe for concurrent use.
type Memo struct {
	fn       reflect.Value
	ft       reflect.Type
	name     string
	spec     *argSpec
	hooks    *hooks
	results  []reflect.Type // the results kept: all but a trailing error
	errIndex int            // index of the trailing error result, or -1
	opts     Options
	store    *stores.Store
	ownStore bool
	where    string // "files", "memory" or "server", for log messages
	log      logger
	flight   flight
	detached sync.WaitGroup // writes finishing after their caller's context ended; Close waits for them
	wrapped  reflect.Value

	owner        owner       // the owner record this function claims for name
	ownerTag     string      // owner.tag(), in the stamp of every result written
	defaults     string      // spec.defaultsDigest(), in the stamp of every result written
	claimMu      sync.Mutex  // serialises claims of the name
	claimed      atomic.Bool // the store's owner record admits this function
	toldNoOwners atomic.Bool // the store's lack of owner records was logged
	fastHits     bool        // hits take hitpath.go's way

	version    string   // the version of m's results (version.go)
	stamped    bool     // results are written with a Stamp
	stats      counters // what Stats reports
	refreshing sync.Map // hash → true while a background refresh of it runs

	lockUnsupported sync.Once // logs, once, that the store's Lock is unsupported
}

// Decorate memoises fn, any func value. It checks the options against fn's
// type and opens the store; the returned Memo's Func is fn's memoised twin.
func Decorate(fn any, opts Options) (*Memo, error) {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return nil, optErrorf("", "Decorate needs a non-nil func, got %T", fn)
	}
	m := &Memo{fn: fv, ft: fv.Type(), opts: opts, errIndex: -1}
	name, full, err := funcName(fv, opts.FuncName)
	if err != nil {
		return nil, err
	}
	m.name = name
	m.owner = ownerOf(full, opts.FuncName != "")
	m.ownerTag = m.owner.tag(opts.Hash != nil)
	for i := range m.ft.NumOut() {
		if i == m.ft.NumOut()-1 && m.ft.Out(i) == errorType {
			m.errIndex = i
			continue
		}
		m.results = append(m.results, m.ft.Out(i))
	}
	if m.spec, err = compileSpec(name, m.ft, opts.Spec); err != nil {
		return nil, err
	}
	if m.hooks, err = compileHooks(name, m.ft, m.resultType(), &opts); err != nil {
		return nil, err
	}
	if err := m.settleVersion(full); err != nil {
		return nil, err
	}
	if err := m.checkDamagePolicy(); err != nil {
		return nil, err
	}
	if err := m.checkPickling(); err != nil {
		return nil, err
	}
	if opts.Store != nil {
		m.store = opts.Store
	} else {
		url := opts.Cache
		if url == "" {
			url = DefaultCache
		}
		if m.store, err = stores.Open(context.Background(), url); err != nil {
			return nil, err
		}
		m.ownStore = true
	}
	m.where = describeStore(opts.Cache, opts.Store)
	if err := m.settleName(); err != nil {
		_ = m.Close()
		return nil, err
	}
	m.fastHits = m.canHitFast()
	m.wrapped = reflect.MakeFunc(m.ft, m.callReflect)
	return m, nil
}

// Wrap is Decorate for callers who want fn's memoised twin with its own
// type, sparing the type assertion:
//
//	triple, memo, err := persist.Wrap(triple, persist.Options{Spec: struct{ X int }{}})
//
// Since the twin has fn's type, it reports a failure of the cache (an
// argument that cannot be hashed, a store that cannot be read, a hash
// collision) through fn's trailing error result if fn has one, and
// otherwise panics with the error. Give fn an error result, or call
// through Memo.Call, where such a failure must not stop the program. A
// result that cannot be stored is only logged: the call still returns it.
func Wrap[F any](fn F, opts Options) (F, *Memo, error) {
	m, err := Decorate(fn, opts)
	if err != nil {
		var zero F
		return zero, nil, err
	}
	return m.Func().(F), m, nil
}

// Func returns the memoised function, of the same type as the decorated
// one. When the function has a trailing error result, failures of the
// cache (an unhashable argument, a hash collision, a store that is down)
// come back through it; otherwise they panic with the error, since the
// function's type has no other way to report them.
func (m *Memo) Func() any { return m.wrapped.Interface() }

// FuncName returns the name the results are stored under.
func (m *Memo) FuncName() string { return m.name }

// Store returns the store the results are kept in.
func (m *Memo) Store() *stores.Store { return m.store }

// Close closes the store if Decorate opened it.
func (m *Memo) Close() error {
	m.detached.Wait()
	if m.ownStore {
		return m.store.Close()
	}
	return nil
}

// Clear removes every stored result of the function, as pypersist's
// f.clear(), and the record of which function they belong to.
func (m *Memo) Clear() error { return m.Cache().Clear() }

// settleName checks the FuncName against the store's name rules and claims
// it for the function (see claimName). A defaulted name of a method
// expression, "Pricer.Price", becomes "Pricer_Price" on a store whose
// names cannot hold a dot, such as a REST server; in files it keeps its
// dot, so existing directories stay where they are. A store that cannot be
// reached now is no error: the first call claims the name before it reads
// or writes a result.
func (m *Memo) settleName() error {
	err := m.store.CheckName("funcname", m.name)
	if err != nil && m.opts.FuncName == "" {
		alt := strings.ReplaceAll(m.name, ".", "_")
		if alt != m.name && m.store.CheckName("funcname", alt) == nil {
			m.name, err = alt, nil
		}
	}
	if err != nil {
		return optErrorf(m.name, "FuncName %q cannot be used with this store (%s): %v", m.name, m.where, err)
	}
	m.log = newLogger(m.opts.Logger, m.opts.Verbosity, m.name)
	err = m.claimName(context.Background())
	var nc *NameClaimError
	if errors.As(err, &nc) {
		return err
	}
	if err != nil {
		m.log.log(context.Background(), vDetails, "Cannot read the owner of the FuncName now; the first call will.", "err", err)
	}
	return nil
}

// resultType is what Pickle receives and Unpickle returns: the result's own
// type for a function of one result, []any otherwise.
func (m *Memo) resultType() reflect.Type {
	if len(m.results) == 1 {
		return m.results[0]
	}
	return anySlice
}

// anonymousName matches runtime names that change with unrelated edits or
// are shared by unrelated functions: closures (.func1), method values
// (-fm), generic instances ([...]) and functions made by reflect.MakeFunc,
// such as another Memo's Func (all named reflect.makeFuncStub).
var anonymousName = regexp.MustCompile(`(^|\.)func\d+(\.\d+)*$|-fm$|\[|^reflect\.(makeFuncStub|methodValueCall)$`)

// funcName picks the name results are stored under: the given one, or the
// function's short name, "triple" for main.triple and "A.ThisPlusNumber"
// for the method expression (*A).ThisPlusNumber.
func funcName(fv reflect.Value, given string) (name, full string, err error) {
	full = "unknown"
	if f := runtime.FuncForPC(fv.Pointer()); f != nil {
		full = f.Name()
	}
	name = given
	if name == "" {
		short := full[strings.LastIndex(full, "/")+1:]
		if i := strings.Index(short, "."); i >= 0 {
			short = short[i+1:]
		}
		if anonymousName.MatchString(full) {
			return "", "", optErrorf(full, "%s is an anonymous function, a method value or a generic function: give it a FuncName, "+
				"since its generated name changes when code around it is edited (and a method value hides its receiver from the key)", full)
		}
		name = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(short)
	}
	if err := stores.ValidName("funcname", name); err != nil {
		return "", "", optErrorf(name, "FuncName: %v", err)
	}
	return name, full, nil
}

func describeStore(url string, s *stores.Store) string {
	if s != nil {
		return "store"
	}
	switch {
	case url == "" || strings.HasPrefix(url, "file:") || !strings.Contains(url, "://"):
		return "files"
	case strings.HasPrefix(url, "mem:"):
		return "memory"
	}
	return "server"
}
