package gcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	crm "google.golang.org/api/cloudresourcemanager/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// How lbdiag reaches a cluster's Kubernetes API (Options.ClusterEndpoint):
// EndpointAuto tries every usable path in order, the others force one.
const (
	EndpointAuto = "auto"
)

// ClusterEndpoints are the values of --cluster-endpoint.
var ClusterEndpoints = []string{EndpointAuto, inventory.ViaDNS, inventory.ViaPublic, inventory.ViaPrivate, inventory.ViaConnectGateway}

// DefaultConnectTimeout bounds one attempt to reach a cluster by one path:
// a public IP that authorized networks blackhole costs this much, not the
// run.
const DefaultConnectTimeout = 10 * time.Second

// DNSEndpointSuffix ends the host name of every GKE DNS-based control-plane
// endpoint ("gke-<hex>-<project number>.<region>.gke.goog"). lbdiag sends
// its Google token to no other name a Cluster resource gives.
const DNSEndpointSuffix = ".gke.goog"

// clusterPath is one way to a cluster's API server.
type clusterPath struct {
	via string
	// endpoint is what the report shows: the IP, the DNS name, the
	// gateway's URL, or the kubeconfig's server.
	endpoint string
	// base is the URL requests are made under.
	base string
	// ca is the cluster CA for the IP endpoints; nil means the system's
	// roots (the DNS endpoint and the gateway present publicly trusted
	// certificates).
	ca []byte
	// kube is the kubeconfig's client configuration (ViaKubeconfig).
	kube *rest.Config
	// membership is the fleet membership of the gateway path, whose
	// project number is resolved when the path is tried.
	membership string
	// skip says why the path is not usable; "" when it is.
	skip string
}

// clusterPaths lists the paths to a cluster, in the order --cluster-endpoint
// auto tries them, each usable or with the reason it is not. They come
// from the Cluster resource (and --kubeconfig), never from probing.
func (c *collector) clusterPaths(cl *containerpb.Cluster, project string) []clusterPath {
	var out []clusterPath
	if c.opts.Kubeconfig != "" {
		out = append(out, c.kubeconfigPath(cl, project))
	}
	ca, caErr := base64.StdEncoding.DecodeString(cl.GetMasterAuth().GetClusterCaCertificate())
	ipPath := func(via, ip string, enabled bool, why string) clusterPath {
		p := clusterPath{via: via, endpoint: ip, base: "https://" + ip, ca: ca}
		switch {
		case ip == "":
			p.skip = "the cluster has no " + via + " IP endpoint"
		case !enabled:
			p.skip = why
		case !isIP(ip):
			// lbdiag's Google token goes to the cluster's IP address only.
			p.skip = fmt.Sprintf("the endpoint %q is not an IP address", untrusted.Bound(ip, 100))
		case caErr != nil || len(ca) == 0:
			p.skip = "masterAuth.clusterCaCertificate is missing or not base64: lbdiag would not know the server it talks to"
		}
		return p
	}
	cfg := cl.GetControlPlaneEndpointsConfig()
	ip := cfg.GetIpEndpointsConfig()
	pcc := cl.GetPrivateClusterConfig()
	var public, private clusterPath
	if ip != nil {
		enabled := ip.Enabled == nil || *ip.Enabled
		addr := firstNonEmpty(ip.GetPublicEndpoint(), legacyPublicEndpoint(cl))
		switch {
		case !enabled:
			public = ipPath(inventory.ViaPublic, addr, false, "IP endpoints are disabled (controlPlaneEndpointsConfig.ipEndpointsConfig.enabled false)")
		default:
			publicOn := ip.EnablePublicEndpoint == nil || *ip.EnablePublicEndpoint
			public = ipPath(inventory.ViaPublic, addr, publicOn, "the public endpoint is disabled (ipEndpointsConfig.enablePublicEndpoint false)")
		}
		private = ipPath(inventory.ViaPrivate, firstNonEmpty(ip.GetPrivateEndpoint(), pcc.GetPrivateEndpoint()), enabled,
			"IP endpoints are disabled (controlPlaneEndpointsConfig.ipEndpointsConfig.enabled false)")
	} else {
		privateOnly := pcc.GetEnablePrivateEndpoint()
		public = ipPath(inventory.ViaPublic, legacyPublicEndpoint(cl), !privateOnly, "the cluster has a private endpoint only (privateClusterConfig.enablePrivateEndpoint)")
		private = ipPath(inventory.ViaPrivate, pcc.GetPrivateEndpoint(), true, "")
	}
	out = append(out, public)

	dns := cfg.GetDnsEndpointConfig()
	dp := clusterPath{via: inventory.ViaDNS, endpoint: dns.GetEndpoint(), base: "https://" + dns.GetEndpoint()}
	switch {
	case dns.GetEndpoint() == "":
		dp.skip = "the cluster has no DNS endpoint (controlPlaneEndpointsConfig.dnsEndpointConfig)"
	case !strings.HasSuffix(strings.ToLower(dns.GetEndpoint()), DNSEndpointSuffix) || strings.ContainsAny(dns.GetEndpoint(), "/:@?#"):
		dp.skip = fmt.Sprintf("the DNS endpoint %q is not a *.gke.goog name", untrusted.Bound(dns.GetEndpoint(), 100))
	case dns.AllowExternalTraffic == nil || !*dns.AllowExternalTraffic:
		dp.skip = "the DNS endpoint refuses user traffic (dnsEndpointConfig.allowExternalTraffic is not true)"
	}
	out = append(out, dp)

	gw := clusterPath{via: inventory.ViaConnectGateway, membership: cl.GetFleet().GetMembership()}
	if gw.membership == "" {
		gw.skip = "the cluster is not a fleet member (fleet.membership is empty)"
	} else if _, loc, name, ok := parseMembership(gw.membership); !ok {
		gw.skip = fmt.Sprintf("fleet.membership %q is not //gkehub.googleapis.com/projects/P/locations/L/memberships/M", untrusted.Bound(gw.membership, 200))
	} else {
		gw.endpoint = gatewayHost(loc) + " (membership " + name + ")"
	}
	out = append(out, gw, private)
	return out
}

// legacyPublicEndpoint is the public IP of a cluster without
// controlPlaneEndpointsConfig: endpoint (what gcloud get-credentials
// uses), else privateClusterConfig.publicEndpoint.
func legacyPublicEndpoint(cl *containerpb.Cluster) string {
	return firstNonEmpty(cl.GetEndpoint(), cl.GetPrivateClusterConfig().GetPublicEndpoint())
}

// isIP reports whether an endpoint is an IP address (GKE's are; a port
// may follow, as on test servers).
func isIP(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(s)
	return err == nil
}

// parseMembership splits //gkehub.googleapis.com/projects/P/locations/L/
// memberships/M.
func parseMembership(m string) (project, location, name string, ok bool) {
	tail, found := strings.CutPrefix(m, "//gkehub.googleapis.com/")
	parts := strings.Split(tail, "/")
	if !found || len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "memberships" {
		return "", "", "", false
	}
	// The location becomes part of a host name, the rest of a path: only
	// the characters project IDs, locations and membership IDs have.
	if !projectPattern.MatchString(parts[1]) || !labelPattern.MatchString(parts[3]) || !labelPattern.MatchString(parts[5]) {
		return "", "", "", false
	}
	return parts[1], parts[3], parts[5], true
}

var (
	projectPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.:-]{0,99}$`)
	labelPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// gatewayHost is the Connect gateway's host for a membership location:
// the global service, or the location's regional one.
func gatewayHost(location string) string {
	if location == "global" || location == "" {
		return "connectgateway.googleapis.com"
	}
	return location + "-connectgateway.googleapis.com"
}

// GatewayURL is a GKE fleet member's URL under the Connect gateway, as
// gcloud builds it: the fleet project's number, and the gkeMemberships
// collection.
func GatewayURL(projectNumber, location, membership string) string {
	return "https://" + gatewayHost(location) + "/v1/projects/" + projectNumber + "/locations/" + location + "/gkeMemberships/" + membership
}

// KubeconfigContext is the name gcloud container clusters get-credentials
// gives a cluster's kubeconfig context.
func KubeconfigContext(project, location, cluster string) string {
	return "gke_" + project + "_" + location + "_" + cluster
}

// kubeconfigPath is the --kubeconfig context of the cluster, if there is
// one: its server, CA, proxy and credentials, exec plugins included.
func (c *collector) kubeconfigPath(cl *containerpb.Cluster, project string) clusterPath {
	name := KubeconfigContext(project, cl.GetLocation(), cl.GetName())
	p := clusterPath{via: inventory.ViaKubeconfig}
	rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(c.opts.Kubeconfig)}
	raw, err := rules.Load()
	if err != nil {
		p.skip = "reading --kubeconfig: " + err.Error()
		return p
	}
	if _, ok := raw.Contexts[name]; !ok {
		p.skip = "the kubeconfig has no context " + name
		return p
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		p.skip = "the kubeconfig's context " + name + ": " + err.Error()
		return p
	}
	p.kube, p.endpoint, p.base = cfg, cfg.Host, strings.TrimRight(cfg.Host, "/")
	return p
}

// reached is a path that answered: its client, the attempts, and the
// probe's answer (the kube-system Namespace, or the API server's error).
type reached struct {
	client *kubeClient
	access inventory.ClusterAccess
	probe  *probeAnswer
}

// reach tries the cluster's paths in order (or the one --cluster-endpoint
// forces) and returns the first whose API server answers, with every
// attempt. It moves on when a path times out, is refused, fails TLS, or is
// refused by Google's front end; it stops when the API server itself
// rejects the credentials, which no other path changes.
func (c *collector) reach(ctx context.Context, cl *inventory.Cluster) reached {
	out := reached{access: inventory.ClusterAccess{Cluster: cl.Location() + "/" + cl.Name(), Via: inventory.ViaNone}}
	mode := c.opts.ClusterEndpoint
	if mode == "" {
		mode = EndpointAuto
	}
	done := false
	for _, p := range c.clusterPaths(cl.Info, cl.Project) {
		a := inventory.AccessAttempt{Via: p.via, Endpoint: p.endpoint, Result: inventory.ReachSkipped}
		switch {
		case done:
			a.Detail = "an earlier path answered"
		case mode != EndpointAuto && p.via != mode:
			a.Detail = "--cluster-endpoint " + mode
		case p.skip != "":
			a.Detail = p.skip
		default:
			client, probe, res, detail, stop := c.attempt(ctx, cl, &p)
			a.Endpoint, a.Result, a.Detail = p.endpoint, res, detail
			switch {
			case res == inventory.ReachOK:
				out.client, out.probe, out.access.Via, out.access.Endpoint = client, probe, p.via, p.endpoint
				done = true
			case stop: // the API server rejected lbdiag's credentials
				done = true
			}
		}
		out.access.Attempts = append(out.access.Attempts, a)
	}
	return out
}

// probePath is the request that proves a path: the kube-system Namespace,
// which lbdiag reads anyway (its UID names the cluster's resources) and
// RBAC grants it.
const probePath = "/api/v1/namespaces/kube-system"

// probeAnswer is what the probe of the path that answered got: the
// kube-system Namespace, or the API server's error (RBAC may forbid it).
type probeAnswer struct {
	namespace kubeNamespace
	err       error
}

// kubeNamespace is the part of a Namespace lbdiag reads.
type kubeNamespace struct {
	Metadata struct {
		UID string `json:"uid"`
	} `json:"metadata"`
}

// attempt tries one path: a client for it, and one request bounded by the
// connect timeout and never retried. stop is set when the API server
// rejected the credentials.
func (c *collector) attempt(ctx context.Context, cl *inventory.Cluster, p *clusterPath) (client *kubeClient, probe *probeAnswer, result, detail string, stop bool) {
	if p.via == inventory.ViaConnectGateway {
		number, loc, name, err := c.gatewayProject(ctx, p.membership)
		if err != nil {
			return nil, nil, inventory.ReachRefused, "resolving the fleet project's number for the Connect gateway URL: " + c.errorText(err), false
		}
		p.base = GatewayURL(number, loc, name)
		p.endpoint = p.base
	}
	cfg := c.pathConfig(cl, *p)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, inventory.ReachTLS, c.errorText(err), false
	}
	// A redirect is never followed to another host: the request carries
	// lbdiag's Google token.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	client = &kubeClient{http: hc, host: p.base, pageSize: c.opts.kubePageSize()}
	pctx, cancel := context.WithTimeout(withoutTransportRetry(ctx), c.connectTimeout())
	defer cancel()
	probe = &probeAnswer{}
	probe.err = client.get(pctx, probePath, &probe.namespace)
	result, detail, stop = classifyAttempt(probe.err, pctx, c.connectTimeout())
	if result != inventory.ReachOK {
		return nil, nil, result, c.bound(detail), stop
	}
	return client, probe, result, "", false
}

func (c *collector) bound(s string) string { return untrusted.Bound(c.scrub(s), 400) }

func (c *collector) scrub(s string) string {
	var secrets []string
	if c.tokens != nil {
		secrets = c.tokens.Issued()
	}
	return untrusted.Scrub(s, secrets...)
}

func (c *collector) connectTimeout() time.Duration {
	if c.opts.ClusterConnectTimeout > 0 {
		return c.opts.ClusterConnectTimeout
	}
	return DefaultConnectTimeout
}

// pathConfig is the client configuration of a path, on lbdiag's transport
// chain: the cluster CA for the IP endpoints, the system's roots for the
// DNS endpoint and the gateway, lbdiag's Google token for all three; the
// kubeconfig's own server, CA, proxy and credentials for its context.
func (c *collector) pathConfig(cl *inventory.Cluster, p clusterPath) *rest.Config {
	api := kubeAPILabel(cl.Info)
	dial := (&net.Dialer{Timeout: c.connectTimeout(), KeepAlive: 30 * time.Second}).DialContext
	if p.kube != nil {
		cfg := rest.CopyConfig(p.kube)
		cfg.UserAgent, cfg.QPS, cfg.Burst, cfg.WarningHandler = c.userAgent(), 1000, 1000, rest.NoWarnings{}
		cfg.Dial = dial
		// The kubeconfig authenticates (its token, certificate or exec
		// plugin); lbdiag adds its own Google token only when it has none.
		token := !hasKubeconfigAuth(cfg)
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return c.kubeTransport(api, rt, token) }
		return cfg
	}
	cfg := &rest.Config{Host: p.base, UserAgent: c.userAgent(), QPS: 1000, Burst: 1000, WarningHandler: rest.NoWarnings{}, Dial: dial}
	cfg.TLSClientConfig.CAData = p.ca
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return c.kubeTransport(api, rt, true) }
	return cfg
}

func hasKubeconfigAuth(cfg *rest.Config) bool {
	return cfg.BearerToken != "" || cfg.BearerTokenFile != "" || cfg.ExecProvider != nil || cfg.AuthProvider != nil ||
		cfg.CertData != nil || cfg.CertFile != "" || cfg.Username != "" || cfg.Password != ""
}

// classifyAttempt turns a probe's outcome into an attempt's result. The
// API server answering, even with a 403 or 404 (RBAC, a missing
// namespace), is a path that works; its 401 stops the search; an answer
// that is not the API server's (Google's front end of the DNS endpoint or
// the Connect gateway) moves on.
func classifyAttempt(err error, pctx context.Context, timeout time.Duration) (result, detail string, stop bool) {
	if err == nil {
		return inventory.ReachOK, "", false
	}
	var front *frontEndError
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &front):
		switch front.code {
		case http.StatusForbidden:
			return inventory.ReachForbidden, "Google's front end answered 403: " + front.message, false
		case http.StatusUnauthorized:
			return inventory.ReachUnauthorized, "Google's front end answered 401: " + front.message, false
		}
		return inventory.ReachRefused, fmt.Sprintf("the endpoint answered %d, not as a Kubernetes API server: %s", front.code, front.message), false
	case errors.As(err, &status):
		if apierrors.IsUnauthorized(err) {
			return inventory.ReachUnauthorized, "the API server rejected lbdiag's credentials (401): " + status.Status().Message, true
		}
		return inventory.ReachOK, "", false
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return inventory.ReachTLS, err.Error(), false
	case errors.Is(err, context.DeadlineExceeded) && pctx.Err() != nil, errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return inventory.ReachTimeout, fmt.Sprintf("no answer within %s: %v", timeout, err), false
	}
	return inventory.ReachRefused, err.Error(), false
}

// frontEndError is an error answer whose body is not a Kubernetes Status:
// something other than the API server answered (Google's front end of the
// DNS endpoint or the Connect gateway, a proxy).
type frontEndError struct {
	*apierrors.StatusError
	code    int
	message string
}

func (e *frontEndError) Unwrap() error { return e.StatusError }

// frontEndMessage is the message of a Google API error body
// ({"error":{"message":...}}), else the body's start.
func frontEndMessage(body []byte) string {
	var ge struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &ge) == nil && ge.Error.Message != "" {
		return strings.TrimSpace(ge.Error.Status + " " + ge.Error.Message)
	}
	return untrusted.Bound(strings.TrimSpace(string(body)), 200)
}

// gatewayProject resolves a membership's project to its number: the
// Connect gateway's URL needs the number. A number stays; a project ID is
// looked up once in Resource Manager (projects.get).
func (c *collector) gatewayProject(ctx context.Context, membership string) (number, location, name string, err error) {
	project, location, name, _ := parseMembership(membership)
	if strings.Trim(project, "0123456789") == "" {
		return project, location, name, nil
	}
	c.numMu.Lock()
	defer c.numMu.Unlock()
	if n, ok := c.numbers[project]; ok {
		return n, location, name, nil
	}
	svc, err := crm.NewService(ctx, c.clientOptions(APIResourceManager, c.opts.ResourceManagerEndpoint, DefaultResourceManagerEndpoint)...)
	if err != nil {
		return "", "", "", err
	}
	p, err := svc.Projects.Get("projects/" + project).Fields("name").Context(ctx).Do()
	if err != nil {
		return "", "", "", fmt.Errorf("getting project %s: %w", project, err)
	}
	n := strings.TrimPrefix(p.Name, "projects/")
	if c.numbers == nil {
		c.numbers = map[string]string{}
	}
	c.numbers[project] = n
	return n, location, name, nil
}

// numberCache guards the project numbers gatewayProject resolved.
type numberCache struct {
	numMu   sync.Mutex
	numbers map[string]string
}
