package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The local server as `make run` starts it: healthz, a token from the token
// command, an org created with it, 401 without it, and a clean stop on
// SIGINT that takes the local stack down with it.
func TestLocalServerEndToEnd(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "annobridge-local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	base := "http://127.0.0.1:" + port

	var logs bytes.Buffer
	outbox := t.TempDir()
	srv := exec.Command(bin)
	srv.Env = append(os.Environ(), "PORT="+port, "MAIL_OUTBOX_DIR="+outbox)
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		if srv.ProcessState == nil {
			_ = srv.Process.Kill()
		}
	}()

	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not up: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	tok, err := exec.Command(bin, "token", "-email", "smoke@example.com").Output()
	if err != nil {
		t.Fatal(err)
	}
	post := func(token string) (int, map[string]any, string) {
		req, _ := http.NewRequest("POST", base+"/orgs", strings.NewReader(`{"name":"Smoke Org"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		return res.StatusCode, body, res.Header.Get("Content-Type")
	}
	code, body, _ := post(strings.TrimSpace(string(tok)))
	if code != 201 || body["role"] != "owner" {
		t.Fatalf("POST /orgs with token: %d %v", code, body)
	}
	// An invitation travels through the mail queue to the in-process mailer,
	// which writes it to the outbox with its acceptance link.
	req, _ := http.NewRequest("POST", base+"/orgs/"+body["id"].(string)+"/invitations",
		strings.NewReader(`{"email":"invitee@example.com","role":"member"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("invite: %v %v", err, res)
	}
	res.Body.Close()
	for deadline := time.Now().Add(20 * time.Second); ; {
		files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
		if len(files) == 1 {
			eml, _ := os.ReadFile(files[0])
			if !strings.Contains(string(eml), "To: invitee@example.com") || !strings.Contains(string(eml), base+"/invitations/") {
				t.Fatalf("outbox message:\n%s", eml)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email in the outbox\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, ct := post(""); code != 401 || ct != "application/problem+json" {
		t.Fatalf("POST /orgs without token: %d %s", code, ct)
	}
	// One plain line says where it serves.
	if !strings.Contains(logs.String(), "annobridge ready on "+base+" ") {
		t.Fatalf("no ready line:\n%s", logs.String())
	}
	// A second server on the same port says so at once, without a stack.
	second := exec.Command(bin)
	second.Env = append(os.Environ(), "PORT="+port)
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "127.0.0.1:"+port+" is already in use") {
		t.Fatalf("second server on a taken port: exit %d %v\n%s", code, err, out)
	}

	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("server exit: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not stop on SIGINT\n%s", logs.String())
	}
	// The stack went with it: nothing answers on the server's port.
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after stop")
	}
	checked := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		var entry struct{ Msg, DynamoDB, SQS string }
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Msg != "local stack ready" {
			continue
		}
		for _, u := range []string{entry.DynamoDB, entry.SQS} {
			if _, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second); err == nil {
				t.Fatalf("%s still listening after the server stopped", u)
			}
			checked++
		}
	}
	if checked != 2 {
		t.Fatalf("found no stack endpoints in the logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Fatalf("no clean shutdown in logs:\n%s", logs.String())
	}
}

// `make run` execs the server; when only make is signalled (not its
// process group), the server notices its parent went and stops, stack and
// all, instead of living on.
func TestServerStopsWhenItsParentGoes(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "annobridge-local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell stands in for make: it starts the server and waits.
	parent := exec.Command("sh", "-c", bin+" & echo $! > "+pidFile+"; wait")
	parent.Env = append(os.Environ(), "PORT="+port, "MAIL_OUTBOX_DIR="+t.TempDir())
	var logs bytes.Buffer
	parent.Stdout, parent.Stderr = &logs, &logs
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + port
	for deadline := time.Now().Add(90 * time.Second); ; {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = parent.Process.Kill()
			t.Fatalf("server not up\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	// Only the parent is killed, as a lone `kill <make's pid>` would.
	_ = parent.Process.Kill()
	_ = parent.Wait()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if syscall.Kill(pid, 0) != nil {
			break // gone
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the server outlived its parent\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after its parent went")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Fatalf("no clean shutdown:\n%s", logs.String())
	}
}
