package httpapi_test

// TestLogsHoldNoSecrets runs a representative flow through an app of its
// own on the local stack, with every log line it writes captured (the
// routers, the queue consumers, the pollers and the default logger, at
// DEBUG), and looks in them for every secret the flow handled: bearer
// tokens (whole, and their signatures), invitation tokens from the mail,
// the share-link token, the cursor secret, the JWT secret and the
// share-link key. The app has its own queues (so its mail reaches its own
// consumers), its own outbox folder and secrets no other test uses.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/worker"
)

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// ownQueues creates a copy of each queue of the template for one test and
// returns the environment pointing the app at them, and the copies by
// logical id.
func ownQueues(t *testing.T, prefix string) (map[string]string, map[string]devstack.Queue) {
	t.Helper()
	cfg := stack.Config()
	awsCfg, err := cfg.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := cfg.SQS(awsCfg)
	queues := map[string]devstack.Queue{}
	for _, def := range stack.Template.Queues {
		attrs := map[string]string{}
		if def.FifoQueue {
			attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
			if def.ContentBasedDeduplication {
				attrs[string(sqstypes.QueueAttributeNameContentBasedDeduplication)] = "true"
			}
		}
		res, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(prefix + def.QueueName), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		got, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: res.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		queues[def.LogicalID] = devstack.Queue{QueueDef: def, URL: aws.ToString(res.QueueUrl),
			ARN: got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}
	}
	env := map[string]string{}
	for name, ref := range stack.Template.EnvRefs {
		if q, ok := queues[ref]; ok {
			env[name] = q.URL
		}
	}
	return env, queues
}

// mailedTokens returns the invitation tokens of the mail to addr in dir.
func mailedTokens(t testing.TB, dir, addr string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var tokens []string
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil || !strings.EqualFold(msg.Header.Get("To"), addr) {
				continue
			}
			var rd io.Reader = msg.Body
			if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				rd = quotedprintable.NewReader(msg.Body)
			}
			body, _ := io.ReadAll(rd)
			for _, m := range linkRE.FindAllStringSubmatch(string(body), -1) {
				tokens = append(tokens, m[1])
			}
		}
		if len(tokens) >= n {
			return tokens
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invitation mail to %s in %s (have %d tokens)", addr, dir, len(tokens))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	devstack.NeedStack(t)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(prev) })

	jwtSecret := "logscan-jwt-secret-" + randomHex(t, 16)
	cursorSecret := "logscan-cursor-secret-" + randomHex(t, 16)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	shareKey := base64.StdEncoding.EncodeToString(key)
	outboxDir := t.TempDir()
	env, queues := ownQueues(t, "logscan-"+randomHex(t, 4)+"-")
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	env["MAIL_OUTBOX_DIR"], env["PUBLIC_BASE_URL"] = outboxDir, base
	env["DEV_JWT_SECRET"], env["CURSOR_SECRET"], env["SHARE_LINK_KEY"] = jwtSecret, cursorSecret, shareKey
	env["LOG_LEVEL"] = "DEBUG"
	cfg := stack.Config(env)
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Router(lambdafn.HTTP...)
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	retryNow := time.Duration(0)
	for fn, queue := range map[string]string{lambdafn.Mailer: "MailQueue", lambdafn.Jobs: "JobsQueue", lambdafn.Handoff: "ReviewHandoffQueue"} {
		consumer, err := a.Consumer(fn)
		if err != nil {
			t.Fatal(err)
		}
		q, ok := queues[queue]
		if !ok {
			t.Fatalf("no queue %s in the template", queue)
		}
		p := &worker.Poller{Client: a.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10, Handle: consumer.Handle, Log: log, RetryDelay: &retryNow}
		go p.Run(ctx)
	}

	// The same app with every DynamoDB call failing: internal errors
	// are logged with their cause.
	broken := stack.Config(env)
	broken.APIOptions = append(broken.APIOptions, offlineStore)
	b, err := app.New(context.Background(), broken, log)
	if err != nil {
		t.Fatal(err)
	}
	brokenSrv := httptest.NewServer(checked(b.Router(lambdafn.HTTP...)))
	t.Cleanup(brokenSrv.Close)

	var secrets []string // what must not be logged
	mint := func(who string, ttl time.Duration) (string, string) {
		email := uniqueEmail(t, who)
		tok, err := auth.MintHS256(jwtSecret, config.DefaultJWTIssuer, config.DefaultJWTAudience,
			auth.Claims{Subject: auth.DevSubject(email), Email: email, Name: "Name of " + who}, ttl, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok, tok[strings.LastIndex(tok, ".")+1:])
		return email, tok
	}
	on := func(method, path, token string, body any, headers ...string) response {
		t.Helper()
		return callOn(t, base, method, path, token, body, headers...)
	}
	_, owner := mint("owner", time.Hour)
	inviteeEmail, invitee := mint("invitee", time.Hour)
	newcomerEmail, newcomer := mint("newcomer", time.Hour)
	pendingEmail, _ := mint("pending", time.Hour)
	_, partner := mint("partner", time.Hour)
	_, expired := mint("expired", -time.Hour)

	// An org, a project, an invitation by mail accepted, another declined,
	// a share link read back and accepted by another org, pages of
	// members with a cursor, bad and expired bearer tokens, an idempotent
	// create, the acceptance page, and internal errors.
	org := on("POST", "/orgs", owner, map[string]string{"name": "Logscan Org"}, "Idempotency-Key", "logscan-"+randomHex(t, 8)).want(t, 201)
	orgID, ws := org.str("id"), org.str("defaultWorkspaceId")
	project := on("POST", "/workspaces/"+ws+"/projects", owner, map[string]string{"name": "Logscan Project"}).want(t, 201).str("id")
	on("POST", "/orgs/"+orgID+"/invitations", owner, map[string]string{"email": inviteeEmail, "role": "member"}).want(t, 201)
	invToken := mailedTokens(t, outboxDir, inviteeEmail, 1)[0]
	on("GET", "/invitations/"+invToken, "", nil).want(t, 200)
	on("GET", "/invitations/"+invToken, "", nil, "Accept", "text/html") // the page (its redirect loses the cookie here)
	on("POST", "/invitations/"+invToken+"/accept", invitee, nil).want(t, 200)
	on("POST", "/invitations/"+invToken+"/accept", invitee, nil).problem(t, 410, "")
	on("POST", "/projects/"+project+"/members", owner, map[string]string{"email": newcomerEmail, "role": "annotator"}).want(t, 202)
	newToken := mailedTokens(t, outboxDir, newcomerEmail, 1)[0]
	on("POST", "/invitations/"+newToken+"/decline", newcomer, nil).want(t, 200)
	on("POST", "/orgs/"+orgID+"/invitations", owner, map[string]string{"email": pendingEmail, "role": "member"}).want(t, 201)
	pendingToken := mailedTokens(t, outboxDir, pendingEmail, 1)[0]
	link := on("PUT", "/projects/"+project+"/share-link", owner, nil).want(t, 201).str("url")
	shareToken := tokenOf(t, link)
	if again := on("GET", "/projects/"+project+"/share-link", owner, nil).want(t, 200).str("url"); again != link {
		t.Fatalf("read back %q, want %q", again, link)
	}
	partnerOrg := on("POST", "/orgs", partner, map[string]string{"name": "Logscan Partner"}).want(t, 201).str("id")
	on("GET", "/invitations/"+shareToken, "", nil).want(t, 200)
	on("POST", "/invitations/"+shareToken+"/accept", partner, map[string]string{"orgId": partnerOrg}).want(t, 200)
	page := on("GET", "/orgs/"+orgID+"/members?limit=1", owner, nil).want(t, 200)
	cursor, _ := page.body["nextCursor"].(string)
	if cursor == "" {
		t.Fatalf("no next page: %s", page.raw)
	}
	on("GET", "/orgs/"+orgID+"/members?limit=1&cursor="+cursor, owner, nil).want(t, 200)
	on("GET", "/orgs/"+orgID+"/members?limit=1&cursor="+cursor+"x", owner, nil).problem(t, 400, "cursor")
	forged := owner[:len(owner)-4] + "AAAA"
	secrets = append(secrets, forged)
	on("GET", "/orgs", forged, nil).problem(t, 401, "")
	on("GET", "/orgs", expired, nil).problem(t, 401, "")
	on("GET", "/orgs", "", nil, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("owner:"+jwtSecret))).problem(t, 401, "")
	on("GET", "/invitations/page?token="+pendingToken, "", nil, "Accept", "text/html")
	callOn(t, brokenSrv.URL, "POST", "/invitations/"+pendingToken+"/accept", invitee, nil).want(t, 500)
	callOn(t, brokenSrv.URL, "GET", "/invitations/"+pendingToken, "", nil).want(t, 500)
	callOn(t, brokenSrv.URL, "PUT", "/projects/"+project+"/share-link", owner, nil).want(t, 500)
	time.Sleep(time.Second) // the consumers' last lines

	secrets = append(secrets, invToken, newToken, pendingToken, shareToken, jwtSecret, cursorSecret,
		shareKey, base64.RawURLEncoding.EncodeToString(key), base64.RawStdEncoding.EncodeToString(key), hex.EncodeToString(key), string(key))
	captured := logs.String()
	if !strings.Contains(captured, `"msg":"request"`) || !strings.Contains(captured, "internal error") {
		t.Fatalf("the logs were not captured:\n%.2000s", captured)
	}
	for _, s := range secrets {
		if i := strings.Index(captured, s); i >= 0 {
			from, to := max(0, i-200), min(len(captured), i+len(s)+50)
			t.Errorf("a secret (%d bytes, %.12s…) is in the logs: …%s…", len(s), s, captured[from:to])
		}
	}
	t.Logf("%d log lines, %d bytes, %d secrets looked for", strings.Count(captured, "\n"), len(captured), len(secrets))
}
