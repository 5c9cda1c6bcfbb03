package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutboxWritesReadableMessages(t *testing.T) {
	dir := t.TempDir()
	o := Outbox{Dir: dir}
	link := "http://127.0.0.1:8080/invitations/q3Fz0m8oXk1bN2cV4dR6tY8uI0pA2sD4fG6hJ8kL0zX"
	m := Message{To: "a@example.com", Subject: "Ünïcode invitation", Text: "Hello,\nOpen " + link + "\n"}
	if err := o.Send(context.Background(), "inv_1-abc", m); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "inv_1-abc.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(link)) {
		t.Fatalf("the link is not whole in the file:\n%s", raw)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if msg.Header.Get("To") != "a@example.com" || subject != m.Subject {
		t.Fatalf("headers %v (subject %q)", msg.Header, subject)
	}
	// A very long line falls back to quoted-printable and decodes back.
	long := Message{To: "a@example.com", Subject: "x", Text: strings.Repeat("y", 2000)}
	if err := o.Send(context.Background(), "long", long); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, "long.eml"))
	msg, _ = mail.ReadMessage(bytes.NewReader(raw))
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if string(body) != long.Text {
		t.Fatal("quoted-printable body does not round-trip")
	}
}

func TestMessagesAreValidated(t *testing.T) {
	for _, m := range []Message{
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "a@example.com\r\nBcc: victim@example.com", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: "s\r\nBcc: victim@example.com", Text: "t"},
		{To: "a@example.com", Subject: "", Text: "t"},
	} {
		if m.Validate() == nil {
			t.Errorf("accepted %+v", m)
		}
	}
}

// A minimal SMTP peer on loopback receives what SMTP sends.
func TestSMTPDelivers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("220 test ESMTP")
		var data strings.Builder
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); cmd {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250 test")
			case "DATA":
				_ = tp.PrintfLine("354 go on")
				body, _ := tp.ReadDotBytes()
				data.Write(body)
				_ = tp.PrintfLine("250 queued")
			case "QUIT":
				_ = tp.PrintfLine("221 bye")
				got <- data.String()
				return
			default:
				_ = tp.PrintfLine("250 ok")
			}
		}
	}()
	s := SMTP{Addr: ln.Addr().String(), From: "annobridge <no-reply@annobridge.local>"}
	if err := s.Send(context.Background(), "m1", Message{To: "b@example.com", Subject: "Hi", Text: "Open http://x/invitations/t\n"}); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	if !strings.Contains(msg, "To: b@example.com") || !strings.Contains(msg, "http://x/invitations/t") {
		t.Fatalf("received:\n%s", msg)
	}
}

type memClaims struct{ seen map[string]bool }

func (c *memClaims) ClaimMail(_ context.Context, id string) (bool, error) {
	if c.seen[id] {
		return false, nil
	}
	c.seen[id] = true
	return true, nil
}

func (c *memClaims) ReleaseMail(_ context.Context, id string) error { delete(c.seen, id); return nil }

type countingSender struct {
	sent map[string]int
	fail bool
}

func (s *countingSender) Send(_ context.Context, id string, _ Message) error {
	if s.fail {
		return errors.New("smtp down")
	}
	s.sent[id]++
	return nil
}

// A message delivered twice is sent once; a failed send is sent on retry.
func TestOnceSendsEachIDOnce(t *testing.T) {
	s := &countingSender{sent: map[string]int{}}
	o := Once{Sender: s, Claims: &memClaims{seen: map[string]bool{}}}
	m := Message{To: "a@example.com", Subject: "Hi", Text: "x"}
	for range 3 {
		if err := o.Send(context.Background(), "m1", m); err != nil {
			t.Fatal(err)
		}
	}
	if s.sent["m1"] != 1 {
		t.Fatalf("sent %d times", s.sent["m1"])
	}
	s.fail = true
	if err := o.Send(context.Background(), "m2", m); err == nil {
		t.Fatal("a failed send answered nil")
	}
	s.fail = false
	if err := o.Send(context.Background(), "m2", m); err != nil || s.sent["m2"] != 1 {
		t.Fatalf("retry after a failure: %v, sent %d", err, s.sent["m2"])
	}
}
