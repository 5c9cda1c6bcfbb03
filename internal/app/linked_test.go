package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/lambdafn"
)

// What each function's binary links, as `go list -deps` with the
// Makefile's lambda.norpc tag lists it (docs/benchmarks.md, "Cold start"):
// no template package (text/template's reflect.Value.Method call makes the
// linker keep every exported method of every type, all of each AWS SDK
// client's operations among them), the Secrets Manager client exactly in
// the functions given a secret's ARN (config.Vars; app.WithSecrets), the
// SES client in the mailer alone (app.WithSender), and no SDK config
// loader (its SSO, SSO OIDC, sign-in and STS clients).
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	dir := root(t)
	for _, fn := range lambdafn.All {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "./functions/"+fn)
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			links := func(pkg string) bool { return slices.Contains(deps, pkg) }
			for _, pkg := range []string{"text/template", "html/template", "github.com/aws/aws-sdk-go-v2/config",
				"github.com/aws/aws-sdk-go-v2/service/sso", "github.com/aws/aws-sdk-go-v2/service/ssooidc", "github.com/aws/aws-sdk-go-v2/service/sts"} {
				if links(pkg) {
					t.Errorf("links %s", pkg)
				}
			}
			readsSecret := slices.ContainsFunc(config.FunctionVars(fn), func(v string) bool { return strings.HasSuffix(v, "_SECRET_ARN") || strings.HasSuffix(v, "_KEY_ARN") })
			if got := links("github.com/aws/aws-sdk-go-v2/service/secretsmanager"); got != readsSecret {
				t.Errorf("links Secrets Manager: %v, is given a secret's ARN: %v", got, readsSecret)
			}
			if got := links("github.com/aws/aws-sdk-go-v2/service/sesv2"); got != (fn == lambdafn.Mailer) {
				t.Errorf("links SES: %v", got)
			}
		})
	}
}
