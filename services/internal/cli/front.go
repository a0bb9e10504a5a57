package cli

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/together-coop/together/projections/representativeness"
	"github.com/together-coop/together/services/internal/app"
	"github.com/together-coop/together/services/internal/auth"
)

// reportFlags are where the reports are read: the programmes' time zone
// and the population the representativeness report compares with.
type reportFlags struct {
	timeZone, baseline string
}

func (f *reportFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&f.timeZone, "time-zone", orDefault(env("TOGETHER_TIME_ZONE"), "Europe/London"), "the programmes' time zone, in which dates, windows and day counts are taken (env TOGETHER_TIME_ZONE)")
	fs.StringVar(&f.baseline, "baseline", env("TOGETHER_BASELINE"), "JSON file of the population's shares per category (age_band, ethnicity, disability, deprivation_decile) for the representativeness report (env TOGETHER_BASELINE)")
}

// apply sets what the flags say on cfg.
func (f *reportFlags) apply(cfg *app.Config) error {
	loc, err := time.LoadLocation(f.timeZone)
	if err != nil {
		return fmt.Errorf("--time-zone %q: want a zone such as Europe/London", f.timeZone)
	}
	cfg.Location = loc
	if f.baseline == "" {
		return nil
	}
	data, err := os.ReadFile(f.baseline)
	if err != nil {
		return fmt.Errorf("--baseline: %w", err)
	}
	b, err := representativeness.ParseBaseline(data)
	if err != nil {
		return fmt.Errorf("--baseline %s: %w", f.baseline, err)
	}
	cfg.Baseline = &b
	return nil
}

// frontFlags are how a process meets its callers: TLS, the proxy in
// front, the host names it answers to, open probes, and sign-in with an
// organisation's identity provider.
type frontFlags struct {
	tlsCert, tlsKey, trustedProxies, allowedHosts string
	openProbes                                    bool
	oidcIssuer, oidcClientID, oidcRedirect        string
	oidcClientSecret, oidcRoleClaim, oidcRoles    string
}

func (f *frontFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&f.tlsCert, "tls-cert", env("TOGETHER_TLS_CERT"), "PEM certificate: serve HTTPS (env TOGETHER_TLS_CERT)")
	fs.StringVar(&f.tlsKey, "tls-key", env("TOGETHER_TLS_KEY"), "PEM private key of --tls-cert (env TOGETHER_TLS_KEY)")
	fs.StringVar(&f.trustedProxies, "trusted-proxy", env("TOGETHER_TRUSTED_PROXY"), "addresses (CIDR, comma-separated) of a TLS-terminating proxy in front: lets the server listen beyond loopback in plain HTTP (env TOGETHER_TRUSTED_PROXY)")
	fs.StringVar(&f.allowedHosts, "allowed-hosts", env("TOGETHER_ALLOWED_HOSTS"), "host names requests may address, comma-separated (default: the loopback names and the --http host) (env TOGETHER_ALLOWED_HOSTS)")
	fs.BoolVar(&f.openProbes, "open-probes", env("TOGETHER_OPEN_PROBES") == "true", "let anyone read /readyz and /metrics, for probes and scrapers that cannot sign in (env TOGETHER_OPEN_PROBES=true)")
	fs.StringVar(&f.oidcIssuer, "oidc-issuer", env("TOGETHER_OIDC_ISSUER"), "OpenID Connect issuer URL, e.g. https://login.microsoftonline.com/TENANT/v2.0 (env TOGETHER_OIDC_ISSUER)")
	fs.StringVar(&f.oidcClientID, "oidc-client-id", env("TOGETHER_OIDC_CLIENT_ID"), "OpenID Connect client id (env TOGETHER_OIDC_CLIENT_ID; the secret in TOGETHER_OIDC_CLIENT_SECRET)")
	fs.StringVar(&f.oidcRedirect, "oidc-redirect-url", env("TOGETHER_OIDC_REDIRECT_URL"), "where the identity provider returns people: https://HOST/auth/oidc/callback (env TOGETHER_OIDC_REDIRECT_URL)")
	fs.StringVar(&f.oidcRoleClaim, "oidc-role-claim", orDefault(env("TOGETHER_OIDC_ROLE_CLAIM"), "roles"), "ID token claim that carries the roles (env TOGETHER_OIDC_ROLE_CLAIM)")
	fs.StringVar(&f.oidcRoles, "oidc-roles", env("TOGETHER_OIDC_ROLES"), "claim value=role pairs, first match wins, e.g. together-admins=admin,together-staff=recorder (env TOGETHER_OIDC_ROLES)")
	f.oidcClientSecret = env("TOGETHER_OIDC_CLIENT_SECRET")
}

// apply sets what the flags say on cfg.
func (f *frontFlags) apply(cfg *app.Config) error {
	cfg.TLSCert, cfg.TLSKey, cfg.OpenProbes = f.tlsCert, f.tlsKey, f.openProbes
	for _, p := range splitList(f.trustedProxies) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxy %q: want an address or a CIDR such as 10.0.0.0/8", p)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
	}
	for _, h := range splitList(f.allowedHosts) {
		cfg.AllowedHosts = append(cfg.AllowedHosts, strings.ToLower(h))
	}
	if f.oidcIssuer == "" {
		return nil
	}
	roles, err := auth.ParseRoleMappings(f.oidcRoles)
	if err != nil {
		return fmt.Errorf("--oidc-roles: %w", err)
	}
	cfg.OIDC = &auth.OIDCConfig{
		Issuer: f.oidcIssuer, ClientID: f.oidcClientID, ClientSecret: f.oidcClientSecret,
		RedirectURL: f.oidcRedirect, RoleClaim: f.oidcRoleClaim, Roles: roles,
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
