// Command mailer is the mailer Lambda function: it loads the configuration,
// builds its AWS clients once per cold start and starts the Lambda runtime.
package main

import (
	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/mail/sesmail"
)

// The mailer alone sends through SES.
func main() { app.LambdaMain(lambdafn.Mailer, app.WithSender(sesmail.New)) }
