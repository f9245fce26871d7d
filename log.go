package persist

import (
	"context"
	"log/slog"
	"os"
)

// Verbosity levels, as pypersist's.
const (
	vProblems = 1 // failures the caller should know of
	vWrites   = 2 // writes and clears
	vReads    = 3 // reads and misses
	vDetails  = 4 // keys and file names
)

var slogLevel = [...]slog.Level{
	vProblems: slog.LevelWarn,
	vWrites:   slog.LevelInfo,
	vReads:    slog.LevelDebug,
	vDetails:  slog.LevelDebug - 4,
}

// defaultLogger writes every level it is given: the verbosity, not the
// handler, decides what is logged.
var defaultLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))

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

func (l *logger) log(ctx context.Context, level int, msg string, args ...any) {
	if l.on(level) {
		l.l.Log(ctx, slogLevel[level], msg, args...)
	}
}
