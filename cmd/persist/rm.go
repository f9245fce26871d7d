package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gopersist/persist/stores"
)

func newRmCommand() *cobra.Command {
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "rm URL FUNCNAME HASH...",
		Short: "remove entries",
		Long: `Rm removes the entries HASH... of function FUNCNAME from the cache at URL,
so that the next call with their keys computes them again.

It asks for confirmation on the terminal; -y removes without asking, and
is required when standard input is not a terminal. It goes through the
store, so in a directory cache it removes an entry's own files (.out,
.key, .meta), only if they are regular files, and nothing else: a link or
FIFO in their place, or in place of the function's directory, is an error
(persist verify lists such files).

A HASH that names no entry is reported and makes the exit status 1; the
others are removed all the same.

With --json it prints
  {"store": "./persist", "function": "triple",
   "removed": ["HASH", ...], "missing": ["HASH", ...]}`,
		Example: `  persist rm persist triple 6Vz3_Tg0s1Qx... 2a9kLpW0...
  persist ls --json persist triple | jq -r '.entries[].hash' | xargs persist rm -y persist triple`,
		Args: argsBetween(3, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCache(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			funcname, hashes := args[1], args[2:]
			for _, h := range hashes {
				if err := stores.ValidName("hash", h); err != nil {
					return err
				}
			}
			ok, err := confirm(cmd, yes, fmt.Sprintf("Remove %s of %s from %s?", count(len(hashes), "entry", "entries"), funcname, c.name))
			if err != nil || !ok {
				if err == nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "nothing removed")
				}
				return err
			}
			return rmEntries(cmd, c, funcname, hashes, asJSON)
		},
	}
	yesFlag(cmd, &yes)
	jsonFlag(cmd, &asJSON)
	return cmd
}

func rmEntries(cmd *cobra.Command, c *cache, funcname string, hashes []string, asJSON bool) error {
	removed, missing := []string{}, []string{}
	var failed error
	for _, h := range hashes {
		err := c.Delete(cmd.Context(), funcname, h)
		switch {
		case err == nil:
			removed = append(removed, h)
			if !asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s/%s\n", funcname, h)
			}
		case errors.Is(err, stores.ErrNotFound):
			missing = append(missing, h)
			fmt.Fprintf(cmd.ErrOrStderr(), "persist: no entry %s of %s in %s\n", h, funcname, c.name)
		default:
			// A store that fails once will likely fail for the rest: stop.
			failed = err
		}
		if failed != nil {
			break
		}
	}
	if asJSON {
		if err := writeJSON(cmd.OutOrStdout(), map[string]any{
			"store": c.name, "function": funcname, "removed": removed, "missing": missing,
		}); err != nil {
			return err
		}
	}
	switch {
	case failed != nil:
		return failed
	case len(missing) > 0:
		return fmt.Errorf("%s not found", count(len(missing), "entry", "entries"))
	}
	return nil
}
