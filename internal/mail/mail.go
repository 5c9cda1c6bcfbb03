// Package mail sends outgoing email: through SES v2 in AWS, or locally as
// .eml files in an outbox folder. The mailer consumer takes "mail.send"
// messages off the mail queue.
package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
	"github.com/annobridge/annobridge/internal/worker"
)

// KindSend is the message kind of an email on the mail queue.
const KindSend = collab.KindMail

// Message is one email: the domain's mail body, with the checks a sender
// needs.
type Message collab.MailBody

// Validate checks the message can be sent safely (no header injection).
func (m Message) Validate() error {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("to %q: %w", m.To, err)
	}
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return errors.New("to and subject must be single lines")
	}
	if m.Subject == "" || m.Text == "" {
		return errors.New("subject and text are required")
	}
	return nil
}

// Sender sends one message; id identifies it for deduplication.
type Sender interface {
	Send(ctx context.Context, id string, m Message) error
}

// Claims remembers which message ids were sent.
type Claims interface {
	// ClaimMail reports true the first time it sees an id.
	ClaimMail(ctx context.Context, id string) (bool, error)
	// ReleaseMail forgets an id whose send failed.
	ReleaseMail(ctx context.Context, id string) error
}

// Once sends each message id once: a queue message delivered twice finds
// its claim and sends nothing; a failed send gives its claim back, so the
// retry sends.
type Once struct {
	Sender Sender
	Claims Claims
}

// Send sends m unless its id was sent already.
func (o Once) Send(ctx context.Context, id string, m Message) error {
	first, err := o.Claims.ClaimMail(ctx, id)
	if err != nil || !first {
		return err
	}
	if err := o.Sender.Send(ctx, id, m); err != nil {
		if rerr := o.Claims.ReleaseMail(ctx, id); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// Handler returns the mail consumer's handler for KindSend. An invalid
// message fails (and ends in the DLQ) rather than being dropped.
func Handler(s Sender) worker.Handler {
	return func(ctx context.Context, msg worker.Message) error {
		var m Message
		if err := json.Unmarshal(msg.Body, &m); err != nil {
			return fmt.Errorf("decode mail: %w", err)
		}
		if err := m.Validate(); err != nil {
			return err
		}
		return s.Send(ctx, msg.ID, m)
	}
}

// Outbox writes each message as an .eml file; the file is named after the
// message id, so a redelivered message overwrites its own file.
type Outbox struct {
	Dir  string
	From string
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Send writes the message to the outbox folder.
func (o Outbox) Send(_ context.Context, id string, m Message) error {
	if id == "" {
		return errors.New("outbox: message id is required")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	raw, err := o.render(id, m, time.Now().UTC())
	if err != nil {
		return err
	}
	name := filepath.Join(o.Dir, safeID.ReplaceAllString(id, "_")+".eml")
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

func (o Outbox) render(id string, m Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	from := o.From
	if from == "" {
		from = "annobridge <no-reply@annobridge.local>"
	}
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", m.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@annobridge.local>\r\n", safeID.ReplaceAllString(id, "_"))
	// 8bit keeps the acceptance link whole for anyone reading the file; a
	// line too long for 8bit (998 octets) falls back to quoted-printable.
	long := slices.ContainsFunc(strings.Split(m.Text, "\n"), func(l string) bool { return len(l) > 990 })
	if !long {
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n"))
		return b.Bytes(), nil
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(m.Text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SMTP sends through an SMTP server without authentication, meant for a
// local inbox such as maildev on 127.0.0.1.
type SMTP struct {
	Addr string // host:port
	From string
}

// Send delivers the message with the same rendering as the outbox.
func (s SMTP) Send(_ context.Context, id string, m Message) error {
	raw, err := Outbox{From: s.From}.render(id, m, time.Now().UTC())
	if err != nil {
		return err
	}
	from := s.From
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	} else {
		from = "no-reply@annobridge.local"
	}
	if err := smtp.SendMail(s.Addr, nil, from, []string{m.To}, raw); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}
