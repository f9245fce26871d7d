package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newClearCommand() *cobra.Command {
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "clear URL FUNCNAME",
		Short: "remove every entry of a function",
		Long: `Clear removes every entry of function FUNCNAME from the cache at URL, as
pypersist's f.clear() does.

It asks for confirmation on the terminal; -y clears without asking, and is
required when standard input is not a terminal. It goes through the store,
so in a directory cache it removes the entries' files and the store's
leftovers (stale locks, unfinished writes), only regular files, and
nothing else: a README, an editor's backup or a planted link in the
function's directory stays, and a function directory that is a link is an
error. A function with no entries is reported and makes the exit status
1, as a mistyped name should.

With --json it prints
  {"store": "./persist", "function": "triple", "removed": 3}`,
		Example: `  persist clear persist triple
  persist clear -y http://127.0.0.1:5000/persist triple`,
		Args: argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCache(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, funcname := cmd.Context(), args[1]
			n, err := c.Len(ctx, funcname)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("no entries of %s in %s", funcname, c.name)
			}
			ok, err := confirm(cmd, yes, fmt.Sprintf("Remove all %s of %s from %s?", count(n, "entry", "entries"), funcname, c.name))
			if err != nil || !ok {
				if err == nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "nothing removed")
				}
				return err
			}
			if err := c.Clear(ctx, funcname); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"store": c.name, "function": funcname, "removed": n})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "removed %s of %s\n", count(n, "entry", "entries"), funcname)
			return err
		},
	}
	yesFlag(cmd, &yes)
	jsonFlag(cmd, &asJSON)
	return cmd
}
