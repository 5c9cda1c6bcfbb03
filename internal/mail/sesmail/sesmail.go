// Package sesmail sends mail through Amazon SES v2. Only the mailer
// function imports it, so the SES client (its schemas and operations) is
// linked into that binary alone and initialised in no other cold start.
package sesmail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/annobridge/annobridge/internal/mail"
)

// API is the part of the SES v2 client the sender uses.
type API interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender sends through Amazon SES v2.
type Sender struct {
	Client API
	From   string
}

// New is the sender of the AWS configuration's SES client, as from.
func New(cfg aws.Config, from string) mail.Sender {
	return Sender{Client: sesv2.NewFromConfig(cfg), From: from}
}

// Send sends the message with SES.
func (s Sender) Send(ctx context.Context, _ string, m mail.Message) error {
	utf8 := aws.String("UTF-8")
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: &s.From,
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: &m.Subject, Charset: utf8},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: &m.Text, Charset: utf8}},
		}},
	})
	if err != nil {
		return fmt.Errorf("ses send: %w", err)
	}
	return nil
}
