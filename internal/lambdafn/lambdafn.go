// Package lambdafn names annobridge's Lambda functions. It is the one list
// the routers, the queue consumers, functions/*/main.go, the local runner
// and the template tests read: a function is named here or nowhere.
package lambdafn

import "strings"

// The functions, as the directories under functions/.
const (
	Membership    = "membership"
	Invite        = "invite"
	Accept        = "accept"
	Collaborators = "collaborators"
	Review        = "review"
	Handoff       = "handoff"
	Jobs          = "jobs"
	Mailer        = "mailer"
	Events        = "events"   // the table stream's audit entries → the bus and webhook deliveries
	Webhooks      = "webhooks" // webhook deliveries
)

// HTTP lists the functions behind the HTTP API.
var HTTP = []string{Membership, Invite, Accept, Collaborators, Review}

// Consumers lists the queue consumers.
var Consumers = []string{Handoff, Jobs, Mailer, Webhooks}

// StreamConsumers lists the consumers of the table's stream.
var StreamConsumers = []string{Events}

// All lists every function.
var All = append(append(append([]string{}, HTTP...), Consumers...), StreamConsumers...)

// LogicalID is a function's resource name in template.yaml
// (invite → InviteFunction).
func LogicalID(name string) string {
	return strings.ToUpper(name[:1]) + name[1:] + "Function"
}

// FromLogicalID is the function a template resource name stands for.
func FromLogicalID(id string) (string, bool) {
	for _, n := range All {
		if LogicalID(n) == id {
			return n, true
		}
	}
	return "", false
}
