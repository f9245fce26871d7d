package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/filestore"
)

// The exit statuses of persist, documented in its long help.
const (
	exitOK       = 0
	exitProblems = 1
	exitUsage    = 2
)

// usageError is a mistake in the command line: an unknown command or flag,
// a wrong number of arguments, a URL persist cannot open. An empty one
// reports nothing more (the usage was printed already).
type usageError struct{ err error }

func (e usageError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to persist's exit status. Besides explicit usage
// errors, a URL of an unknown scheme or with bad parameters and a funcname
// or hash that cannot be a name come from the command line.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u),
		errors.Is(err, stores.ErrUnknownScheme),
		errors.Is(err, filestore.ErrInvalidURL),
		errors.Is(err, stores.ErrInvalidName):
		return exitUsage
	}
	return exitProblems
}

// argsBetween is cobra.RangeArgs whose failure is a usage error.
// A negative high means no upper bound.
func argsBetween(low, high int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		n := len(args)
		switch {
		case low == high && n != low:
			return usageErrorf("want %s, got %d\nusage: %s", count(low, "argument", "arguments"), n, cmd.UseLine())
		case n < low:
			return usageErrorf("want at least %s, got %d\nusage: %s", count(low, "argument", "arguments"), n, cmd.UseLine())
		case high >= 0 && n > high:
			return usageErrorf("want at most %s, got %d\nusage: %s", count(high, "argument", "arguments"), n, cmd.UseLine())
		}
		return nil
	}
}

// count says n things: "1 entry", "3 entries".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
