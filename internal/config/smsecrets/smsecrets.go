// Package smsecrets reads the secrets the configuration names by ARN from
// AWS Secrets Manager. Only the functions that are given a secret's ARN
// (config.Vars) import it, through app.WithSecrets, so the Secrets Manager
// client (its schemas and operations) is linked into those binaries alone
// and initialised in no other cold start.
package smsecrets

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of the Secrets Manager client the reader uses.
type API interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Reader reads secrets' string values; it is a config.SecretReader.
type Reader struct{ Client API }

// New is the reader of the AWS configuration's Secrets Manager client;
// a non-empty endpoint (SECRETSMANAGER_ENDPOINT: tests, sam local) points
// the client there.
func New(cfg aws.Config, endpoint string) *Reader {
	return &Reader{Client: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// SecretString reads the current string value of the secret arn names,
// with one GetSecretValue; ok is false when the secret has no string value.
func (r *Reader) SecretString(ctx context.Context, arn string) (value string, ok bool, err error) {
	out, err := r.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", false, err
	}
	if out.SecretString == nil {
		return "", false, nil
	}
	return *out.SecretString, true, nil
}
