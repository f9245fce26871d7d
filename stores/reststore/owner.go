package reststore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// ownerURL is the URL of a funcname's owner record, a persist extension of
// the protocol (see wire.OwnerPath).
func (s *Store) ownerURL(funcname string) string { return s.base + "/.owner/" + funcname }

// Owner implements [stores.Store].
func (s *Store) Owner(ctx context.Context, funcname string) ([]byte, error) {
	if err := s.check(ctx, "owner", funcname); err != nil {
		return nil, err
	}
	resp, err := s.do(ctx, request{method: http.MethodGet, url: s.ownerURL(funcname), read: true})
	if err != nil {
		return nil, s.opError("owner", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		// Also what a server without owner records (Eve) answers: it
		// has none to show.
		discard(resp)
		return nil, s.opError("owner", stores.ErrNotFound)
	default:
		return nil, s.opError("owner", unexpected(resp))
	}
	return s.decodeOwner("owner", resp)
}

// ClaimOwner implements [stores.Store]. A server that does not serve owner
// records, such as pypersist's Eve server, makes it fail with an error
// wrapping errors.ErrUnsupported.
func (s *Store) ClaimOwner(ctx context.Context, funcname string, owner []byte) ([]byte, error) {
	if err := s.check(ctx, "claim owner", funcname); err != nil {
		return nil, err
	}
	body, err := json.Marshal(wire.Owner{Owner: owner})
	if err != nil {
		return nil, s.opError("claim owner", err)
	}
	// A claim changes nothing when repeated (the first one stays), so it
	// is retried as a read is.
	resp, err := s.do(ctx, request{method: http.MethodPost, url: s.ownerURL(funcname), body: body, read: true})
	if err != nil {
		return nil, s.opError("claim owner", err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		err := unexpected(resp)
		return nil, s.opError("claim owner", fmt.Errorf("%w: the server keeps no owner records (it is not a persist server): %w", errors.ErrUnsupported, err))
	default:
		return nil, s.opError("claim owner", unexpected(resp))
	}
	return s.decodeOwner("claim owner", resp)
}

func (s *Store) decodeOwner(op string, resp *http.Response) ([]byte, error) {
	var o wire.Owner
	if err := decode(resp, &o); err != nil {
		return nil, s.opError(op, err)
	}
	if o.Owner == nil {
		return nil, s.opError(op, fmt.Errorf(`%w: the server answered no "owner"`, stores.ErrUnavailable))
	}
	return o.Owner, nil
}

// CheckName implements [stores.NameChecker]: the protocol's URLs carry
// funcnames of [A-Za-z0-9_]+ only.
func (s *Store) CheckName(what, name string) error {
	if what == "funcname" {
		return wire.ValidFuncname(name)
	}
	return nil
}
