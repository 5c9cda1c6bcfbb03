// Command webhooks is the webhooks Lambda function: it delivers the queued
// events to the orgs' webhooks, signed with each webhook's secret.
package main

import (
	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/config/smsecrets"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// It opens the webhooks' sealed secrets with the sealing key.
func main() { app.LambdaMain(lambdafn.Webhooks, app.WithSecrets(smsecrets.New)) }
