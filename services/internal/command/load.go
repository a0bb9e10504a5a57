package command

import (
	"net/http"

	"github.com/together-coop/together/events"
)

// PathID returns the path value name if it is a canonical UUID; anything
// else names nothing recorded, so it is ErrNotFound.
func PathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !events.IsID(v) {
		return "", Rejectf(ErrNotFound, "no %s %q: ids are lowercase UUIDs", name, v)
	}
	return v, nil
}
