package collab

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a mutating request's answer is kept for replay.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLease is how long a claim holds its key while its request runs.
// It is longer than any HTTP function may run (the template's 10 s timeout,
// API Gateway's 30 s ceiling): a claim older than this belongs to a request
// that died, and a retry of the same request takes it over.
const IdempotencyLease = 60 * time.Second

// MaxSavedAnswerBytes bounds the answer an idempotency record keeps, after
// compression. The store splits it into parts below DynamoDB's item size
// and writes them in one transaction with the record (DynamoDB takes up to
// 4 MB a transaction); a larger answer is not saved and the claim is
// released, so a retry runs the request again.
const MaxSavedAnswerBytes = 3 << 20

// SavedResponse is the first answer to an idempotent request.
type SavedResponse struct {
	RequestHash string
	Done        bool // false while the first request is still running
	// Claim identifies the holder of an unfinished claim: Claim returns the
	// caller's own when it claimed; Complete and Release act only for it,
	// so a holder whose lease was taken over cannot overwrite the answer of
	// the request that took it.
	Claim string
	// LeaseUntil is when an unfinished claim may be taken over.
	LeaseUntil time.Time
	Status     int
	Header     map[string]string
	Body       []byte
}

// IdempotencyStore keeps the answers of requests sent with an
// Idempotency-Key, per caller and key.
type IdempotencyStore interface {
	// Claim records that the request with this hash is starting, for
	// IdempotencyLease; the record expires IdempotencyTTL after the store's
	// clock says now. If the key was used already it returns the saved
	// record and false, unless the record is an unfinished claim of the same
	// request whose lease has ended: that claim is taken over (true).
	Claim(ctx context.Context, callerID, key, requestHash string) (SavedResponse, bool, error)
	// Complete saves the answer of the claim r.Claim for replay, for
	// IdempotencyTTL, however large (up to MaxSavedAnswerBytes compressed).
	Complete(ctx context.Context, callerID, key string, r SavedResponse) error
	// Release forgets the unfinished claim, so the request can be retried.
	Release(ctx context.Context, callerID, key, claim string) error
}
