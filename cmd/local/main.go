// Command local runs annobridge on one machine: it starts the local stack
// (DynamoDB Local and the SQS emulator), serves every function's routes on
// 127.0.0.1:8080 (PORT overrides) and runs the queue consumers as in-process
// pollers, until interrupted.
//
//	go run ./cmd/local            serve
//	go run ./cmd/local token -email a@example.com [-name "A B"] [-ttl 12h]
//	go run ./cmd/local load [-n 2000] [-c 8] [-d 2m]   bounded loopback load
//	go run ./cmd/local provision -dynamodb URL -sqs URL  table and queues for sam local
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/annobridge/annobridge/internal/app"
	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/config"
	"github.com/annobridge/annobridge/internal/devstack"
	"github.com/annobridge/annobridge/internal/lambdafn"
	"github.com/annobridge/annobridge/internal/streampoll"
	"github.com/annobridge/annobridge/internal/worker"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "load" {
		if err := load(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "provision" {
		if err := provision(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "provision:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "token" {
		if err := token(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "token:", err)
			os.Exit(2)
		}
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := serve(log); err != nil {
		var inUse *portInUse
		if errors.As(err, &inUse) {
			fmt.Fprintln(os.Stderr, inUse.Error())
			os.Exit(2)
		}
		log.Error("local", "err", err)
		os.Exit(1)
	}
}

// portInUse is the one clear answer when the port is taken.
type portInUse struct{ addr string }

func (p *portInUse) Error() string {
	return fmt.Sprintf("annobridge: %s is already in use (another `make run`?). Stop it, or run on another port: PORT=8081 make run", p.addr)
}

// watchParent cancels when the process that started this one goes away:
// `make run` execs this binary, and a make that is signalled alone (not its
// whole process group) must not leave the server and its stack behind.
func watchParent(ctx context.Context, cancel context.CancelFunc) {
	parent := os.Getppid()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				cancel()
				return
			}
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// token prints a development token whose sub is derived from the email.
func token(args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (default: the email's local part)")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("-email is required")
	}
	if *name == "" {
		*name = (*email)[:max(0, indexOf(*email, '@'))]
	}
	tok, err := auth.MintHS256(
		envOr("DEV_JWT_SECRET", config.DefaultDevJWTSecret),
		envOr("JWT_ISSUER", config.DefaultJWTIssuer),
		envOr("JWT_AUDIENCE", config.DefaultJWTAudience),
		auth.Claims{Subject: auth.DevSubject(*email), Email: *email, Name: *name}, *ttl, time.Now())
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

// provision creates the template's table and queues on a DynamoDB Local and
// an SQS emulator already running on loopback, and prints the --env-vars
// file for `sam local start-api` (docs/deploy.md, "sam local").
func provision(args []string) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	ddb := fs.String("dynamodb", "http://127.0.0.1:8000", "DynamoDB Local endpoint")
	sqs := fs.String("sqs", "http://127.0.0.1:9324", "SQS emulator endpoint")
	base := fs.String("base", "http://127.0.0.1:3000", "the URL sam local serves the API on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := devstack.FindRoot()
	if err != nil {
		return err
	}
	stack, err := devstack.Provision(context.Background(), root, *ddb, *sqs)
	if err != nil {
		return err
	}
	// The local contract, as every function sees it: bearer tokens from
	// `make token`, no secrets by ARN (a local run derives its keys).
	env := map[string]string{"AUTH_MODE": config.AuthJWT, "JWT_ISSUER": config.DefaultJWTIssuer,
		"JWT_AUDIENCE": config.DefaultJWTAudience, "JWKS_URL": "", "SIGNIN_URL": "",
		"CURSOR_SECRET_ARN": "", "SHARE_LINK_KEY_ARN": "", "WEBHOOK_KEY_ARN": "", "PUBLIC_BASE_URL": *base, "APP_BASE_URL": "http://localhost:3000",
		"MAIL_FROM": "annobridge <no-reply@annobridge.local>", "LOG_LEVEL": "DEBUG"}
	maps.Copy(env, stack.Env())
	out, err := json.MarshalIndent(map[string]map[string]string{"Parameters": env}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

func indexOf(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}

func serve(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watchParent(ctx, cancel)

	// The port first: a taken port is said at once, before the stack starts.
	addr := net.JoinHostPort("127.0.0.1", envOr("PORT", "8080"))
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return &portInUse{addr: addr}
	}
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	defer ln.Close()

	stack, err := devstack.Start(ctx, devstack.Options{Log: log})
	if err != nil {
		return err
	}
	defer stack.Stop()

	overrides := map[string]string{"PUBLIC_BASE_URL": "http://" + addr}
	for _, k := range []string{"DEV_JWT_SECRET", "JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "MAIL_OUTBOX_DIR", "PUBLIC_BASE_URL", "LOG_LEVEL", "CURSOR_SECRET", "SMTP_ADDR", "MAIL_FROM", "APP_BASE_URL"} {
		if v := os.Getenv(k); v != "" {
			overrides[k] = v
		}
	}
	if overrides["JWKS_URL"] != "" {
		overrides["DEV_JWT_SECRET"] = ""
	}
	cfg := stack.Config(overrides)
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}

	pollCtx, stopPolling := context.WithCancel(context.Background())
	done := make(chan struct{})
	var pollers int
	for _, c := range stack.Template.Consumers {
		name, ok := lambdafn.FromLogicalID(c.Function)
		if !ok {
			stopPolling()
			return fmt.Errorf("template consumer %s is not a known function", c.Function)
		}
		consumer, err := a.Consumer(name)
		if err != nil {
			stopPolling()
			return err
		}
		q := stack.Queues[c.Queue]
		p := &worker.Poller{Client: a.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: c.BatchSize,
			Handle: consumer.Handle, Log: log.With("poller", c.Function)}
		pollers++
		go func() { p.Run(pollCtx); done <- struct{}{} }()
	}

	// The table's stream, as the events function's event source reads it
	// in AWS: audit entries become events and webhook deliveries.
	awsCfg, err := cfg.AWS(ctx)
	if err != nil {
		stopPolling()
		return err
	}
	stream, err := streampoll.ForTable(ctx, a.DB, awsCfg, cfg.DynamoDBEndpoint, cfg.TableName, log, a.EventsHandler)
	if err != nil {
		stopPolling()
		return err
	}
	pollers++
	go func() { stream.Run(pollCtx); done <- struct{}{} }()

	// The sweep (the outbox, the ends of time-boxed partnerships), as the
	// handoff function's schedule runs it in AWS.
	pollers++
	go func() {
		defer func() { done <- struct{}{} }()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-tick.C:
				if _, _, err := a.Sweep(pollCtx); err != nil && pollCtx.Err() == nil {
					log.Warn("sweep", "err", err)
				}
			}
		}
	}()

	srv := &http.Server{Addr: addr, Handler: a.Router(lambdafn.HTTP...), ReadHeaderTimeout: 10 * time.Second}
	log.Info("annobridge listening", "url", "http://"+addr, "outbox", cfg.MailOutboxDir)
	fmt.Printf("annobridge ready on http://%s (mail in %s; Ctrl-C stops)\n", addr, cfg.MailOutboxDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	stopPolling()
	for range pollers {
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
