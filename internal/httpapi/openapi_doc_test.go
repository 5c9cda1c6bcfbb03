package httpapi

import (
	"os"
	"testing"
)

// docs/openapi.json is the document the routes make (go generate
// ./internal/httpapi writes it; make lint runs Redocly on it).
func TestOpenAPIFileIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != OpenAPI() {
		t.Fatal("docs/openapi.json is stale: run go generate ./internal/httpapi")
	}
}

// Every route says what it does and what it answers on success.
func TestEveryRouteDeclaresItsAnswers(t *testing.T) {
	for _, fn := range Functions {
		for _, rt := range (&API{}).routes(fn) {
			if rt.doc.summary == "" {
				t.Errorf("%s has no summary", rt.pattern)
			}
			success := false
			for _, a := range rt.doc.outs {
				success = success || a.status/100 == 2 || (rt.doc.html && a.status == 303)
			}
			if !success {
				t.Errorf("%s declares no success answer", rt.pattern)
			}
		}
	}
}
