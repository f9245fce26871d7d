package server

import (
	"net/url"
	"testing"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// TestKnownProjections checks that the queries an item's GET answers
// without parsing keep the parts that parsing them keeps.
func TestKnownProjections(t *testing.T) {
	if len(knownProjections) != 7 {
		t.Fatalf("%d known projections, want no query (every part) and the 6 others", len(knownProjections))
	}
	for q, parts := range knownProjections {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		got, err := parseProjection(v.Get(wire.ProjectionParam))
		if err != nil || got != parts {
			t.Errorf("query %q is known as %v, parses as %v (%v)", q, parts, got, err)
		}
	}
	if q := wire.ProjectionQuery(stores.PartResult); q != "projection=%7B%22result%22%3A1%7D" {
		t.Errorf("ProjectionQuery(PartResult) = %q", q)
	}
}
