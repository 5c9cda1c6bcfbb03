package httpapi

import (
	"net/http"

	"github.com/annobridge/annobridge/internal/collab"
)

// retryJob runs a failed job again from its checkpoint: 202 with the job's
// Location, as when it started; 409 for a job that has not failed.
func (a *API) retryJob(w http.ResponseWriter, r *http.Request, c collab.Caller) error {
	j, err := a.svc.Jobs.RetryJob(r.Context(), c, r.PathValue("jobId"))
	if err != nil {
		return err
	}
	writeJob(w, j)
	return nil
}
