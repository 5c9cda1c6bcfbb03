package httpapi_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/annobridge/annobridge/internal/httpapi"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// GET /openapi.yaml is public, parses, and lists every route the routers
// serve, the public ones without security.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	r := call(t, "GET", "/openapi.yaml", "", nil).want(t, 200)
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(r.raw, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("version %q", doc.OpenAPI)
	}
	n := 0
	for _, fn := range lambdafn.HTTP {
		for _, p := range httpapi.Patterns(fn) {
			method, path, _ := strings.Cut(p, " ")
			op, ok := doc.Paths[path][strings.ToLower(method)]
			if !ok {
				t.Errorf("%s missing", p)
				continue
			}
			n++
			sec, has := op["security"]
			if public := httpapi.PublicPatterns()[p]; public != (has && len(sec.([]any)) == 0) {
				t.Errorf("%s: public=%v but security %v", p, public, sec)
			}
		}
	}
	if n < 60 {
		t.Fatalf("only %d operations", n)
	}
}
