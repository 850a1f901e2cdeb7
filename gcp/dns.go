package gcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/errgroup"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// The DNS lookups of a run (--no-dns turns them off): the A, AAAA and CAA
// records of the domains of Google-managed certificates that are not
// ACTIVE, and the A and AAAA records of the hosts of external Ingresses
// and Gateways, asked of the system's resolver (the first nameserver of
// /etc/resolv.conf, then the next) or of Options.Resolver. They start
// once the certificate list and every cluster's objects are in. A replay
// answers them from the recording, never from the network.

// Bounds of the DNS lookups.
const (
	// MaxDNSNames is the most names a run resolves; the rest are
	// skipped, and their coverage says so.
	MaxDNSNames = 200
	// DNSQueryTimeout bounds one query to one server.
	DNSQueryTimeout = 2 * time.Second
	// dnsConcurrency bounds the names resolved at once.
	dnsConcurrency = 8
	// maxDNSRecords bounds the records kept of one answer.
	maxDNSRecords = 32
)

// resolvConf is the system resolver's configuration.
const resolvConf = "/etc/resolv.conf"

// dnsQuerier answers one query: from a DNS server, or from a recording.
type dnsQuerier interface {
	query(ctx context.Context, name, qtype string) inventory.DNSAnswer
}

// dnsName is one name to resolve, and what to ask of it.
type dnsName struct {
	name string
	// caa is set for a certificate's domain: its CAA records, up the
	// tree, besides its addresses.
	caa bool
}

// dnsSkipped says why this run makes no DNS lookups, when it makes none:
// a rule selection or --no-dns, a recording without answers, a library
// caller that did not ask.
func (o Options) dnsSkipped() (string, bool) {
	if reason, ok := o.skip(inventory.DNSLookups); ok {
		return reason, true
	}
	switch {
	case o.Replay != nil && o.Replay.Manifest.DNS == nil:
		// Why the recorded run made none, as it said it.
		if r := o.Replay.Manifest.DNSSkipped; r != "" {
			return untrusted.Bound(untrusted.Escape(r), 300), true
		}
		return "the recording holds no DNS answers (it was made by an lbdiag that made no DNS lookups)", true
	case o.Replay == nil && !o.DNS:
		// A library caller that did not ask: said so, never a silent hole.
		return "this run was not asked to resolve names (Options.DNS)", true
	}
	return "", false
}

// collectDNS resolves the names of the run's certificates and hosts, once
// the certificate list and the clusters are in.
func (c *collector) collectDNS(ctx context.Context, clusters []*inventory.Cluster) {
	scope := inventory.ProjectScope(c.opts.Project)
	if reason, ok := c.opts.dnsSkipped(); ok {
		c.coverSkipped(inventory.DNSLookups, scope, reason)
		return
	}
	var q dnsQuerier
	resolver := ""
	if c.opts.Replay != nil {
		// The answers are those the recorded run's resolver gave, in the
		// order Answer looks them up in (a hand-made recording may list
		// them in any).
		rd := *c.opts.Replay.Manifest.DNS
		rd.Answers = append([]inventory.DNSAnswer(nil), rd.Answers...)
		rd.Sort()
		q, resolver = recordedDNS{&rd}, untrusted.Bound(untrusted.Escape(rd.Resolver), 200)
	}

	c.mu.Lock()
	names := dnsNames(c.compute, clusters)
	// What the names come from, and what of it was not read.
	partial := !c.read(inventory.ComputeSSLCertificates, scope)
	for _, cl := range clusters {
		for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeGateways, inventory.KubeHTTPRoutes, inventory.KubeManagedCertificates} {
			partial = partial || !c.read(s, cl.Scope())
		}
	}
	c.mu.Unlock()
	if q == nil {
		// Live: the system's resolver, read only when there is a name to
		// ask.
		servers := []string{c.opts.Resolver}
		if len(names) > 0 {
			var err error
			if servers, err = dnsServers(c.opts.Resolver, resolvConf); err != nil {
				c.cover(inventory.Coverage{Source: inventory.DNSLookups, Scope: scope, Status: inventory.StatusError, Error: c.errorText(err),
					Hint: "lbdiag reads the system's DNS servers from " + resolvConf + ": give one with --resolver HOST[:PORT], or turn the lookups off with --no-dns"})
				return
			}
		}
		q, resolver = &dnsClient{servers: servers, timeout: DNSQueryTimeout}, strings.Join(servers, ", ")
	}
	out := &inventory.DNS{Resolver: resolver}
	if len(names) > MaxDNSNames {
		for _, n := range names[MaxDNSNames:] {
			// Not resolved is unknown, and a gap: the user asked for it.
			c.cover(inventory.Coverage{Source: inventory.DNSLookups, Scope: inventory.DNSScope(c.opts.Project, n.name), Status: inventory.StatusUnknown,
				Error: fmt.Sprintf("not resolved: a run resolves at most %d names", MaxDNSNames),
				Hint:  "narrow the run to fewer clusters (--cluster), or check these names with dig"})
			if n.caa {
				c.cover(inventory.Coverage{Source: inventory.DNSLookups, Scope: inventory.CAAScope(c.opts.Project, n.name), Status: inventory.StatusUnknown,
					Error: fmt.Sprintf("not resolved: a run resolves at most %d names", MaxDNSNames)})
			}
		}
		out.Capped = len(names) - MaxDNSNames
		names = names[:MaxDNSNames]
	}

	r := &dnsRun{q: q, answers: map[string]*dnsMemo{}}
	var g errgroup.Group
	g.SetLimit(dnsConcurrency)
	for _, n := range names {
		g.Go(func() error {
			c.resolveName(ctx, r, resolver, n)
			return nil
		})
	}
	g.Wait()
	out.Answers = r.all()
	out.Sort()
	detail := fmt.Sprintf("%d names at %s", len(names), resolver)
	switch {
	case len(names) == 0 && partial:
		detail = "no name to resolve in what was read: the SSL certificates, or some clusters' Ingresses, Gateways, HTTPRoutes or ManagedCertificates, were not read (see their gaps)"
	case len(names) == 0:
		detail = "no name to resolve: no Google-managed certificate is pending, and no external Ingress or Gateway names a host"
	case partial:
		detail += " (the SSL certificates, or some clusters' Ingresses, Gateways, HTTPRoutes or ManagedCertificates, were not read: their names were not resolved)"
	}
	if out.Capped > 0 {
		detail += fmt.Sprintf("; %d more not resolved (at most %d a run)", out.Capped, MaxDNSNames)
	}
	c.mu.Lock()
	c.dns = out
	c.mu.Unlock()
	c.cover(inventory.Coverage{Source: inventory.DNSLookups, Scope: scope, Status: inventory.StatusOK, Detail: detail})
}

// resolveName asks a name's addresses, and for a certificate's domain its
// CAA records up the tree, and covers each: an answer, NXDOMAIN included,
// is a read; no answer is a gap.
func (c *collector) resolveName(ctx context.Context, r *dnsRun, resolver string, n dnsName) {
	project := c.opts.Project
	var failed []inventory.DNSAnswer
	for _, t := range []string{inventory.DNSTypeA, inventory.DNSTypeAAAA} {
		if a := r.ask(ctx, n.name, t); !a.Answered() {
			failed = append(failed, a)
		}
	}
	c.cover(dnsCoverage(inventory.DNSScope(project, n.name), resolver, failed))
	if !n.caa {
		return
	}
	failed = nil
	for name := n.name; name != ""; name = inventory.Parent(name) {
		a := r.ask(ctx, name, inventory.DNSTypeCAA)
		if !a.Answered() {
			failed = append(failed, a)
			break
		}
		if len(a.CAA) > 0 {
			break
		}
	}
	c.cover(dnsCoverage(inventory.CAAScope(project, n.name), resolver, failed))
}

// dnsCoverage is the coverage entry of a name's lookups: ok, or the
// first query that got no answer, with what to do.
func dnsCoverage(scope, resolver string, failed []inventory.DNSAnswer) inventory.Coverage {
	cov := inventory.Coverage{Source: inventory.DNSLookups, Scope: scope, Status: inventory.StatusOK}
	if len(failed) == 0 {
		return cov
	}
	a := failed[0]
	cov.Status = inventory.StatusError
	cov.Error = fmt.Sprintf("%s %s: %s", a.Type, a.Name, a.Error)
	switch {
	case a.Error == noRecordedAnswer:
		cov.Hint = "a replay resolves nothing: record the run again (lbdiag inspect --record DIR) for an answer to this name"
	case a.RCode == inventory.RCodeServFail:
		cov.Hint = fmt.Sprintf("the resolver (%s) answered SERVFAIL: the name's DNS servers failed to answer it. If they fail for everyone, Google's certificate authority cannot check the domain either (FAILED_NOT_VISIBLE, FAILED_CAA_CHECKING); check with: dig %s %s", resolver, a.Name, a.Type)
	case a.RCode != "":
		cov.Hint = fmt.Sprintf("the resolver (%s) answered %s: it will not resolve the name for lbdiag; ask another with --resolver HOST[:PORT], or check with: dig %s %s", resolver, a.RCode, a.Name, a.Type)
	default:
		cov.Hint = fmt.Sprintf("no answer from %s: check that it is reachable from where lbdiag runs, or ask another with --resolver HOST[:PORT]; --no-dns turns the lookups off", resolver)
	}
	return cov
}

// dnsRun is one run's lookups: every query asked once, whichever names
// share it (the parents of CAA lookups).
type dnsRun struct {
	q       dnsQuerier
	mu      sync.Mutex
	answers map[string]*dnsMemo
}

type dnsMemo struct {
	once   sync.Once
	answer inventory.DNSAnswer
}

func (r *dnsRun) ask(ctx context.Context, name, qtype string) inventory.DNSAnswer {
	r.mu.Lock()
	m := r.answers[qtype+" "+name]
	if m == nil {
		m = &dnsMemo{}
		r.answers[qtype+" "+name] = m
	}
	r.mu.Unlock()
	m.once.Do(func() { m.answer = sanitizeAnswer(r.q.query(ctx, name, qtype), name, qtype) })
	return m.answer
}

func (r *dnsRun) all() []inventory.DNSAnswer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]inventory.DNSAnswer, 0, len(r.answers))
	for _, m := range r.answers {
		out = append(out, m.answer)
	}
	return out
}

// dnsNames lists the names to resolve: the domains of the Google-managed
// certificates that are not ACTIVE first (Compute Engine's and GKE's
// ManagedCertificates), then the hosts of external Ingresses and
// Gateways, each once.
func dnsNames(cmp inventory.Compute, clusters []*inventory.Cluster) []dnsName {
	var certs, hosts []string
	for _, cert := range cmp.SSLCertificates {
		if inventory.PendingManagedCert(cert) {
			certs = append(certs, inventory.CertDomains(cert)...)
		}
	}
	for _, cl := range clusters {
		for i := range cl.ManagedCertificates {
			if mc := &cl.ManagedCertificates[i]; inventory.PendingManagedCertificate(mc) {
				certs = append(certs, inventory.ManagedCertificateDomains(mc)...)
			}
		}
		for i := range cl.Ingresses {
			hosts = append(hosts, inventory.IngressHosts(&cl.Ingresses[i])...)
		}
		for i := range cl.Gateways {
			hosts = append(hosts, inventory.GatewayHosts(cl, &cl.Gateways[i])...)
		}
	}
	sort.Strings(certs)
	sort.Strings(hosts)
	seen := map[string]bool{}
	var out []dnsName
	for _, list := range []struct {
		names []string
		caa   bool
	}{{certs, true}, {hosts, false}} {
		for _, n := range list.names {
			if !seen[n] {
				seen[n] = true
				out = append(out, dnsName{name: n, caa: list.caa})
			}
		}
	}
	return out
}

// dnsServers are the servers to ask: --resolver's, else the system's (at
// most three of the nameservers of conf).
func dnsServers(resolver, conf string) ([]string, error) {
	if resolver != "" {
		return []string{resolver}, nil
	}
	cfg, err := dns.ClientConfigFromFile(conf)
	if err != nil {
		return nil, fmt.Errorf("reading the system's DNS servers: %w", err)
	}
	var out []string
	for _, s := range cfg.Servers {
		if len(out) < 3 {
			out = append(out, net.JoinHostPort(s, cfg.Port))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s names no nameserver", conf)
	}
	return out, nil
}

// dnsClient asks DNS servers, in order until one answers, over UDP (TCP
// when the answer is truncated). A server that let a query time out is
// asked after the others for the rest of the run: a dead first nameserver
// (a stale VPN entry) would otherwise cost every query its timeout.
type dnsClient struct {
	servers []string
	timeout time.Duration

	mu     sync.Mutex
	silent map[string]bool
}

// order is the servers to ask: those that answered first, in their order.
func (d *dnsClient) order() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.servers))
	for _, silent := range []bool{false, true} {
		for _, s := range d.servers {
			if d.silent[s] == silent {
				out = append(out, s)
			}
		}
	}
	return out
}

// heard records whether a server answered.
func (d *dnsClient) heard(server string, answered bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.silent == nil {
		d.silent = map[string]bool{}
	}
	d.silent[server] = !answered
}

var dnsTypes = map[string]uint16{inventory.DNSTypeA: dns.TypeA, inventory.DNSTypeAAAA: dns.TypeAAAA, inventory.DNSTypeCAA: dns.TypeCAA}

func (d *dnsClient) query(ctx context.Context, name, qtype string) inventory.DNSAnswer {
	out := inventory.DNSAnswer{Name: name, Type: qtype}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dnsTypes[qtype])
	m.SetEdns0(1232, false)
	var errs []string
	for _, server := range d.order() {
		resp, err := d.exchange(ctx, m, server)
		if err != nil && ctx.Err() != nil {
			errs = append(errs, "the run's --timeout ended before an answer")
			break
		}
		var ne net.Error
		if err != nil {
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
				d.heard(server, false)
			}
			errs = append(errs, server+": "+dnsErrorText(err, d.timeout))
			continue
		}
		d.heard(server, true)
		out.RCode = dns.RcodeToString[resp.Rcode]
		if out.RCode == "" {
			out.RCode = "RCODE" + strconv.Itoa(resp.Rcode)
		}
		if !out.Answered() {
			out.Error = "the resolver answered " + out.RCode
			return out
		}
		for _, rr := range resp.Answer {
			switch v := rr.(type) {
			case *dns.CNAME:
				out.CNAMEs = append(out.CNAMEs, v.Target)
			case *dns.A:
				if qtype == inventory.DNSTypeA {
					out.Addresses = append(out.Addresses, v.A.String())
				}
			case *dns.AAAA:
				if qtype == inventory.DNSTypeAAAA {
					out.Addresses = append(out.Addresses, v.AAAA.String())
				}
			case *dns.CAA:
				if qtype == inventory.DNSTypeCAA {
					out.CAA = append(out.CAA, inventory.CAARecord{Flag: v.Flag, Tag: v.Tag, Value: v.Value})
				}
			}
		}
		return out
	}
	out.Error = strings.Join(errs, "; ")
	return out
}

func (d *dnsClient) exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	qctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	c := &dns.Client{Net: "udp", Timeout: d.timeout}
	resp, _, err := c.ExchangeContext(qctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(qctx, m, server)
	}
	return resp, err
}

// dnsErrorText says why a server gave no answer.
func dnsErrorText(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	return err.Error()
}

// recordedDNS answers queries from a recording's answers; a query it does
// not hold is a gap, never a lookup.
type recordedDNS struct{ d *inventory.DNS }

func (r recordedDNS) query(_ context.Context, name, qtype string) inventory.DNSAnswer {
	if a, ok := r.d.Answer(name, qtype); ok {
		return a
	}
	return inventory.DNSAnswer{Name: name, Type: qtype, Error: noRecordedAnswer}
}

const noRecordedAnswer = "the recording holds no answer to this query"

// sanitizeAnswer bounds and escapes what a DNS server (or a recording)
// said: the name and type are the query's, addresses are parsed, aliases
// and CAA values are escaped and bounded, and at most maxDNSRecords of
// each are kept.
func sanitizeAnswer(a inventory.DNSAnswer, name, qtype string) inventory.DNSAnswer {
	out := inventory.DNSAnswer{Name: name, Type: qtype, RCode: untrusted.Bound(untrusted.Escape(a.RCode), 16),
		Error: untrusted.Bound(untrusted.Escape(a.Error), 300)}
	for _, c := range a.CNAMEs {
		if len(out.CNAMEs) < maxDNSRecords {
			out.CNAMEs = append(out.CNAMEs, untrusted.Bound(untrusted.Escape(inventory.CanonicalName(c)), 253))
		}
	}
	for _, s := range a.Addresses {
		ip, err := netip.ParseAddr(s)
		if err != nil || (qtype == inventory.DNSTypeA) != ip.Unmap().Is4() {
			continue
		}
		if len(out.Addresses) < maxDNSRecords {
			out.Addresses = append(out.Addresses, ip.Unmap().String())
		}
	}
	sort.Strings(out.Addresses)
	for _, r := range a.CAA {
		if len(out.CAA) < maxDNSRecords {
			out.CAA = append(out.CAA, inventory.CAARecord{Flag: r.Flag, Tag: untrusted.Bound(untrusted.Escape(r.Tag), 32),
				Value: untrusted.Bound(untrusted.Escape(r.Value), 255)})
		}
	}
	if out.Error == "" && !out.Answered() {
		out.Error = "no usable answer"
	}
	return out
}
