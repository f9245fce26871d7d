package mongostore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gopersist/persist/stores"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url        string
		database   string
		collection string
		lease      time.Duration
		selection  bool
		driverHas  []string // substrings the driver's URI keeps
	}{
		{"mongodb://h", "persist", "persist", 30 * time.Second, false, nil},
		{"mongodb://h:27017/", "persist", "persist", 30 * time.Second, false, nil},
		{"mongodb://h/db", "db", "persist", 30 * time.Second, false, nil},
		{"mongodb://h/db?collection=results&lease=1m30s", "db", "results", 90 * time.Second, false, nil},
		{"mongodb://u:p@h1:1,h2:2/db?authSource=admin&replicaSet=rs0&tls=true&collection=c",
			"db", "c", 30 * time.Second, false, []string{"authSource=admin", "replicaSet=rs0", "tls=true", "u:p@h1:1,h2:2"}},
		{"mongodb://h/?serverSelectionTimeoutMS=250&readPreference=secondaryPreferred&appName=x",
			"persist", "persist", 30 * time.Second, true, []string{"serverSelectionTimeoutMS=250", "readPreference=secondaryPreferred"}},
		{"mongodb://h/?SERVERSELECTIONTIMEOUTMS=250", "persist", "persist", 30 * time.Second, true, nil},
		{"mongodb+srv://u:p@cluster.example.com/db?srvMaxHosts=2&collection=c",
			"db", "c", 30 * time.Second, false, []string{"mongodb+srv://", "srvMaxHosts=2"}},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseURL(u)
		if err != nil {
			t.Errorf("parseURL(%s): %v", tc.url, err)
			continue
		}
		if c.database != tc.database || c.collection != tc.collection || c.lease != tc.lease || c.selectionSet != tc.selection {
			t.Errorf("parseURL(%s) = database %q, collection %q, lease %v, selection set %v; want %q, %q, %v, %v",
				tc.url, c.database, c.collection, c.lease, c.selectionSet, tc.database, tc.collection, tc.lease, tc.selection)
		}
		for _, s := range tc.driverHas {
			if !strings.Contains(c.driverURI, s) {
				t.Errorf("parseURL(%s): driver URI %q lacks %q", tc.url, c.driverURI, s)
			}
		}
		for _, own := range []string{"collection=", "lease="} {
			if strings.Contains(c.driverURI, own) {
				t.Errorf("parseURL(%s): driver URI %q keeps the store's option %q", tc.url, c.driverURI, own)
			}
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mongodb://h/?colection=x", "colection"},
		{"mongodb://h/?persistLease=3s", "persistlease"},
		{"mongodb://h/?Collection=x", "collection"}, // the store's options are lower case
		{"mongodb://h/?lease=soon", "lease"},
		{"mongodb://h/?lease=-1s", "lease"},
		{"mongodb://h/?lease=0s", "lease"},
		{"mongodb://h/?lease=999ms", "lease"},
		{"mongodb://h/?collection=", "collection"},
		{"mongodb://h/?collection=a$b", "collection"},
		{"mongodb://h/?collection=system.users", "collection"},
		{"mongodb://h/?serverSelectionTimeoutMS=soon", "serverselectiontimeoutms"},
		{"mongodb://h/?srvMaxHosts=2", "srvMaxHosts"},
		{"mongodb://h/?a=%zz", "query"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parseURL(u)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
			t.Errorf("parseURL(%s): err = %v, want an error about %q", tc.url, err, tc.want)
		}
	}
}

// TestOpenBadURL checks that Open reports URL mistakes before any I/O, as
// typed errors without the password.
func TestOpenBadURL(t *testing.T) {
	_, err := stores.Open(context.Background(), "mongodb://user:secret@127.0.0.1:1/db?colection=x")
	var opErr *stores.OpError
	if !errors.As(err, &opErr) || opErr.Op != "open" {
		t.Fatalf("Open with an unknown option: err = %v, want an *OpError from open", err)
	}
	if errors.Is(err, stores.ErrUnavailable) {
		t.Errorf("Open with an unknown option: err = %v, which claims the server is unavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestRedact(t *testing.T) {
	u, err := url.Parse("mongodb://user:pw1@h/db?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:pw2" +
		"&TLSCERTIFICATEKEYFILEPASSWORD=pw3&collection=c")
	if err != nil {
		t.Fatal(err)
	}
	got := redact(u)
	for _, secret := range []string{"pw1", "pw2", "pw3"} {
		if strings.Contains(got, secret) {
			t.Errorf("redact = %q, which shows %q", got, secret)
		}
	}
	for _, kept := range []string{"user", "h/db", "authMechanism=MONGODB-AWS", "collection=c"} {
		if !strings.Contains(got, kept) {
			t.Errorf("redact = %q, which lost %q", got, kept)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"mongodb://h/db?collection=c&lease=1s",
		"mongodb+srv://u:p@h/db?srvMaxHosts=1",
		"mongodb://h/?authSource=admin&tls=true",
		"mongodb://h/?unknown=1",
		"mongodb://h:1,h:2/?lease=1h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") {
			return
		}
		c, err := parseURL(u)
		if err != nil {
			return
		}
		if c.lease < MinLease || c.database == "" || validCollection(c.collection) != nil {
			t.Fatalf("parseURL(%q) accepted %+v", raw, c)
		}
		// What the store hands the driver parses the same way again.
		du, err := url.Parse(c.driverURI)
		if err != nil {
			t.Fatalf("driver URI %q of %q does not parse: %v", c.driverURI, raw, err)
		}
		again, err := parseURL(du)
		if err != nil {
			t.Fatalf("driver URI %q of %q fails: %v", c.driverURI, raw, err)
		}
		if again.database != c.database || again.selectionSet != c.selectionSet {
			t.Fatalf("driver URI %q of %q parses as %+v, first %+v", c.driverURI, raw, again, c)
		}
	})
}
