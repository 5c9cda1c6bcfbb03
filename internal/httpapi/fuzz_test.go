package httpapi

// Fuzz targets of the request decoders: the strict JSON body decoder and
// the page parameters. They need no local stack (run them with -short):
//
//	go test -short -run '^$' -fuzz '^FuzzDecodeJSON$' -fuzztime 20s ./internal/httpapi
//
// Seeds are in testdata/fuzz/<target>/; `make fuzz` runs every target.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

type fuzzAccess struct {
	Mode       string   `json:"mode"`
	ProjectIDs []string `json:"projectIds"`
}

type fuzzEmbedded struct {
	OrgID string `json:"orgId"`
}

// fuzzBody has every shape the handlers decode into: strings, numbers,
// pointers, nested structs, slices of structs, maps, free-form values,
// times, an embedded struct and an untagged field.
type fuzzBody struct {
	fuzzEmbedded
	Name          string            `json:"name"`
	Email         string            `json:"email"`
	Role          string            `json:"role"`
	ExpiresInDays *int              `json:"expiresInDays"`
	Types         []string          `json:"types"`
	ProjectAccess *fuzzAccess       `json:"projectAccess"`
	Rows          []fuzzAccess      `json:"rows"`
	Labels        map[string]string `json:"labels"`
	Data          any               `json:"data"`
	At            *time.Time        `json:"at"`
	DryRun        bool              `json:"dryRun"`
	Version       int64             `json:"version"`
	Note          string            // no tag: the Go name
	Skipped       string            `json:"-"`
}

// fuzzTopFields are the JSON names of fuzzBody's fields.
var fuzzTopFields = []string{"orgId", "name", "email", "role", "expiresInDays", "types", "projectAccess", "rows", "labels",
	"data", "at", "dryRun", "version", "Note"}

// FuzzDecodeJSON: decodeJSON never panics; what it accepts encoding/json
// decodes to the same value, holds no key twice in an object and no top
// key that matches a field only when case is ignored; what it refuses is a
// 400 naming a field (or 415 for a content type that is not JSON), never
// an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"Cats"}`,
		`{"name":"a","name":"b"}`,
		`{"Name":"x"}`,
		`{"projectAccess":{"mode":"full","Mode":"x"}}`,
		`{"rows":[{"mode":"a"},{"mode":"b","mode":"c"}]}`,
		`{"labels":{"a":"1","A":"2"}}`,
		`{"data":{"k":1,"k":2}}`,
		`{"expiresInDays":1e400}`,
		`{"version":9223372036854775808}`,
		`{"at":"not a time"}`,
		`{} {}`,
		`{"name":"\ud800"}`,
		`[` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `]`,
		`{"data":` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001) + `}`,
	} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"name":"x"}`), "text/plain")
	f.Add([]byte(`{"name":"x"}`), "application/merge-patch+json; charset=utf-8")
	f.Add([]byte(`{"name":"x"}`), "application/json; charset=\"")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var got fuzzBody
		err := decodeJSON(r, &got)
		if err != nil {
			var de *collab.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a domain error (it would answer 500)", err)
			}
			switch de.Code {
			case collab.CodeInvalid:
				if len(de.Fields) == 0 || de.Fields[0].Field == "" {
					t.Fatalf("400 names no field: %+v", de)
				}
			case collab.CodeUnsupported, collab.CodeTooLarge:
			default:
				t.Fatalf("refused with %s (status %d), want 400, 413 or 415: %v", de.Code, statusOf[de.Code], err)
			}
			return
		}
		var want fuzzBody
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("accepted what encoding/json refuses (%v): %q", err, body)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, encoding/json %+v", got, want)
		}
		if key, dup := duplicateKey(body); dup {
			t.Fatalf("accepted the key %q twice in one object: %q", key, body)
		}
		if key, field, ok := foldedTopKey(body); ok {
			t.Fatalf("accepted the key %q for the field %q: %q", key, field, body)
		}
	})
}

// duplicateKey reports a key that appears twice in one object of data (a
// valid JSON document), by its own walk of the tokens.
func duplicateKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, &frame{object: d == '{', keys: map[string]bool{}, wantKey: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top != nil && top.object {
			if top.wantKey {
				key := tok.(string)
				if top.keys[key] {
					return key, true
				}
				top.keys[key] = true
				top.wantKey = false
			} else {
				top.wantKey = true
			}
		}
	}
}

// foldedTopKey reports a key of the top object of data that is not a field
// of fuzzBody but matches one when case is ignored.
func foldedTopKey(data []byte) (key, field string, found bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return "", "", false
	}
	for k := range top {
		for _, f := range fuzzTopFields {
			if k != f && strings.EqualFold(k, f) {
				return k, f, true
			}
		}
	}
	return "", "", false
}

// FuzzPageOf: limit and cursor from any query string either make a page
// within bounds, the cursor as sent, or a 400 naming limit.
func FuzzPageOf(f *testing.F) {
	for _, q := range []string{"", "limit=1", "limit=200", "limit=201", "limit=0", "limit=-1", "limit=abc", "limit=1e3",
		"limit=%20", "limit=9223372036854775808", "limit=+5", "limit=05", "cursor=abc.def", "cursor=%ff%00", "limit=2&limit=3",
		"cursor=a&cursor=b", "limit", "cursor", ";", "limit=1;cursor=x", "%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/orgs", RawQuery: rawQuery}}
		p, err := pageOf(r)
		q := r.URL.Query()
		if err != nil {
			var de *collab.Error
			if !errors.As(err, &de) || de.Code != collab.CodeInvalid || len(de.Fields) != 1 || de.Fields[0].Field != "limit" {
				t.Fatalf("query %q: refused with %v, want a 400 naming limit", rawQuery, err)
			}
			if n, convErr := strconv.Atoi(q.Get("limit")); convErr == nil && n >= 1 && n <= collab.MaxPageLimit {
				t.Fatalf("query %q: refused the limit %d", rawQuery, n)
			}
			return
		}
		if p.Limit < 1 || p.Limit > collab.MaxPageLimit {
			t.Fatalf("query %q: limit %d out of bounds", rawQuery, p.Limit)
		}
		if q.Get("limit") == "" && p.Limit != collab.DefaultPageLimit {
			t.Fatalf("query %q: limit %d without one asked, want %d", rawQuery, p.Limit, collab.DefaultPageLimit)
		}
		if p.Cursor != q.Get("cursor") {
			t.Fatalf("query %q: cursor %q, want %q", rawQuery, p.Cursor, q.Get("cursor"))
		}
	})
}
