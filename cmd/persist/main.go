// Persist is a tool for managing persistent memoisation caches: the stores
// that persist-wrapped functions keep their results in.
//
// Usage:
//
//	persist <command> [arguments]
//
// The commands are:
//
//	ls      list the functions of a cache, or the entries of one
//	show    show one entry: key, value, metadata
//	rm      remove entries
//	clear   remove every entry of a function
//	verify  check that every entry decodes, and remove damaged ones
//	gc      remove entries by age and total size
//	serve   serve a store over pypersist's REST protocol
//
// Every command but serve takes the cache as its first argument: a store
// URL (file://DIR, mongodb://HOST/DB?collection=C, http://HOST:PORT/persist)
// or a directory; the default is ./persist. Persist links every store; a
// memory store (mem://) is refused, since it lives inside one process. Tables are printed for people, and --json prints
// one JSON document for scripts.
//
// Exit status: 0 when all went well, 1 when problems were found (damaged
// entries, missing entries, errors of the store), 2 for usage errors.
//
// Use "persist help <command>" for more information about a command.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	// Every store persist can open by URL. This command is a module of its
	// own so that it can link them all, MongoDB's driver included, while
	// the root module links none of the heavy ones.
	_ "github.com/gopersist/persist/stores/filestore"
	_ "github.com/gopersist/persist/stores/memstore"
	_ "github.com/gopersist/persist/stores/mongostore"
	_ "github.com/gopersist/persist/stores/redisstore"
	_ "github.com/gopersist/persist/stores/reststore"
	_ "github.com/gopersist/persist/stores/s3store"
)

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command line args and returns the exit status,
// reporting any error on stderr.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	msg := err.Error()
	if msg == "" {
		return code // the command has said all there is to say
	}
	fmt.Fprintln(stderr, "persist:", msg)
	if code == exitUsage && cmd != nil {
		topic := strings.TrimPrefix(strings.TrimPrefix(cmd.CommandPath(), root.Name()), " ")
		if topic == "help" {
			topic = ""
		}
		fmt.Fprintf(stderr, "Run 'persist help%s' for usage.\n", prefixSpace(topic))
	}
	return code
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

const rootLong = `Persist is a tool for managing persistent memoisation caches: the stores
that persist-wrapped functions keep their results in.

Every command but serve takes the cache as its first argument: a store URL
(file://DIR, mongodb://HOST/DB?collection=C, or http://HOST:PORT/persist
for a persist server) or a plain directory. Without one it is ./persist,
the directory that persist.Wrap uses by default. A cache that does not
exist is an error: no command creates one. A memory store (mem://NAME) is
refused: it lives inside the process that opened it.

Tables are printed for people; --json prints one JSON document for
scripts, whose shape each command's help describes.

Exit status:
  0  all went well
  1  problems were found: damaged entries (verify), entries or functions
     that do not exist (rm, clear, show, ls), a store that failed or a file
     that could not be read
  2  usage errors: an unknown command or flag or a bad flag value, a wrong
     number of arguments, a URL of an unknown scheme or a memory store, a
     function's directory given as a cache, rm or clear without -y when
     standard input is not a terminal`

// newRootCommand returns the persist command with its subcommands.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "persist",
		Short: "Persist is a tool for managing persistent memoisation caches.",
		Long:  rootLong,
		Example: `  persist ls                        # the functions in ./persist
  persist ls results triple         # the entries of triple in ./results
  persist show persist triple HASH  # one entry, its key and value
  persist verify --fix              # remove damaged entries of ./persist
  persist gc --older-than 30d --max-size 500MiB`,
		// Without this cobra prints an unknown command's name as help and
		// exits 0; here it is a usage error.
		Args:          cobra.ArbitraryArgs,
		RunE:          runRoot,
		SilenceUsage:  true,
		SilenceErrors: true,
		// For "did you mean ls?" after "lss".
		SuggestionsMinimumDistance: 2,
	}
	// The root runs only to report a missing or unknown command: its usage
	// shows "persist [command]" alone, not also "persist [flags]".
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable .HasParent}}", 1))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetHelpCommand(newHelpCommand(root))
	root.AddCommand(
		newLsCommand(),
		newShowCommand(),
		newRmCommand(),
		newClearCommand(),
		newVerifyCommand(),
		newGCCommand(),
		newServeCommand(),
		newFingerprintCommand(),
	)
	return root
}

// runRoot handles "persist" with no command, or with one that does not
// exist, as the go tool does: usage on stderr, exit status 2.
func runRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		cmd.SetOut(cmd.ErrOrStderr())
		if err := cmd.Help(); err != nil {
			return err
		}
		return usageError{}
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageErrorf("%s", msg)
}

// newHelpCommand replaces cobra's help command, which answers an unknown
// topic with exit status 0.
func newHelpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "show help for a command",
		Long: `Help shows the description, usage, flags and examples of a command, or
with no command, the list of commands.`,
		RunE: func(_ *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil {
				return usageErrorf("unknown help topic %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}
