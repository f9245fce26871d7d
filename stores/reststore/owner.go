package reststore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gopersist/persist/server/wire"
)

// ownerURL is the URL of a funcname's owner record, a persist extension of
// the protocol (see wire.OwnerPath).
func (s *restDriver) ownerURL(funcname string) string { return s.base + "/.owner/" + funcname }

// Owner implements [driver.Store].
func (s *restDriver) Owner(ctx context.Context, funcname string) ([]byte, error) {
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.ownerURL(funcname), read: true})
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		// Also what a server without owner records (Eve) answers: it
		// has none to show.
		discard(resp)
		return nil, errNotFound
	default:
		return nil, unexpected(resp)
	}
	return decodeOwner(resp)
}

// ClaimOwner implements [driver.Store]. A server that does not serve owner
// records, such as pypersist's Eve server, makes it fail with code
// Unsupported.
func (s *restDriver) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	body, err := json.Marshal(wire.Owner{Owner: owner})
	if err != nil {
		return nil, err
	}
	// A claim changes nothing when repeated (the first one stays), so it
	// is retried as a read is.
	resp, err := s.do(ctx, request{method: http.MethodPost, url: s.ownerURL(funcname), body: body, read: true})
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return nil, fmt.Errorf("%w: %w", errNoOwners, unexpected(resp))
	default:
		return nil, unexpected(resp)
	}
	return decodeOwner(resp)
}

func decodeOwner(resp *http.Response) ([]byte, error) {
	var o wire.Owner
	if err := decode(resp, &o); err != nil {
		return nil, err
	}
	if o.Owner == nil {
		return nil, fmt.Errorf(`%w: the server answered no "owner"`, errUnavailable)
	}
	return o.Owner, nil
}
