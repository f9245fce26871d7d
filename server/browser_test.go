package server_test

import (
	"context"
	"html"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores/storetest"
)

// chromium returns the path of Debian's chromium. Under CI=true, where
// .ci/run installs it, a missing browser fails the test; elsewhere the test
// is skipped with the reason.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	storetest.Missing(t, "chromium is not installed (apt-get install -y chromium): the dashboard's browser test needs it")
	return ""
}

// renderedDOM loads url in headless Chromium and returns the document as
// the browser built it, after any script the page ran.
func renderedDOM(t *testing.T, browser, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--dump-dom", url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", url, err, stderr.String())
	}
	return string(out)
}

var (
	tagsRe   = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)
	spacesRe = regexp.MustCompile(`\s+`)
)

// visibleText is the text of a dumped document, without tags, unescaped
// and with runs of white space made one space.
func visibleText(dom string) string {
	return strings.TrimSpace(spacesRe.ReplaceAllString(html.UnescapeString(tagsRe.ReplaceAllString(dom, " ")), " "))
}

// TestUIInBrowser loads the dashboard's pages in headless Chromium, over
// entries a memoised function wrote, and checks what a person sees: the
// functions with their counts, a function's keys, an entry's key, value and
// metadata; and that a key holding a script is shown as text, not run.
func TestUIInBrowser(t *testing.T) {
	browser := chromium(t)
	f := newUIFixture(t, server.Options{})
	hostile := f.hostileHash(t)

	inert := func(page, dom string) {
		t.Helper()
		switch {
		case strings.Contains(dom, "<script"):
			t.Errorf("%s: the document has a script element:\n%s", page, dom)
		case strings.Contains(dom, "<blink"):
			t.Errorf("%s: the hostile key's script ran (it added an element):\n%s", page, dom)
		case strings.Contains(dom, "<title>owned</title>"):
			t.Errorf("%s: the hostile key's script ran (it set the title):\n%s", page, dom)
		}
	}

	dom := renderedDOM(t, browser, f.url+"/ui/")
	text := visibleText(dom)
	for _, want := range []string{"Functions", "greet 3", "square 60"} {
		if !strings.Contains(text, want) {
			t.Errorf("/ui/ shows %q, without %q", text, want)
		}
	}

	dom = renderedDOM(t, browser, f.url+"/ui/greet")
	inert("/ui/greet", dom)
	text = visibleText(dom)
	for _, want := range []string{"(('name', 'ada'),)", "(('name', 'grace'),)", "(('name', '" + hostileName + "'),)", hostile} {
		if !strings.Contains(text, want) {
			t.Errorf("/ui/greet shows %q, without %q", text, want)
		}
	}

	page := "/ui/greet/" + url.PathEscape(hostile)
	dom = renderedDOM(t, browser, f.url+page)
	inert(page, dom)
	if !strings.Contains(dom, "<title>"+html.EscapeString(hostile)+" · persist</title>") {
		t.Errorf("%s: the title is not the entry's hash:\n%s", page, dom)
	}
	text = visibleText(dom)
	for _, want := range []string{
		"key (('name', '" + hostileName + "'),)",
		"metadata written by the dashboard test",
		"encoding default",
		`"hello, ` + strings.ReplaceAll(hostileName, `"`, `\"`) + `"`, // the value, as JSON
	} {
		if !strings.Contains(text, want) {
			t.Errorf("%s shows %q, without %q", page, text, want)
		}
	}
}
