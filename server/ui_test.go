package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gopersist/persist/server"
)

// get fetches a dashboard page and returns its status and body.
func get(t testing.TB, rawURL string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET %s: Content-Type %q", rawURL, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

var nextLink = regexp.MustCompile(`id="next" href="([^"]+)"`)

// TestUIReadsAtMostOnePage walks every page of the dashboard and checks
// that none reads more records than one page of entries: the list of
// functions none, a function's page at most PageSize, an entry one.
func TestUIReadsAtMostOnePage(t *testing.T) {
	f := newUIFixture(t, server.Options{PageSize: 25})
	cost := func(path string) (string, int64) {
		t.Helper()
		before := f.counts.Counts().Reads
		status, body := get(t, f.url+path, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, status, body)
		}
		return body, f.counts.Counts().Reads - before
	}

	body, n := cost("/ui/")
	if n != 0 {
		t.Errorf("the list of functions read %d records, want none", n)
	}
	for _, want := range []string{">greet</a>", ">square</a>", `<td class="n">3</td>`, `<td class="n">60</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list of functions lacks %q:\n%s", want, body)
		}
	}

	seen := map[string]bool{}
	path, pages := "/ui/square", 0
	for path != "" {
		body, n := cost(path)
		pages++
		if n > 25 {
			t.Errorf("%s read %d records, more than a page of 25", path, n)
		}
		for _, m := range regexp.MustCompile(`<code>\(\(&#39;arg0&#39;, (\d+)\),\)</code>`).FindAllStringSubmatch(body, -1) {
			seen[m[1]] = true
		}
		path = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil {
				t.Fatal(err)
			}
			path = u.String()
		}
	}
	if pages != 3 || len(seen) != f.squares {
		t.Errorf("paging showed %d keys in %d pages, want %d in 3", len(seen), pages, f.squares)
	}

	body, n = cost("/ui/greet/" + url.PathEscape(f.hostileHash(t)))
	if n != 1 {
		t.Errorf("an entry's page read %d records, want 1", n)
	}
	for _, want := range []string{
		"written by the dashboard test",
		"hello, &lt;script&gt;document.title=\\&#34;owned\\&#34;",             // the value, as JSON, escaped
		"((&#39;name&#39;, &#39;&lt;script&gt;document.title=&#34;owned&#34;", // the key as persist prints it
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the entry's page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Errorf("the entry's page has a script element:\n%s", body)
	}
}

// TestUIObeysTokenRules checks that the dashboard answers as the API does:
// with TokenForAll it needs the token, with TokenForWrites it does not.
func TestUIObeysTokenRules(t *testing.T) {
	all := newUIFixture(t, server.Options{Token: "s3cret", TokenFor: server.TokenForAll})
	for _, path := range []string{"/ui/", "/ui/greet", "/ui/greet/" + url.PathEscape(all.hostileHash(t))} {
		if status, _ := get(t, all.url+path, nil); status != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, status)
		}
		if status, _ := get(t, all.url+path, map[string]string{"Authorization": "Bearer s3cret"}); status != http.StatusOK {
			t.Errorf("GET %s with the token: %d, want 200", path, status)
		}
	}
	writes := newUIFixture(t, server.Options{Token: "s3cret"})
	if status, _ := get(t, writes.url+"/ui/", nil); status != http.StatusOK {
		t.Errorf("GET /ui/ under TokenForWrites: %d, want 200", status)
	}
}

// TestUIErrors checks the answers to names the store refuses or lacks.
func TestUIErrors(t *testing.T) {
	f := newUIFixture(t, server.Options{})
	for path, want := range map[string]int{
		"/ui/greet/nosuchhash":                  http.StatusNotFound,
		"/ui/greet/" + strings.Repeat("h", 201): http.StatusBadRequest,
		"/ui/nosuchfunction":                    http.StatusOK, // a function with no entries
		"/ui/square?after=nonsense":             http.StatusBadRequest,
	} {
		if status, body := get(t, f.url+path, nil); status != want {
			t.Errorf("GET %s: %d, want %d\n%s", path, status, want, body)
		}
	}
}

// TestUIOff checks that the dashboard is served only when asked for.
func TestUIOff(t *testing.T) {
	f := newFixture(t, server.Options{})
	if status, _ := get(t, f.url+"/ui/", nil); status != http.StatusNotFound {
		t.Errorf("GET /ui/ without Options.UI: %d, want 404", status)
	}
}
