package collab

import (
	"context"
	"time"
)

// MaxTransactionItems is the most records one atomic store change may
// write (DynamoDB's TransactWriteItems limit), audit entries and counters
// included. A use case whose change can exceed it splits the change into
// batches by this number; none caps a change silently.
const MaxTransactionItems = 100

// Mailer puts an email on its way (the mail queue).
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// Config is what the use cases need to know of their deployment.
type Config struct {
	PublicBaseURL string // invitation links: PublicBaseURL + "/invitations/" + token
	AppBaseURL    string // the platform's web app, where notification mails link
	// WebhookLoopbackOnly: webhooks may only name loopback receivers (a
	// local run); otherwise only https to public hosts.
	WebhookLoopbackOnly bool
	// WebhookDisableAfter is how many failed attempts in a row disable a
	// webhook (0: DefaultWebhookDisableAfter).
	WebhookDisableAfter int
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

// IDs makes new opaque identifiers with a readable prefix.
type IDs interface{ New(prefix string) string }

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
