// Command collaborators is the collaborators Lambda function: it loads the configuration,
// builds its AWS clients once per cold start and starts the Lambda runtime.
package main

import (
	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/config/smsecrets"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// Its environment names secrets by ARN (config.Vars): it reads them from
// Secrets Manager.
func main() { app.LambdaMain(lambdafn.Collaborators, app.WithSecrets(smsecrets.New)) }
