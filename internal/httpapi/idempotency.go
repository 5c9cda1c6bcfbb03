package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// idempotent runs a mutating POST that carries an Idempotency-Key: the first
// request with a key runs and its answer is saved; the same key with the
// same request replays that answer, however large; the same key with another
// request is 422; a key whose first request is still running is 409 (with
// Retry-After) until that request's lease ends, after which the same request
// takes the claim over and runs. An answer of 5xx is not saved, nor is one
// the store fails to save: the claim is released so the client can retry.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, c collab.Caller, h handler) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 || !printable(key) {
		writeError(w, r, invalidField("Idempotency-Key", "must be 1 to 255 printable ASCII characters"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		writeError(w, r, jsonError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	hash := IdempotencyRequestHash(r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), body)

	ctx := r.Context()
	saved, claimed, err := a.idem.Claim(ctx, c.UserID, key, hash)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !claimed {
		switch {
		case saved.RequestHash != hash:
			e := collab.Errorf(collab.CodeUnprocessable, "this Idempotency-Key was used with a different request")
			e.Fields = []collab.FieldError{{Field: "Idempotency-Key", Message: "was used with a different request"}}
			writeError(w, r, e)
		case !saved.Done:
			if !saved.LeaseUntil.IsZero() {
				wait := math.Ceil(time.Until(saved.LeaseUntil).Seconds())
				w.Header().Set("Retry-After", strconv.Itoa(int(max(1, wait))))
			}
			writeError(w, r, collab.Errorf(collab.CodeConflict, "a request with this Idempotency-Key is still running"))
		default:
			for k, v := range saved.Header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(saved.Status)
			_, _ = w.Write(saved.Body)
		}
		return
	}

	rec := httptest.NewRecorder()
	if err := h(rec, r, c); err != nil {
		writeError(rec, r, err)
	}
	release := func(why string, err error) {
		if err != nil {
			logger(ctx).WarnContext(ctx, why, "err", err)
		}
		if err := a.idem.Release(ctx, c.UserID, key, saved.Claim); err != nil {
			logger(ctx).WarnContext(ctx, "release idempotency key", "err", err)
		}
	}
	// Answers that say "not now" are not the request's answer: a server
	// error, or a rate limit whose Retry-After a replay would lose. The
	// key is released so the retry runs.
	if rec.Code >= 500 || rec.Code == http.StatusTooManyRequests {
		release("", nil)
	} else {
		keep := map[string]string{}
		for _, name := range []string{"Content-Type", "Location", "Cache-Control"} {
			if v := rec.Header().Get(name); v != "" {
				keep[name] = v
			}
		}
		resp := collab.SavedResponse{RequestHash: hash, Done: true, Claim: saved.Claim, Status: rec.Code, Header: keep, Body: rec.Body.Bytes()}
		if err := a.idem.Complete(ctx, c.UserID, key, resp); err != nil {
			// Not saved: a claim left standing would answer 409 until its
			// lease ends, so it is released and a retry runs again.
			release("save idempotent answer", err)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// IdempotencyRequestHash is what an Idempotency-Key is bound to: method,
// URI, content type and body.
func IdempotencyRequestHash(method, requestURI, contentType string, body []byte) string {
	sum := sha256.New()
	for _, part := range []string{method, requestURI, contentType} {
		sum.Write([]byte(part))
		sum.Write([]byte{0})
	}
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil))
}

func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
