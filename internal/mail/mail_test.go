package mail

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
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
