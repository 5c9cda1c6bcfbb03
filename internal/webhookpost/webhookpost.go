// Package webhookpost POSTs webhook deliveries: no redirects followed, a
// bounded answer read, and a dialer that connects only where the
// deployment allows (loopback in a local run; public addresses elsewhere,
// checked on the address actually dialled, so a name that resolves to a
// private address is refused whatever it said when registered).
package webhookpost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Poster is the collab.WebhookPoster over HTTP.
type Poster struct{ client *http.Client }

// ErrRefusedAddress is a dial to an address the policy refuses.
var ErrRefusedAddress = errors.New("webhook address refused")

// New returns a poster; loopbackOnly allows loopback addresses alone (a
// local run), otherwise only public ones.
func New(loopbackOnly bool) Poster {
	allowed := func(a netip.Addr) bool {
		if loopbackOnly {
			return a.Unmap().IsLoopback()
		}
		return collab.PublicAddr(a)
	}
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !allowed(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: collab.DeliveryTimeout}
	return Poster{client: &http.Client{Transport: tr, Timeout: collab.DeliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Post sends the body and answers the receiver's status; the answer's
// body is read (at most 64 KiB) and dropped.
func (p Poster) Post(ctx context.Context, url string, body []byte, header map[string]string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}
