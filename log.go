package persist

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopersist/persist/stores"
)

// Verbosity levels, as pypersist's.
const (
	vProblems = 1 // failures the caller should know of
	vWrites   = 2 // writes and clears
	vReads    = 3 // reads and misses, file by file
	vDetails  = 4 // keys and file names
)

// Verbosity decides what is logged, not the handler: every message it asks
// for is logged at slog.LevelInfo, problems at slog.LevelWarn, so that a
// handler at its default level (slog.Default() included) shows them all.
// The attribute "verbosity" carries the message's pypersist level.
func slogLevel(verbosity int) slog.Level {
	if verbosity <= vProblems {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// defaultLogger writes text to stderr at slog's default level, which shows
// every message (see slogLevel).
var defaultLogger = slog.New(slog.NewTextHandler(os.Stderr, nil))

// logger logs at pypersist's verbosity levels through slog.
type logger struct {
	l         *slog.Logger
	verbosity int
}

func newLogger(l *slog.Logger, verbosity int, funcName string) logger {
	if l == nil {
		l = defaultLogger
	}
	if verbosity == 0 {
		verbosity = vProblems
	}
	return logger{l: l.With("func", funcName), verbosity: verbosity}
}

// on reports whether a message of this level is logged; callers check it
// before building expensive arguments.
func (l *logger) on(level int) bool { return l.verbosity >= level }

// only reports whether the verbosity is exactly level: pypersist replaces
// some messages by more detailed ones at the next level.
func (l *logger) only(level int) bool { return l.verbosity == level }

func (l *logger) log(ctx context.Context, level int, msg string, args ...any) {
	if l.on(level) {
		l.l.Log(ctx, slogLevel(level), msg, append([]any{"verbosity", level}, args...)...)
	}
}

// The messages below are pypersist's, word for word and at its levels,
// around the store's operations. A store writes or deletes an entry's
// files in one operation, so the messages announcing each file come
// before it and the ones saying it is done after it.

// file names one of an entry's files in messages: its path in the file
// store, as pypersist prints it (persist/triple/<hash>.out), and the same
// path under the store's URL elsewhere (mem://name/triple/<hash>.out).
func (m *Memo) file(hash, ext string) string {
	base, _, _ := strings.Cut(m.store.URL(), "?")
	if dir, ok := strings.CutPrefix(base, "file://"); ok {
		return filepath.Join(dir, m.name, hash+ext)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + m.name + "/" + hash + ext
}

// files lists the files an entry of this function is stored in, as
// pypersist's messages name them: the result, its key (StoreKey), its
// metadata (Metadata).
func (m *Memo) files(hash string) []string {
	fs := []string{m.file(hash, ".out")}
	if m.opts.StoreKey {
		fs = append(fs, m.file(hash, ".key"))
	}
	if m.opts.Metadata != nil {
		fs = append(fs, m.file(hash, ".meta"))
	}
	return fs
}

// logGetting opens a read of the cache.
func (m *Memo) logGetting(ctx context.Context, key any, hash string) {
	switch {
	case m.log.only(vReads):
		m.log.log(ctx, vReads, "Getting cache.")
	case m.log.on(vDetails):
		m.log.log(ctx, vDetails, "Getting key "+formatValue(key)+" from "+m.file(hash, ".out")+".")
	}
}

// logNoEntry reports a miss.
func (m *Memo) logNoEntry(ctx context.Context, key any, hash string) {
	if m.log.on(vReads) {
		m.log.log(ctx, vReads, "No entry for "+formatValue(key)+" as "+m.file(hash, ".out")+" does not exist.")
	}
}

// logRead closes a read that found a result.
func (m *Memo) logRead(ctx context.Context) { m.log.log(ctx, vReads, "Done reading cache.") }

// logCollision reports a hash collision, if err is one.
func (m *Memo) logCollision(ctx context.Context, err error) {
	var hce *HashCollisionError
	if m.log.on(vProblems) && errors.As(err, &hce) {
		m.log.log(ctx, vProblems, "Key ("+formatValue(hce.Call)+") does not match stored key ("+formatValue(hce.Stored)+").",
			"hash", hce.Hash)
	}
}

// putEntry stores rec under hash, as pypersist's cache[key] = value.
func (m *Memo) putEntry(ctx context.Context, hash string, key any, rec stores.Record) error {
	var files []string
	switch {
	case m.log.only(vWrites):
		m.log.log(ctx, vWrites, "Writing to "+m.where+".")
	case m.log.on(vReads):
		var detail []any
		if m.log.on(vDetails) {
			detail = []any{"key", formatValue(key)}
		}
		files = m.files(hash)
		for _, f := range files {
			m.log.log(ctx, vReads, "Writing to "+f, detail...)
		}
	}
	if life := m.opts.MaxAge + m.opts.StaleWhileRefresh; m.opts.MaxAge > 0 && life >= m.opts.MaxAge {
		// No call of this Memo serves the entry past this, unless
		// WithMaxAge asks for a longer age. (A sum that overflowed, a
		// MaxAge meaning "for ever", sets no expiry.)
		rec.Expires = time.Now().Add(life)
	}
	if err := m.store.Put(ctx, m.name, hash, rec); err != nil {
		return err
	}
	m.stats.bytesWritten.Add(uint64(len(rec.Result) + len(rec.Key)))
	for _, f := range files {
		m.log.log(ctx, vReads, "Done writing "+f+".")
	}
	m.log.log(ctx, vReads, "Done writing all files.")
	return nil
}

// deleteEntry removes the entry under hash, as pypersist's del cache[key].
func (m *Memo) deleteEntry(ctx context.Context, key any, hash string) error {
	var files []string
	switch {
	case m.log.only(vReads):
		m.log.log(ctx, vReads, "Deleting cache item.")
	case m.log.on(vDetails):
		files = m.files(hash)
		for _, f := range files {
			m.log.log(ctx, vDetails, "Deleting cache item "+formatValue(key)+" in file "+f+".")
		}
	}
	if err := m.store.Delete(ctx, m.name, hash); err != nil {
		return err
	}
	for _, f := range files {
		m.log.log(ctx, vDetails, "File "+f+" deleted.")
	}
	m.log.log(ctx, vReads, "Done deleting cache item.")
	return nil
}

// clearEntries removes every entry of the function, as pypersist's
// cache.clear().
func (m *Memo) clearEntries(ctx context.Context) error {
	m.log.log(ctx, vWrites, "Clearing cache.")
	if err := m.store.Clear(ctx, m.name); err != nil {
		return err
	}
	m.log.log(ctx, vReads, "Cache cleared.")
	return nil
}
