package contract

import (
	"bytes"
	"net/http"
)

// recorder passes a response through to the real writer and keeps a copy:
// the status, the headers as sent and the body.
type recorder struct {
	http.ResponseWriter
	status  int
	header  http.Header
	body    bytes.Buffer
	started func(header http.Header) // called once, when the status is set
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.settle(code)
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) settle(code int) {
	r.status = code
	r.header = r.ResponseWriter.Header().Clone()
	r.started(r.header)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.body.Write(b[:n])
	return n, err
}

// Flush sends what is buffered, as http.Flusher.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// finish settles a response the handler never wrote: 200, no body.
func (r *recorder) finish() {
	if r.status == 0 {
		r.settle(http.StatusOK)
	}
}
