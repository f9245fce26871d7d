package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gopersist/persist/server/wire"
	"github.com/gopersist/persist/stores"
)

// maxOwnerBody bounds an owner request's body: the record base64-encoded
// in a small JSON object.
const maxOwnerBody = 2*stores.MaxOwnerLen + 1024

// owner answers the owner record of a funcname: 200 {"owner": ...}, or 404.
func (s *server) owner(w http.ResponseWriter, r *http.Request, funcname string) {
	owner, err := s.store.Owner(r.Context(), funcname)
	if err != nil {
		s.storeFailed(w, r, "owner", err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Owner{Owner: owner})
}

// claimOwner stores the owner record a POST carries unless the funcname has
// one, and answers 200 with the record stored afterwards, so that the
// client learns in one exchange whether its claim won.
func (s *server) claimOwner(w http.ResponseWriter, r *http.Request, funcname string) {
	if !isJSON(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusUnsupportedMediaType, "The body must be JSON, sent with Content-Type: application/json.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOwnerBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is more than the limit of %d bytes for an owner record.", maxOwnerBody))
			return
		}
		writeError(w, http.StatusBadRequest, "Reading the body failed: "+err.Error())
		return
	}
	var req wire.Owner
	if err := json.Unmarshal(body, &req); err != nil || req.Owner == nil {
		writeError(w, http.StatusBadRequest, `The body must be {"owner": "<base64>"}.`)
		return
	}
	if len(req.Owner) > stores.MaxOwnerLen {
		writeIssues(w, map[string]string{"owner": fmt.Sprintf("more than %d bytes", stores.MaxOwnerLen)})
		return
	}
	owner, err := s.store.ClaimOwner(r.Context(), funcname, req.Owner)
	if err != nil {
		s.storeFailed(w, r, "claim owner", err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Owner{Owner: owner})
}
