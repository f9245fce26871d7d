package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// yesFlag adds -y to a command that removes entries.
func yesFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVarP(p, "yes", "y", false, "remove without asking for confirmation")
}

// errNoTerminal refuses a removal that nobody confirmed: without a
// terminal there is nobody to ask, and removing unasked would be worse.
var errNoTerminal = usageError{errors.New("standard input is not a terminal, so nobody can confirm: pass -y to remove without asking")}

// confirm asks question on the terminal and reports whether the answer was
// yes. With yes set it does not ask.
func confirm(cmd *cobra.Command, yes bool, question string) (bool, error) {
	if yes {
		return true, nil
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return false, errNoTerminal
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s [y/N] ", question)
	answer, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(cmd.ErrOrStderr())
		return false, nil // end of input: no
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
