package run

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"time"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
	"github.com/lbdiag/lbdiag/trace"
)

// TraceRequest is what to trace and how to find its load balancer.
type TraceRequest struct {
	Request trace.Request
	// IP picks the forwarding rules with this address (--ip).
	IP string
	// Resolver resolves the host (nil: the system's resolver). A replay
	// never resolves: the recording is of another time.
	Resolver *net.Resolver
	// ResolveTimeout bounds the resolution (default 5 s).
	ResolveTimeout time.Duration
}

// Trace follows one request through a project's load balancers: it
// resolves the host (or takes --ip), reads what the request meets (live)
// or the whole recording (--replay, --demo), runs the rules, and judges
// each hop.
func Trace(ctx context.Context, cfg Config, project string, tr TraceRequest) (*trace.Result, error) {
	req := tr.Request
	var addresses []string
	resolveErr := ""
	hostIP, hostErr := netip.ParseAddr(req.Host)
	switch {
	case tr.IP != "":
	case hostErr == nil:
		addresses = []string{hostIP.String()}
	case cfg.Replay != nil:
		resolveErr = "a recording is not resolved: it is of another time"
	default:
		addresses, resolveErr = resolve(ctx, tr, req.Host)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	opts := cfg.options(project)
	var inv *inventory.Inventory
	var err error
	if cfg.Replay != nil {
		inv, err = gcp.Collect(cctx, opts)
	} else {
		wanted := addresses
		if tr.IP != "" {
			wanted = []string{tr.IP}
		}
		cfg.notify(cfg.Progress, "reading what %s meets in project %s...", req.Host, project)
		u, _ := url.Parse(req.Scheme + "://" + req.Host + req.Path)
		scope := gcp.TraceScope{Addresses: wanted, URL: u,
			Choose: func(inv *inventory.Inventory) []string { return trace.ChooseFrontends(inv, req, wanted) }}
		inv, err = gcp.CollectTrace(cctx, opts, scope)
		if err == nil && len(wanted) > 0 && len(scope.Choose(inv)) == 0 && !hasAddress(inv, wanted) {
			// No forwarding rule has the addresses: read the frontends
			// whole, to name those whose URL maps name the host.
			inv, err = gcp.CollectTrace(cctx, opts, gcp.TraceScope{})
		}
	}
	if err := collectError(ctx, project, err); err != nil {
		return nil, err
	}
	res := inspect.Run(inv, rules.All())
	// As inspect prints them: credentials scrubbed, bounded, escaped.
	for i := range res.Findings {
		res.Findings[i] = report.Sanitize(res.Findings[i])
	}
	// The rules' failures are cleaned with the collectors' gaps (gapsOf).
	return trace.Trace(trace.Input{Tool: cfg.Tool, Inventory: inv, Findings: res.Findings, Failures: res.Failures, Request: req,
		IP: tr.IP, Addresses: addresses, ResolveError: resolveErr}), nil
}

// resolve looks the host up: its addresses, sorted, or why there are
// none.
func resolve(ctx context.Context, tr TraceRequest, host string) ([]string, string) {
	r := tr.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	timeout := tr.ResolveTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := r.LookupHost(rctx, host)
	if err != nil {
		return nil, fmt.Sprintf("%s did not resolve: %v", host, err)
	}
	var out []string
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, ip.Unmap().String())
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, host + " resolved to no address"
	}
	return out, ""
}

// hasAddress reports whether a forwarding rule read has one of the
// addresses.
func hasAddress(inv *inventory.Inventory, addresses []string) bool {
	for _, fr := range inv.Compute.ForwardingRules {
		for _, a := range addresses {
			if fr.IPAddress == a {
				return true
			}
		}
	}
	return false
}
