// Command events is the events Lambda function: the table stream's audit
// entries become events, on the EventBridge bus and queued for the orgs'
// webhooks.
package main

import (
	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/eventbus"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// The events function alone puts on the bus.
func main() { app.LambdaMain(lambdafn.Events, app.WithBus(eventbus.New)) }
