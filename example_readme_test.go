package persist_test

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMECompiles checks the README's Go against the real API: the
// quick start as the program it is, the argument-spec snippet, and the
// code in the Options and "From pypersist to persist" tables, each made
// into statements of a function of its own, all checked by go vet (which
// also refuses unkeyed struct literals outside tests) in a module that
// uses this one; then it runs the quick start, and checks that it is
// gofmt'ed and the same in doc.go.
func TestREADMECompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's programs with the go command")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	quickStart := goBlocks(section(t, readme, "## Quick start"))
	specs := goBlocks(section(t, readme, "### Argument specs"))
	if len(quickStart) != 1 || len(specs) != 1 {
		t.Fatalf("README: %d Go blocks in Quick start, %d in Argument specs; want 1 each", len(quickStart), len(specs))
	}
	if formatted, err := format.Source([]byte(quickStart[0])); err != nil || string(formatted) != quickStart[0] {
		t.Errorf("the README's quick start is not gofmt'ed (%v); gofmt makes it\n%s", err, formatted)
	}
	// doc.go's quick start is the README's, from triple on.
	docGo, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var docQuickStart strings.Builder
	_, after, _ := strings.Cut(string(docGo), "// # Quick start\n//\n")
	for line := range strings.Lines(after) {
		if line == "//\n" {
			docQuickStart.WriteString("\n")
			continue
		}
		code, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			break
		}
		docQuickStart.WriteString(code)
	}
	_, readmeTail, _ := strings.Cut(quickStart[0], "func triple")
	if got, want := strings.TrimSpace(docQuickStart.String()), strings.TrimSpace("func triple"+readmeTail); got != want {
		t.Errorf("doc.go's quick start differs from the README's:\n%s\nwant\n%s", got, want)
	}

	var body strings.Builder
	fmt.Fprintf(&body, "func argumentSpecs() {\n%s\n_, _ = memo, err\n}\n\n", specs[0])
	n := 0
	for _, sec := range []string{"## Options", "## From pypersist to persist"} {
		for _, code := range tableCode(section(t, readme, sec)) {
			stmt, ok := snippetStatement(code)
			if !ok {
				continue
			}
			n++
			fmt.Fprintf(&body, "// %s: %s\nfunc snippet%d() {\n%s\n}\n\n", sec[3:], code, n, stmt)
		}
	}
	if n < 20 {
		t.Fatalf("found %d snippets in the README's tables; the tables' shape changed?", n)
	}

	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go .*$`).Find(mod) // the language version the README's code is for
	files := map[string]string{
		"go.mod": "module readme\n\n" + string(goLine) + "\n\nrequire github.com/gopersist/persist v0.0.0\n\n" +
			"replace github.com/gopersist/persist => " + root + "\n",
		"go.sum":               string(sum),
		"quickstart/main.go":   quickStart[0],
		"snippets/snippets.go": snippetsHeader + body.String(),
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command("go", args...) // go test puts its own go first in $PATH
		cmd.Dir = dir
		// The root module's own requirements, which the workspace may have
		// raised: what the module cache lacks of them is downloaded.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		return cmd
	}
	if out, err := goCmd("vet", "./...").CombinedOutput(); err != nil {
		t.Fatalf("go vet of the README's code: %v\n%s\nsnippets.go:\n%s", err, out, numbered(files["snippets/snippets.go"]))
	}

	// The quick start does what its comments say, in a directory of its
	// own (it writes ./persist).
	run := goCmd("run", "./quickstart")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("go run of the quick start: %v\n%s", err, stderr.Bytes())
	}
	if want := "12\n12\n12 <nil>\n"; string(out) != want {
		t.Errorf("the quick start printed %q, want %q (its comments)", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "persist", "triple")); err != nil {
		t.Errorf("the quick start wrote no persist/triple/: %v", err)
	}
}

// snippetsHeader declares what the tables' code refers to.
const snippetsHeader = `package snippets

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/gopersist/persist"
	"github.com/gopersist/persist/stores"
)

var (
	_ = errors.Is
	_ = fmt.Sprint
	_ = slog.Default
	_ = slices.Sorted[int]
	_ = strconv.Itoa
	_ = time.Now
)

func foo(x, y, z, a int) int { return x + y + z + a }

type fooArgs struct {
	X, Y int
	Z    int ` + "`persist:\",default\"`" + `
	A    int ` + "`persist:\",kwonly,default\"`" + `
}

var (
	memo        *persist.Memo
	f           func(int) int
	k           persist.Key
	v           any
	err         error
	sharedStore *stores.Store
)

`

var (
	fieldValue = regexp.MustCompile(`^[A-Z]\w*: `)
	bareMethod = regexp.MustCompile(`^[A-Z]\w*\(\)$`)
)

// snippetStatement turns one code span of a table into Go statements, or
// reports that it is not Go to check (Python, a name, an elided part).
func snippetStatement(code string) (string, bool) {
	switch {
	case strings.Contains(code, "…"), bareMethod.MatchString(code), !strings.ContainsAny(code, ".:"):
		return "", false
	case strings.HasPrefix(code, "for "):
		return code + " {\n_, _ = k, err\n}", true
	case strings.Contains(code, ":="):
		lhs, _, _ := strings.Cut(code, ":=")
		return "{\n" + code + "\n_" + strings.Repeat(", _", strings.Count(lhs, ",")) + " = " + lhs + "\n}", true
	case fieldValue.MatchString(code):
		return "_ = persist.Options{" + code + "}", true
	case strings.HasPrefix(code, "*"):
		return "var _ " + code, true
	case strings.HasSuffix(code, ")"):
		return code, true
	case strings.HasPrefix(code, "persist."):
		return "_ = " + code, true
	}
	return "", false
}

// section returns the README's text from the heading to the next heading
// of its level or above.
func section(t *testing.T, readme []byte, heading string) string {
	t.Helper()
	s := string(readme)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	s = s[i+len(heading)+2:]
	level := strings.Repeat("#", strings.Index(heading, " "))
	for j := 0; j < len(s); {
		line, _, _ := strings.Cut(s[j:], "\n")
		if strings.HasPrefix(line, "#") && strings.HasPrefix(level, line[:strings.Index(line+" ", " ")]) {
			return s[:j]
		}
		j += len(line) + 1
	}
	return s
}

// goBlocks returns the ```go blocks of a text.
func goBlocks(text string) []string {
	var blocks []string
	for {
		_, rest, ok := strings.Cut(text, "```go\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks = append(blocks, block)
		text = after
	}
}

// tableCode returns the code spans of the second column of a text's
// tables: the Go side.
func tableCode(text string) []string {
	var spans []string
	for line := range strings.Lines(text) {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		parts := strings.Split(cells[2], "`")
		for i := 1; i < len(parts); i += 2 {
			spans = append(spans, parts[i])
		}
	}
	return spans
}

func numbered(text string) string {
	var b bytes.Buffer
	for i, line := range strings.Split(text, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}
