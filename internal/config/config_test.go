package config

import (
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func base() map[string]string {
	return map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "0123456789abcdef", "AUTH_MODE": "jwt",
		"DEV_JWT_SECRET": "s", "JWT_ISSUER": "i", "JWT_AUDIENCE": "a"}
}

func TestLoad(t *testing.T) {
	c, err := Load(env(base()))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthMode != AuthJWT || c.TableName != "t" || c.Local() {
		t.Fatalf("%+v", c)
	}
	gw := map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "0123456789abcdef"}
	if c, err := Load(env(gw)); err != nil || c.AuthMode != AuthGateway {
		t.Fatalf("gateway default: %+v %v", c, err)
	}
}

func TestLoadFailsFast(t *testing.T) {
	cases := map[string]func(map[string]string){
		"no table":         func(m map[string]string) { delete(m, "TABLE_NAME") },
		"short cursor key": func(m map[string]string) { m["CURSOR_SECRET"] = "short" },
		"bad auth mode":    func(m map[string]string) { m["AUTH_MODE"] = "header" },
		"jwt without keys": func(m map[string]string) { delete(m, "DEV_JWT_SECRET") },
		"jwt with both":    func(m map[string]string) { m["JWKS_URL"] = "http://127.0.0.1/jwks" },
		"jwt without iss":  func(m map[string]string) { delete(m, "JWT_ISSUER") },
		"bad log level":    func(m map[string]string) { m["LOG_LEVEL"] = "LOUD" },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			m := base()
			mut(m)
			if _, err := Load(env(m)); err == nil || !strings.HasPrefix(err.Error(), "config:") {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}
