// Package persist memoises Go functions persistently: wrap any function and
// its results are kept — in files by default, in memory, or in a shared
// server — and looked up instead of recomputed, across goroutines,
// processes, program runs and machines. It is the Go counterpart of
// Python's pypersist, whose walkthrough it follows section by section.
//
// # Quick start
//
//	func triple(x int) int { time.Sleep(time.Second); return 3 * x }
//
//	func main() {
//		triple, memo, err := persist.Wrap(triple, persist.Options{
//			Spec: struct{ X int }{}, // names the parameter x
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer memo.Close()
//		fmt.Println(triple(4)) // a second, then 12; persist/triple/<hash>.out is written
//		fmt.Println(triple(4)) // 12 at once, read from the file
//
//		// The stored result, as pypersist's triple.cache[(('x', 4),)]: 12 <nil>
//		fmt.Println(memo.Cache().Get(persist.KeyOf("x", 4)))
//	}
//
// [Wrap] (or [Decorate], which returns a [Memo]) checks the [Options]
// against the function's type once, and returns a function of the very
// same type. A trailing error result is never cached. triple has none, so
// a failure of the cache (a store that cannot be read, say) panics in it;
// give a function a trailing error result to get such failures as errors.
//
// # Keys
//
// A call's key is its arguments by name, with those equal to their
// defaults left out, sorted: pypersist's arg_tuple, here [ArgTuple], giving
// a [Key] such as (('x', 4),). Go cannot see parameter names, so a Spec
// struct declares them, with defaults and keyword-only parameters (see
// Options.Spec for its tags); without one they are arg0, arg1, …, and
// [KeyOf]("x", 4) must be written KeyOf("arg0", 4). The key is encoded
// canonically ([EncodeKey]) and hashed with SHA-256 ([Hash]) into the
// entry's file name. Options.Key, Options.Hash and Options.Unhash replace
// each step; a hash must be one safe file name or the call fails with
// [ErrInvalidHash] before any store is touched.
//
// # The cache as a map
//
// [Memo.Cache] returns a [Cache], the map-like view of the stored results:
// Get, Set, Delete, Contains, Len, Clear, and Keys, Values and All as
// iter.Seq2 when keys are stored (Options.StoreKey) or recoverable
// (Options.Unhash). With stored keys a hash collision is detected and
// reported as a [HashCollisionError].
//
// # Stores
//
// Options.Cache is a URL: "file://dir/" or a bare directory (the default is
// [DefaultCache], ./persist), "mem://name", "http://host:port/persist" for
// a persist server (cmd/persist serve), and "mongodb://…" once
// github.com/gopersist/persist/stores/mongostore is imported. Stores move
// bytes only; see package [github.com/gopersist/persist/stores].
//
// # Guarantees
//
// Results are pickled with CBOR in a checksummed zstd frame ([Pickle]) or
// with Options.Pickle and Options.Unpickle, such as strconv.Itoa and
// strconv.Atoi for files anyone can read. Writes are atomic: a crash leaves
// the old entry or the new one, never a partial one. Concurrent calls with
// one key compute once in a process, and once across processes where the
// store can lock (the file store and MongoDB can). A damaged entry is
// never a wrong result: it is recomputed and replaced, or, with
// Options.FailOnDamaged, a [DecodeError]. Every failure is a typed error
// for errors.Is and errors.As.
//
// # Logging
//
// Options.Verbosity is pypersist's, with its messages word for word:
// problems only by default, then writes, reads and details, as in
// "Getting cache." and "Writing to persist/triple/<hash>.out". They go to
// Options.Logger, a log/slog logger, at slog.LevelInfo (problems at
// slog.LevelWarn), so that any handler at its default level shows what
// Verbosity asks for; the attribute "verbosity" carries pypersist's level.
package persist
