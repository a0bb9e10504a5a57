package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/together-coop/together/services/internal/problem"
)

// ContentSecurityPolicy is sent with every answer: nothing but the
// service's own scripts, styles and images, never framed.
const ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// withSecurity checks the Host header against allowed (unless empty) and
// the sender against plainFrom (unless empty), and sets the headers every
// answer carries. Answers are not cached anywhere: most hold personal data
// or figures that change with each event.
func withSecurity(allowed []string, hsts bool, plainFrom []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if len(allowed) > 0 && !hostAllowed(r.Host, allowed) {
			// A name nobody configured is how DNS rebinding reaches a
			// service on loopback from a web page.
			problem.Write(w, r, http.StatusMisdirectedRequest, "this server does not answer to host "+quote(r.Host)+"; set it in the allowed hosts if it is yours")
			return
		}
		if len(plainFrom) > 0 && !senderAllowed(r.RemoteAddr, plainFrom) {
			problem.Write(w, r, http.StatusForbidden, "this server answers in plain HTTP only through its TLS-terminating proxy; connect through the proxy")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// plainFrom is who may send requests: with TLS, or with no proxy named,
// anyone (nil); in plain HTTP behind a proxy, the proxy and loopback.
func plainFrom(cfg Config) []netip.Prefix {
	if cfg.TLS || len(cfg.TrustedProxies) == 0 {
		return nil
	}
	return cfg.TrustedProxies
}

// senderAllowed says whether remote (an http.Request's RemoteAddr) is
// loopback or inside one of from. An address that cannot be read is not.
func senderAllowed(remote string, from []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	return addr.IsLoopback() || slices.ContainsFunc(from, func(p netip.Prefix) bool { return p.Contains(addr) })
}

func hostAllowed(hostport string, allowed []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return slices.Contains(allowed, host)
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return "\"" + strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s) + "\""
}
