package loadbench

// Unit tests of the harness itself; they need no stack.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		frames []string
		want   string
	}{
		{[]string{"runtime.mallocgc", "encoding/json.Marshal", "github.com/annobridge/annobridge/internal/httpapi.writeJSON"}, catJSON},
		{[]string{"encoding/json.(*decodeState).object", "github.com/golang-jwt/jwt/v5.(*Parser).ParseUnverified"}, catJWT},
		{[]string{"encoding/json.(*Decoder).Decode", "github.com/aws/smithy-go/transport/http/protocol/awsjson.(*Protocol).DeserializeResponse"}, catMarshal},
		{[]string{"crypto/sha256.block", "github.com/aws/aws-sdk-go-v2/aws/signer/v4.(*Signer).SignHTTP"}, catSigning},
		{[]string{"syscall.Syscall", "internal/poll.(*FD).Write", "net.(*conn).Write", "net/http.persistConnWriter.Write", "net/http.(*persistConn).writeLoop"}, catTransport},
		{[]string{"syscall.Syscall", "net.(*conn).Write", "net/http.checkConnErrorWriter.Write", "bufio.(*Writer).Flush", "net/http.(*response).finishRequest", "net/http.(*conn).serve"}, catHTTPServer},
		{[]string{"net/http.Header.Get", "github.com/annobridge/annobridge/internal/httpapi.BearerAuthenticator.Authenticate"}, catAppHTTP},
		{[]string{"strings.Index", "net/http.(*ServeMux).findHandler", "net/http.(*conn).serve"}, catRouting},
		{[]string{"log/slog.(*handleState).appendAttr", "github.com/annobridge/annobridge/internal/httpapi.observe.func1"}, catLogging},
		{[]string{"reflect.Value.Field", "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue.(*Decoder).decodeStruct", "github.com/annobridge/annobridge/internal/ddbstore.(*Store).loadStanding"}, catMarshal},
		{[]string{"github.com/aws/aws-sdk-go-v2/service/dynamodb.serializeAttributeValue"}, catMarshal},
		{[]string{"github.com/aws/aws-sdk-go-v2/service/dynamodb.(*resolveEndpointV2Middleware).HandleFinalize"}, catSDKMW},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker.func2", "runtime.systemstack", "runtime.gcBgMarkWorker"}, catGC},
		{[]string{"runtime.futex", "runtime.notesleep", "runtime.stopm", "runtime.findRunnable", "runtime.schedule", "runtime.park_m", "runtime.mcall"}, catRuntime},
	} {
		if got := classify(c.frames); got != c.want {
			t.Errorf("classify(%v) = %q, want %q", c.frames, got, c.want)
		}
	}
}

// TestParseProfiles reads a CPU profile of labelled work and two
// allocation profiles of this process with the package's own decoder.
func TestParseProfiles(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("cpu profiler busy: %v", err)
	}
	pprof.Do(context.Background(), pprof.Labels(labelSide, sideClient), func(context.Context) {
		sum := [32]byte{}
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
			sum = sha256.Sum256(sum[:])
		}
	})
	pprof.StopCPUProfile()
	p, err := parseProfile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.valueIndex("cpu") < 0 || len(p.samples) == 0 {
		t.Fatalf("no cpu samples: types %v, %d samples", p.types, len(p.samples))
	}
	a := attribute(p.samples, p.valueIndex("cpu"))
	if a.total[sideClient] == 0 {
		t.Fatalf("no sample carries the client label: %v", a.total)
	}
	found := false
	for _, s := range p.samples {
		for _, f := range s.frames {
			if strings.HasPrefix(f, "crypto/sha256.") {
				found = true
			}
		}
	}
	if !found {
		t.Error("no sha256 frame in the profile")
	}

	before, err := writeHeap()
	if err != nil {
		t.Fatal(err)
	}
	keep := make([][]byte, 0, 4096)
	for range 4096 {
		keep = append(keep, make([]byte, 4096))
	}
	after, err := writeHeap()
	if err != nil {
		t.Fatal(err)
	}
	_ = keep
	hb, err := parseProfile(before)
	if err != nil {
		t.Fatal(err)
	}
	ha, err := parseProfile(after)
	if err != nil {
		t.Fatal(err)
	}
	if ha.valueIndex("alloc_space") < 0 {
		t.Fatalf("allocs profile types %v", ha.types)
	}
	for _, s := range diffSamples(hb, ha) {
		for _, v := range s.values {
			if v < 0 {
				t.Fatalf("negative difference %v", s.values)
			}
		}
	}
}

func TestRawClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		if r.URL.Path == "/chunked" {
			for range 3 {
				_, _ = w.Write(bytes.Repeat([]byte("x"), 5000))
				w.(http.Flusher).Flush()
			}
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	host := srv.Listener.Addr().String()
	c := &rawClient{addr: host}
	defer c.close()
	for range 3 {
		status, err := c.do(request(nil, "GET", host, "/x", "tok", nil))
		if err != nil || status != 200 || string(c.body) != `{"ok":true}` {
			t.Fatalf("status %d, body %q, err %v", status, c.body, err)
		}
	}
	status, err := c.do(request(nil, "POST", host, "/chunked", "tok", []byte(`{}`)))
	if err != nil || status != 200 || len(c.body) != 15000 {
		t.Fatalf("chunked: status %d, %d bytes, err %v", status, len(c.body), err)
	}
	if status, err := c.do(request(nil, "GET", host, "/x", "", nil)); err != nil || status != 401 {
		t.Fatalf("no token: status %d, err %v", status, err)
	}
}

func TestSameLength(t *testing.T) {
	got := sameLength("itm_01jd3xyzabcdefghjkmnpqrstv", "lb", 42)
	if len(got) != len("itm_01jd3xyzabcdefghjkmnpqrstv") || !strings.HasPrefix(got, "itm_lb") || !strings.HasSuffix(got, "42") {
		t.Fatalf("sameLength = %q", got)
	}
}
