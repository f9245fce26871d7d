package stores_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gopersist/persist/stores"
	"github.com/gopersist/persist/stores/driver"
)

// The registry is global, so the schemes these tests register are theirs
// alone, and registered once for the whole test binary.
var (
	openedURL  = make(chan *url.URL, 10)
	openedFile = make(chan *url.URL, 10)
	errRefused = errors.New("refused to open")
)

func init() {
	stores.Register("Stores-Test", func(_ context.Context, u *url.URL) (driver.Store, error) {
		openedURL <- u
		return bare{Store: memDriverOf("registry")}, nil
	})
	stores.Register("file", func(_ context.Context, u *url.URL) (driver.Store, error) {
		openedFile <- u
		return bare{Store: memDriverOf("registry-file")}, nil
	})
	stores.Register("stores-test-failing", func(context.Context, *url.URL) (driver.Store, error) {
		return nil, errRefused
	})
}

func TestRegisterOpen(t *testing.T) {
	for _, raw := range []string{"stores-test://host/path", "STORES-TEST://host/path", "Stores-Test://u:pw@host/path"} {
		st, err := stores.Open(t.Context(), raw)
		if err != nil {
			t.Fatalf("Open(%q): %v", raw, err)
		}
		u := <-openedURL
		if u.Host != "host" || u.Path != "/path" {
			t.Errorf("Open(%q) gave the open function %v", raw, u)
		}
		if want := stores.Redact(raw); st.URL() != want {
			t.Errorf("Open(%q).URL() = %q, want %q", raw, st.URL(), want)
		}
		if err := st.Put(t.Context(), "f", "h", stores.Record{Result: []byte("r")}); err != nil {
			t.Errorf("Put on the opened store: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if s := stores.Schemes(); !slices.IsSorted(s) || !slices.Contains(s, "stores-test") || !slices.Contains(s, "mem") {
		t.Errorf("Schemes() = %q, want them sorted, lower case, with stores-test and mem", s)
	}
	if _, err := stores.Open(t.Context(), "stores-test-failing://x"); !errors.Is(err, errRefused) {
		t.Errorf("Open of a scheme whose open function fails: %v, want its error", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a second Register of a scheme did not panic")
		}
	}()
	stores.Register("STORES-test", func(context.Context, *url.URL) (driver.Store, error) { return nil, nil })
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := stores.Open(t.Context(), "nosuch://x")
	var ue *stores.UnknownSchemeError
	if !errors.Is(err, stores.ErrUnknownScheme) || !errors.As(err, &ue) {
		t.Fatalf("Open of an unknown scheme = %v, want an UnknownSchemeError", err)
	}
	if ue.Scheme != "nosuch" || !slices.Contains(ue.Known, "mem") {
		t.Errorf("UnknownSchemeError{Scheme: %q, Known: %q}, want scheme nosuch and mem known", ue.Scheme, ue.Known)
	}
	_, err = stores.Open(t.Context(), "mem://%zz")
	var oe *stores.OpError
	if !errors.As(err, &oe) || oe.Op != "open" {
		t.Errorf("Open of a malformed URL = %v, want an OpError of open", err)
	}
}

// TestOpenBarePath checks that a string without a scheme opens the file
// store on it as a directory. This test binary does not import the file
// store, so the test registers the file scheme itself and reads the
// directory from the URL as the file store does.
func TestOpenBarePath(t *testing.T) {
	for _, dir := range []string{"results", "./a/b", "/abs/cache", `C:\cache`, `C:\Users\me\cache`, "d:/cache", "with space"} {
		st, err := stores.Open(t.Context(), dir)
		if err != nil {
			t.Errorf("Open(%q): %v", dir, err)
			continue
		}
		u := <-openedFile
		got := u.Host + u.Path
		if u.Opaque != "" {
			got, err = url.PathUnescape(u.Opaque)
		}
		if err != nil || got != dir || u.Scheme != "file" {
			t.Errorf("Open(%q) opened the file store on %v (directory %q, %v), want directory %q", dir, u, got, err, dir)
		}
		_ = st.Close()
	}
}

// TestOpenErrorHidesPassword opens URLs whose password a failure would
// quote: a driver that quotes its URL, with the password in the user
// information and in a query option.
func TestOpenErrorHidesPassword(t *testing.T) {
	stores.Register("quotes-its-url", func(_ context.Context, u *url.URL) (driver.Store, error) {
		return nil, fmt.Errorf("cannot reach %s", u.String())
	})
	for _, raw := range []string{
		"quotes-its-url://user:s3cret-pw@host/x",
		"quotes-its-url://host/x?tlsCertificateKeyFilePassword=s3cret-pw",
	} {
		_, err := stores.Open(context.Background(), raw)
		if err == nil {
			t.Errorf("Open(%q) succeeded", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("Open(%q) = %v: the password shows", raw, err)
		}
		var op *stores.OpError
		if !errors.As(err, &op) || op.Op != "open" {
			t.Errorf("Open(%q) = %v, want an OpError of open", raw, err)
		}
	}
}
