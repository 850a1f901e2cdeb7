package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/run"
	"github.com/lbdiag/lbdiag/trace"
)

type traceFlags struct {
	sourceFlags
	headers  []string
	method   string
	ip       string
	resolver string
	format   string
}

func newTraceCommand(env *environment, done func(*outcome)) *cobra.Command {
	f := &traceFlags{}
	cmd := &cobra.Command{
		Use:   "trace URL",
		Short: "Follow one request through the load balancer, hop by hop, to the Pods, with a verdict at every hop",
		Long: `trace follows one request the way Google's load balancers route it: the
forwarding rule of its address, the target proxy and certificate, the URL
map's host rule, path or route rule and action (redirect, rewrite, weighted
split), the backend service or bucket, each backend group and its health,
and the Kubernetes Service, Ingress or HTTPRoute and workloads behind it.
Every lbdiag finding on a hop shows on that hop.

The load balancer is the one at --ip, else at the addresses the host
resolves to, else (the host does not resolve, or a recording is traced)
the ones whose URL maps have a host rule naming the host.

Exit status: 0 the request would reach a healthy backend or be redirected
as configured; 1 a hop is broken; 3 a hop could not be judged; 2 a usage
error, or no load balancer of the project serves the URL.`,
		Example: `  lbdiag trace --demo https://shop.example.com/checkout/cart
  lbdiag trace --project my-project https://shop.example.com/api/cart
  lbdiag trace --project my-project --ip 10.10.0.40 http://orders.internal/v1/orders --header 'X-Env: canary'
  lbdiag trace --project my-project https://shop.example.com/ --logs 1h --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := runTrace(cmd.Context(), env, f, args[0])
			if err != nil {
				return err
			}
			done(o)
			return nil
		},
	}
	fl := cmd.Flags()
	f.sourceFlags.register(fl, "trace in", "also count the requests of this URL (scheme, host and path) in this window of Cloud Logging (at most 24h, e.g. 1h), by status and statusDetails")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "a request header, 'Name: value' (repeatable); a Host header overrides the URL's host")
	fl.StringVarP(&f.method, "method", "X", "GET", "the request's method")
	fl.StringVar(&f.ip, "ip", "", "trace the forwarding rules with this address (the URL's port), instead of resolving the host")
	fl.StringVar(&f.resolver, "resolver", "", "resolve the host with this DNS server (HOST[:PORT], default port 53) instead of the system's")
	fl.StringVar(&f.format, "format", "table", "output format: table, json or html")
	return cmd
}

func runTrace(ctx context.Context, env *environment, f *traceFlags, rawURL string) (*outcome, error) {
	clock, err := newClock(f.now)
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(f.format)
	if format != "table" && format != "json" && format != "html" {
		return nil, usagef("--format %q: want table, json or html", f.format)
	}
	req, err := trace.ParseRequest(rawURL, f.method, f.headers)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if err := f.sourceFlags.validate(); err != nil {
		return nil, err
	}
	if f.demo && f.replay != "" {
		return nil, usagef("choose one of --demo and --replay")
	}
	tr := run.TraceRequest{Request: req}
	if f.ip != "" {
		a, err := netip.ParseAddr(f.ip)
		if err != nil {
			return nil, usagef("--ip %q is not an IP address", f.ip)
		}
		tr.IP = a.String()
	}
	if f.resolver != "" {
		addr, err := resolverAddress(f.resolver)
		if err != nil {
			return nil, err
		}
		tr.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	}
	cfg := run.Config{Tool: tool(), Clock: clock, Notices: env.stderr, Health: gcp.HealthAll}
	f.sourceFlags.config(&cfg)
	if env.isTTY != nil && env.isTTY(env.stderrFd) {
		cfg.Progress = env.stderr
	}
	project := f.project
	if f.demo || f.replay != "" {
		cleanup, err := f.useRecording(&cfg)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		project = cfg.Replay.Manifest.Project
		if f.logs > 0 {
			fmt.Fprintln(env.stderr, "lbdiag: --logs: a recording holds no count of this URL's requests; the findings of its logs window show on the hops")
		}
	} else {
		if err := f.useAPIs(ctx, env, &cfg); err != nil {
			return nil, err
		}
		if project == "" {
			p, err := gcp.DefaultProject(env.getenv)
			if err != nil {
				return nil, usagef("%v", err)
			}
			project = p
		}
	}
	res, err := run.Trace(ctx, cfg, project, tr)
	if err != nil {
		return nil, err
	}
	switch format {
	case "json":
		err = trace.WriteJSON(env.stdout, res)
	case "html":
		err = trace.WriteHTML(env.stdout, res)
	default:
		o := tableOptions(env)
		err = trace.WriteTable(env.stdout, res, trace.TableOptions{Width: o.Width, Color: o.Color})
	}
	if err != nil {
		return nil, fmt.Errorf("writing the trace: %w", err)
	}
	return &outcome{code: res.ExitCode}, nil
}

// resolverAddress reads --resolver: HOST or HOST:PORT (port 53 by
// default).
func resolverAddress(v string) (string, error) {
	if _, _, err := net.SplitHostPort(v); err == nil {
		return v, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
		return netip.AddrPortFrom(a, 53).String(), nil
	}
	if v == "" || strings.ContainsAny(v, "/ ") {
		return "", usagef("--resolver %q: want HOST or HOST:PORT", v)
	}
	return net.JoinHostPort(v, "53"), nil
}
