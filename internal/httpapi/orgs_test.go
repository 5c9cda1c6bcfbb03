package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/annobridge/annobridge/internal/config"
)

func TestHealthz(t *testing.T) {
	r := call(t, "GET", "/healthz", "", nil).want(t, 200)
	if r.str("status") != "ok" {
		t.Fatalf("healthz body %s", r.raw)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id")
	}
}

func TestCreateOrgMakesOwnerAndDefaultWorkspace(t *testing.T) {
	email := uniqueEmail(t, "alice")
	tok := userToken(t, email)
	r := call(t, "POST", "/orgs", tok, map[string]string{"name": "  Acme Labs  "}).want(t, 201)
	id := r.str("id")
	if !strings.HasPrefix(id, "org_") || r.str("name") != "Acme Labs" || r.str("role") != "owner" || r.str("defaultWorkspaceId") == "" {
		t.Fatalf("create answer %s", r.raw)
	}
	if r.header.Get("Location") != "/orgs/"+id {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	got := call(t, "GET", "/orgs/"+id, tok, nil).want(t, 200)
	if got.str("id") != id || got.str("role") != "owner" || got.str("name") != "Acme Labs" {
		t.Fatalf("get answer %s", got.raw)
	}
	list := call(t, "GET", "/orgs", tok, nil).want(t, 200)
	items := list.items()
	if len(items) != 1 || items[0]["id"] != id || items[0]["role"] != "owner" || items[0]["name"] != "Acme Labs" {
		t.Fatalf("list answer %s", list.raw)
	}
	members := call(t, "GET", "/orgs/"+id+"/members", tok, nil).want(t, 200).items()
	if len(members) != 1 || members[0]["email"] != email || members[0]["role"] != "owner" ||
		members[0]["name"] != "Name of "+email {
		t.Fatalf("members %v", members)
	}
}

func TestOrgOfAnotherTenantIsInvisible(t *testing.T) {
	owner := userToken(t, uniqueEmail(t, "owner"))
	outsider := userToken(t, uniqueEmail(t, "outsider"))
	id := call(t, "POST", "/orgs", owner, map[string]string{"name": "Private"}).want(t, 201).str("id")
	call(t, "GET", "/orgs/"+id, outsider, nil).problem(t, 404, "")
	call(t, "GET", "/orgs/"+id+"/members", outsider, nil).problem(t, 404, "")
	// Not found looks the same as for an org that does not exist.
	a := call(t, "GET", "/orgs/"+id, outsider, nil)
	b := call(t, "GET", "/orgs/org_doesnotexist", outsider, nil)
	if a.status != b.status || a.str("type") != b.str("type") {
		t.Fatalf("existing and missing orgs answer differently: %s vs %s", a.raw, b.raw)
	}
	if got := call(t, "GET", "/orgs", outsider, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("outsider lists %v", got)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	email := uniqueEmail(t, "u")
	sign := func(m jwt.SigningMethod, key any, mut func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"sub": "x", "email": email, "iss": config.DefaultJWTIssuer, "aud": config.DefaultJWTAudience,
			"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Unix()}
		if mut != nil {
			mut(c)
		}
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	secret := []byte(config.DefaultDevJWTSecret)
	cases := map[string]string{
		"other key":    sign(jwt.SigningMethodHS256, []byte("some-other-key-entirely"), nil),
		"expired":      sign(jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"alg none":     sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
		"wrong issuer": sign(jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["iss"] = "elsewhere" }),
		"garbage":      "abc.def.ghi",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			call(t, "POST", "/orgs", tok, map[string]string{"name": "x"}).problem(t, 401, "")
			call(t, "GET", "/orgs", tok, nil).problem(t, 401, "")
		})
	}
	t.Run("no token", func(t *testing.T) {
		r := call(t, "POST", "/orgs", "", map[string]string{"name": "x"})
		r.problem(t, 401, "")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatal("no WWW-Authenticate challenge")
		}
	})
	t.Run("basic scheme", func(t *testing.T) {
		call(t, "GET", "/orgs", "", nil, "Authorization", "Basic YTpi").problem(t, 401, "")
	})
	t.Run("identity headers are ignored", func(t *testing.T) {
		call(t, "GET", "/orgs", "", nil, "X-User-Id", "someone", "X-GoLambdaProxy-ApiGw-Context",
			`{"authorizer":{"jwt":{"claims":{"sub":"someone"}}}}`).problem(t, 401, "")
	})
}

func TestBadInputIsNamed(t *testing.T) {
	tok := userToken(t, uniqueEmail(t, "u"))
	call(t, "POST", "/orgs", tok, map[string]any{}).problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]any{"name": "   "}).problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]any{"name": strings.Repeat("n", 121)}).problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]any{"name": "a\x00b"}).problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]any{"name": 42}).problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]any{"name": "ok", "owner": "me"}).problem(t, 400, "owner")
	call(t, "POST", "/orgs", tok, `{"name": "ok"`).problem(t, 400, "body")
	call(t, "POST", "/orgs", tok, `{"name": "ok"} {"name": "again"}`).problem(t, 400, "body")
	call(t, "POST", "/orgs", tok, `[]`).problem(t, 400, "body")
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	call(t, "POST", "/orgs", tok, big).problem(t, 413, "")
	call(t, "POST", "/orgs", tok, "name=x", "Content-Type", "application/x-www-form-urlencoded").problem(t, 415, "")
	call(t, "GET", "/orgs?limit=0", tok, nil).problem(t, 400, "limit")
	call(t, "GET", "/orgs?limit=201", tok, nil).problem(t, 400, "limit")
	call(t, "GET", "/orgs?limit=ten", tok, nil).problem(t, 400, "limit")
	// Nothing was created by any of the refused calls.
	if got := call(t, "GET", "/orgs", tok, nil).want(t, 200).items(); len(got) != 0 {
		t.Fatalf("refused calls created %v", got)
	}
}

func TestUnknownRoutesAreProblems(t *testing.T) {
	call(t, "GET", "/nowhere", "", nil).problem(t, 404, "")
	r := call(t, "DELETE", "/healthz", "", nil)
	r.problem(t, 405, "")
	if r.header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
}

func TestListOrgsPaginates(t *testing.T) {
	tok := userToken(t, uniqueEmail(t, "many"))
	want := map[string]bool{}
	for i := range 5 {
		id := call(t, "POST", "/orgs", tok, map[string]string{"name": fmt.Sprintf("Org %d", i)}).want(t, 201).str("id")
		want[id] = true
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		q := "/orgs?limit=2"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := call(t, "GET", q, tok, nil).want(t, 200)
		pages++
		for _, it := range r.items() {
			id := it["id"].(string)
			if seen[id] {
				t.Fatalf("org %s listed twice", id)
			}
			seen[id] = true
		}
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if len(seen) != len(want) || pages < 3 {
		t.Fatalf("saw %d orgs in %d pages, want %d in at least 3", len(seen), pages, len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("org %s missing", id)
		}
	}

	first := call(t, "GET", "/orgs?limit=2", tok, nil).want(t, 200)
	c, _ := first.body["nextCursor"].(string)
	tampered := c[:len(c)-2] + "AA"
	if tampered == c {
		tampered = c[:len(c)-2] + "BB"
	}
	call(t, "GET", "/orgs?limit=2&cursor="+url.QueryEscape(tampered), tok, nil).problem(t, 400, "cursor")
	// A cursor of one listing does not work on another's.
	other := userToken(t, uniqueEmail(t, "other"))
	call(t, "GET", "/orgs?limit=2&cursor="+url.QueryEscape(c), other, nil).problem(t, 400, "cursor")
	call(t, "GET", "/orgs?cursor=garbage", tok, nil).problem(t, 400, "cursor")
}

func TestIdempotencyKeyReplaysFirstAnswer(t *testing.T) {
	tok := userToken(t, uniqueEmail(t, "idem"))
	body := map[string]string{"name": "Once Only"}
	first := call(t, "POST", "/orgs", tok, body, "Idempotency-Key", "key-1").want(t, 201)
	again := call(t, "POST", "/orgs", tok, body, "Idempotency-Key", "key-1").want(t, 201)
	if again.str("id") != first.str("id") || again.header.Get("Idempotent-Replayed") != "true" ||
		again.header.Get("Location") != first.header.Get("Location") {
		t.Fatalf("replay differs: %s vs %s", first.raw, again.raw)
	}
	call(t, "POST", "/orgs", tok, map[string]string{"name": "Other"}, "Idempotency-Key", "key-1").problem(t, 422, "Idempotency-Key")
	if n := len(call(t, "GET", "/orgs", tok, nil).want(t, 200).items()); n != 1 {
		t.Fatalf("%d orgs after replays, want 1", n)
	}
	// Keys are per caller: another user's key-1 is their own.
	other := userToken(t, uniqueEmail(t, "idem2"))
	if id := call(t, "POST", "/orgs", other, body, "Idempotency-Key", "key-1").want(t, 201).str("id"); id == first.str("id") {
		t.Fatal("another caller got the first caller's answer")
	}
	// A refused request is replayed as refused, and does not create anything.
	call(t, "POST", "/orgs", tok, map[string]string{"name": ""}, "Idempotency-Key", "key-2").problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, map[string]string{"name": ""}, "Idempotency-Key", "key-2").problem(t, 400, "name")
	call(t, "POST", "/orgs", tok, body, "Idempotency-Key", strings.Repeat("k", 256)).problem(t, 400, "Idempotency-Key")
}

func TestConcurrentIdempotentCreatesMakeOneOrg(t *testing.T) {
	tok := userToken(t, uniqueEmail(t, "race"))
	const n = 10
	codes := make(chan int, n)
	for range n {
		go func() {
			codes <- call(t, "POST", "/orgs", tok, map[string]string{"name": "Raced"}, "Idempotency-Key", "race-key").status
		}()
	}
	for range n {
		if c := <-codes; c != 201 && c != 409 {
			t.Fatalf("status %d, want 201 or 409", c)
		}
	}
	if got := len(call(t, "GET", "/orgs", tok, nil).want(t, 200).items()); got != 1 {
		t.Fatalf("%d orgs, want exactly 1", got)
	}
}
