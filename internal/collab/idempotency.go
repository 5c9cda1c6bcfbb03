package collab

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a mutating request's answer is kept for replay.
const IdempotencyTTL = 24 * time.Hour

// SavedResponse is the first answer to an idempotent request.
type SavedResponse struct {
	RequestHash string
	Done        bool // false while the first request is still running
	Status      int
	Header      map[string]string
	Body        []byte
}

// IdempotencyStore keeps the answers of requests sent with an
// Idempotency-Key, per caller and key.
type IdempotencyStore interface {
	// Claim records that the request with this hash is starting; the record
	// expires IdempotencyTTL after the store's clock says now. If the key
	// was used already it returns the saved record and false.
	Claim(ctx context.Context, callerID, key, requestHash string) (SavedResponse, bool, error)
	// Complete saves the answer for replay, for IdempotencyTTL.
	Complete(ctx context.Context, callerID, key string, r SavedResponse) error
	// Release forgets a claim whose request failed, so it can be retried.
	Release(ctx context.Context, callerID, key string) error
}
