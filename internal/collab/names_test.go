package collab

import (
	"errors"
	"strings"
	"testing"
)

// CleanName refuses the characters that make a name look like something it
// is not: C1 controls, bidirectional formatting, and names with nothing
// visible. Each refusal names the field.
func TestCleanNameRefusesDeceptiveCharacters(t *testing.T) {
	cases := []struct {
		name string
		in   string
		msg  string // part of the refusal; "" for a name that is accepted
	}{
		{"plain", "Acme Labs", ""},
		{"Arabic", "مختبر", ""},
		{"Hebrew", "מעבדה", ""},
		{"emoji with joiner", "Team 👩\u200d💻", ""},
		{"non-breaking space inside", "Acme\u00a0Labs", ""},
		{"zero-width joiner inside a visible name", "Ac\u200dme", ""},

		{"C1 U+0080", "Acme\u0080", "control characters"},
		{"C1 U+0085 inside", "Ac\u0085me", "control characters"},
		{"C1 U+009B (CSI)", "Acme\u009b31m", "control characters"},
		{"C1 U+009F", "\u009fAcme", "control characters"},
		{"DEL", "Acme\x7f", "control characters"},

		{"LRE U+202A", "Acme\u202a", "bidirectional"},
		{"RLE U+202B", "Acme\u202b", "bidirectional"},
		{"PDF U+202C", "Acme\u202c", "bidirectional"},
		{"LRO U+202D", "Acme\u202d", "bidirectional"},
		{"RLO U+202E", "gnp.\u202eexe", "bidirectional"},
		{"LRI U+2066", "Acme\u2066", "bidirectional"},
		{"RLI U+2067", "Acme\u2067", "bidirectional"},
		{"FSI U+2068", "Acme\u2068", "bidirectional"},
		{"PDI U+2069", "Acme\u2069", "bidirectional"},
		{"LRM U+200E", "Acme\u200e", "bidirectional"},
		{"RLM U+200F", "Acme\u200f", "bidirectional"},
		{"ALM U+061C", "Acme\u061c", "bidirectional"},

		{"zero-width space only", "\u200b", "visible characters"},
		{"zero-width non-joiner only", "\u200c\u200c", "visible characters"},
		{"zero-width joiner only", "\u200d", "visible characters"},
		{"word joiner only", "\u2060", "visible characters"},
		{"BOM only", "\ufeff", "visible characters"},
		{"invisible characters and spaces", " \u200b \ufeff\u2060 ", "visible characters"},
		{"ideographic space and zero-width", "\u3000\u200b\u3000", "visible characters"},
		{"Hangul filler only", "\u3164", "visible characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v Validation
			got := CleanName("orgName", c.in, &v)
			err := v.Err()
			if c.msg == "" {
				if err != nil {
					t.Fatalf("CleanName(%q) refused: %v", c.in, err)
				}
				if got != strings.TrimSpace(c.in) {
					t.Fatalf("CleanName(%q) = %q", c.in, got)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("CleanName(%q) accepted (got %q)", c.in, got)
			}
			if e.Code != CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "orgName" {
				t.Fatalf("CleanName(%q) error %+v does not name the field", c.in, e)
			}
			if !strings.Contains(e.Fields[0].Message, c.msg) || !strings.Contains(e.Message, "orgName") {
				t.Fatalf("CleanName(%q) error %q / %q, want one about %q", c.in, e.Message, e.Fields[0].Message, c.msg)
			}
		})
	}
}
