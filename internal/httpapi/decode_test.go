package httpapi

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type decodeAccess struct {
	Mode       string   `json:"mode"`
	ProjectIDs []string `json:"projectIds"`
}

type decodeBase struct {
	OrgID string `json:"orgId"`
	Note  string // no tag: the Go name
}

type decodeBody struct {
	decodeBase
	Email         string            `json:"email"`
	Types         []string          `json:"types"`
	ProjectAccess *decodeAccess     `json:"projectAccess"`
	Rows          []decodeAccess    `json:"rows"`
	Labels        map[string]string `json:"labels"`
	Extra         any               `json:"extra"`
	At            *time.Time        `json:"at"`
	Skipped       string            `json:"-"`
	Count         int               `json:"count,omitempty"`
}

// decodeStrict refuses duplicate keys and keys that match a field only when
// case is ignored, naming the key; it accepts what encoding/json accepts
// otherwise. (Run with the package's other tests: go test ./internal/httpapi
// -run TestDecodeStrict.)
func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		field string // "" when the body is accepted
		msg   string
	}{
		{"plain", `{"email":"a@example.com","types":["x"],"count":2}`, "", ""},
		{"nested", `{"projectAccess":{"mode":"limited","projectIds":["p1","p2"]},"rows":[{"mode":"full"},{"mode":"full"}]}`, "", ""},
		{"embedded and untagged", `{"orgId":"o1","Note":"n"}`, "", ""},
		{"map keys of any case", `{"labels":{"a":"1","A":"2"}}`, "", ""},
		{"free-form value", `{"extra":{"Email":1,"email":2}}`, "", ""},
		{"time", `{"at":"2024-01-02T03:04:05Z"}`, "", ""},
		{"same key in sibling objects", `{"rows":[{"mode":"a"},{"mode":"b"}]}`, "", ""},

		{"duplicate key", `{"email":"a@example.com","email":"b@example.com"}`, "email", "more than once"},
		{"duplicate nested key", `{"projectAccess":{"mode":"full","mode":"limited"}}`, "projectAccess.mode", "more than once"},
		{"duplicate key in an array element", `{"rows":[{"mode":"a"},{"mode":"b","mode":"c"}]}`, "rows.mode", "more than once"},
		{"duplicate map key", `{"labels":{"a":"1","a":"2"}}`, "labels.a", "more than once"},
		{"duplicate key in a free-form value", `{"extra":{"k":1,"k":2}}`, "extra.k", "more than once"},
		{"case of a top-level field", `{"Email":"a@example.com"}`, "Email", `did you mean "email"`},
		{"case with the exact key too", `{"email":"a@example.com","EMAIL":"b@example.com"}`, "EMAIL", `did you mean "email"`},
		{"case of a nested field", `{"projectAccess":{"Mode":"full"}}`, "projectAccess.Mode", `did you mean "mode"`},
		{"case of an embedded field", `{"orgid":"o1"}`, "orgid", `did you mean "orgId"`},
		{"case of an untagged field", `{"note":"n"}`, "note", `did you mean "Note"`},
		{"unknown field", `{"nope":1}`, "nope", "not a known field; the fields are Note, at, count, email, extra, labels, orgId, projectAccess, rows, types"},
		{"unknown nested field", `{"projectAccess":{"nope":1}}`, "projectAccess.nope", "not a known field; the fields are mode, projectIds"},
		{"skipped field", `{"Skipped":"x"}`, "Skipped", "not a known field"},
		{"trailing value", `{"email":"a"} {}`, "body", "single JSON value"},
		{"type error keeps its path", `{"projectAccess":{"mode":1}}`, "projectAccess.mode", "string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var dst decodeBody
			err := decodeStrict([]byte(c.body), &dst)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *collab.Error
			if !errors.As(err, &e) {
				t.Fatalf("accepted %s: %+v", c.body, dst)
			}
			if e.Code != collab.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field || !strings.Contains(e.Fields[0].Message, c.msg) {
				t.Fatalf("error %q %+v, want field %q with %q", e.Message, e.Fields, c.field, c.msg)
			}
			if statusOf[e.Code] != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", statusOf[e.Code])
			}
		})
	}
}

// A case-insensitive match that encoding/json itself would make (the Kelvin
// sign K folds to k) is refused as a case mismatch, not silently accepted.
func TestDecodeStrictFoldsLikeEncodingJSON(t *testing.T) {
	var dst struct {
		Kind string `json:"kind"`
	}
	err := decodeStrict([]byte("{\"\u212aind\":\"x\"}"), &dst)
	var e *collab.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Message, `"kind"`) {
		t.Fatalf("got %v (%+v)", err, dst)
	}
}

func TestJSONFields(t *testing.T) {
	type inner struct {
		A string `json:"a"`
		B string `json:"b"`
	}
	type outer struct {
		*inner
		B int    `json:"b"` // hides inner.b
		C string `json:"c,omitempty"`
		d string // unexported: not a field
	}
	_ = outer{d: ""}
	got := jsonFields(reflect.TypeFor[outer]())
	if len(got) != 3 || got["a"] == nil || got["b"].Kind() != reflect.Int || got["c"] == nil {
		t.Fatalf("fields %v", got)
	}
}
