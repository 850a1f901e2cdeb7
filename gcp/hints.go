package gcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/api/googleapi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// Hints, by class of failure. Each says what happened in words a user can
// act on; the error text itself is kept beside it.
const (
	hintTimeBudget     = "not checked: time budget. The run's --timeout ran out before this was read; raise --timeout, or narrow the run (--cluster, --namespace, --ingress)"
	hintInterrupted    = "interrupted before this was read"
	hintPerTryTimeout  = "the API did not answer in time, even after lbdiag's retries: check the network path (proxy, VPN, firewall) or retry later"
	hintDecode         = "the API's answer could not be decoded (truncated, or not JSON): something between lbdiag and the API may have altered it (a proxy?); retry, and check HTTPS_PROXY"
	hintBodyBroken     = "the connection broke while the answer was being read, even after lbdiag's retries: check the network path (proxy, VPN) and retry"
	hintRepeatedToken  = "the API returned the same page token again, so lbdiag stopped this list rather than request the same page forever; what it read is not used. Retry later; if it persists, a proxy may be caching answers"
	hintExpiredTwice   = "the list's continue token expired (410 Expired) twice: the API server compacts its storage faster than lbdiag reads the pages. Retry when the cluster is less busy"
	hintGoogleNoRoute  = "the API could not be reached from here: check the network, proxy and endpoint settings"
	hintKubeNoRoute    = "cluster endpoint unreachable from here: private cluster? Run lbdiag from inside the VPC, through an authorized network, or use the cluster's DNS endpoint"
	hintKubeCA         = "the cluster's certificate does not verify against masterAuth.clusterCaCertificate"
	hintQuota          = "API quota exhausted: lbdiag retried with backoff and slowed down; retry later, lower --max-qps, or raise the quota"
	hintReplayedFault  = "the recorded run could not reach this API either"
	hintNotRecorded    = "the recording holds no response for this call"
	hintWriteRefused   = "lbdiag refused a write request: this is a bug, please report it"
	hintKubeCredential = "the cluster rejected lbdiag's Google access token (401): check the credentials (gcloud auth application-default login, or refresh --access-token-file); GKE maps the Google identity to Kubernetes RBAC"
)

// commonHint classifies the failures every API shares: time budget,
// interruption, decoding, broken connections, stopped lists. ctx is the
// run's context: a deadline while it is still live is one try's timeout,
// not the run's.
func commonHint(ctx context.Context, err error) string {
	var wait *waitError
	var replayed *recording.ReplayedError
	var dec *decodeError
	var body *bodyReadError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var expired *expiredTwiceError
	runOver := ctx != nil && ctx.Err() != nil
	switch {
	case errors.As(err, &wait):
		if errors.Is(err, context.Canceled) {
			return hintInterrupted
		}
		return hintTimeBudget
	case runOver && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return hintTimeBudget
	case runOver:
		return hintInterrupted
	case errors.Is(err, ErrWriteRefused):
		return hintWriteRefused
	case errors.As(err, &replayed):
		return hintReplayedFault
	case errors.Is(err, errRepeatedPageToken), errors.Is(err, errRepeatedContinue):
		return hintRepeatedToken
	case errors.As(err, &expired):
		return hintExpiredTwice
	case errors.As(err, &body):
		return hintBodyBroken
	case errors.As(err, &dec), errors.As(err, &syntax), errors.As(err, &typ), isProtoDecode(err):
		return hintDecode
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hintDecode
	case errors.Is(err, context.DeadlineExceeded):
		return hintPerTryTimeout
	}
	return ""
}

// isProtoDecode recognises the GKE client's decoding errors.
func isProtoDecode(err error) bool {
	s := err.Error()
	return strings.Contains(s, "proto:") && (strings.Contains(s, "syntax error") || strings.Contains(s, "unexpected"))
}

// googleHint explains a failed Google API call (Compute Engine or GKE) and
// says what would fix it. service is "compute" or "container"; permission is
// the IAM permission the call needs.
func (c *collector) googleHint(ctx context.Context, err error, service, project, permission, role string) string {
	if h := commonHint(ctx, err); h != "" {
		return h
	}
	if h := tlsHint(err); h != "" {
		return h
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		if code, msg, ok := grpcStatus(err); ok {
			ge = &googleapi.Error{Code: code, Message: msg}
		} else {
			return hintGoogleNoRoute
		}
	}
	reasons := make([]string, 0, len(ge.Errors))
	for _, e := range ge.Errors {
		reasons = append(reasons, e.Reason)
	}
	msg := strings.ToLower(ge.Message)
	switch {
	case containsAny(reasons, "accessNotConfigured", "SERVICE_DISABLED") ||
		strings.Contains(msg, "has not been used in project") || strings.Contains(msg, "it is disabled"):
		return fmt.Sprintf("gcloud services enable %s.googleapis.com --project %s", service, project)
	case ge.Code == http.StatusUnauthorized:
		return "the credentials were rejected: run `gcloud auth application-default login` or refresh the access token"
	case ge.Code == http.StatusForbidden && containsAny(reasons, "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"):
		return hintQuota
	case ge.Code == http.StatusForbidden:
		return fmt.Sprintf("missing IAM permission %s on project %s: grant %s", permission, project, role)
	case ge.Code == http.StatusNotFound && service == "compute" && strings.HasSuffix(permission, ".list"):
		// One collection, not the project: Collect says when every
		// collection answers 404.
		coll := strings.TrimSuffix(strings.TrimPrefix(permission, "compute."), ".list")
		return fmt.Sprintf("Compute Engine answered 404 for the %s list of project %s: the API may not serve this collection here (an endpoint or API version without it); what depends on it is unknown", coll, project)
	case ge.Code == http.StatusNotFound:
		return fmt.Sprintf("project %s was not found: check --project", project)
	case ge.Code == http.StatusTooManyRequests:
		return hintQuota
	case ge.Code == http.StatusNotImplemented && strings.Contains(ge.Message, "lbdiag replay"):
		return hintNotRecorded
	case ge.Code >= 500:
		return "the API failed repeatedly; retry later"
	}
	return ""
}

// grpcStatus reads the code of a GKE client error ("rpc error: code =
// NotFound desc = ...").
func grpcStatus(err error) (int, string, bool) {
	s := err.Error()
	codes := map[string]int{"NotFound": 404, "PermissionDenied": 403, "Unauthenticated": 401, "ResourceExhausted": 429, "Unavailable": 503, "Internal": 500, "Unimplemented": 501}
	for name, code := range codes {
		if strings.Contains(s, "code = "+name) {
			return code, s, true
		}
	}
	var ae interface{ HTTPCode() int }
	if errors.As(err, &ae) && ae.HTTPCode() > 0 {
		return ae.HTTPCode(), s, true
	}
	return 0, "", false
}

func tlsHint(err error) string {
	var unknownAuthority x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var hostname x509.HostnameError
	if errors.As(err, &unknownAuthority) || errors.As(err, &verify) || errors.As(err, &hostname) {
		return "the server's certificate does not verify: a TLS-intercepting proxy? Check the system's CA certificates"
	}
	return ""
}

// kubeHint explains a failed Kubernetes API call. cl, when known, tells a
// cluster that is not running apart from one that cannot be reached.
func (c *collector) kubeHint(ctx context.Context, err error, grant string, cl *inventory.Cluster) string {
	if h := commonHint(ctx, err); h != "" {
		return h
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		var unknownAuthority x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		if errors.As(err, &unknownAuthority) || errors.As(err, &verify) {
			return hintKubeCA
		}
		if cl != nil && cl.Info.GetStatus() != containerpb.Cluster_RUNNING && cl.Info.GetStatus() != containerpb.Cluster_STATUS_UNSPECIFIED {
			return clusterStatusHint(cl.Info.GetStatus())
		}
		return hintKubeNoRoute
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return hintKubeCredential
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("grant RBAC %s (the ClusterRole lbdiag-reader in deploy/rbac.yaml)", grant)
	case apierrors.IsTooManyRequests(err):
		return "the API server throttled lbdiag (429) even after retries; retry later"
	case status.Status().Code == http.StatusNotImplemented && strings.Contains(status.Status().Message, "lbdiag replay"):
		return hintNotRecorded
	}
	return ""
}

// clusterStatusHint explains why a cluster that is not RUNNING could not be
// read.
func clusterStatusHint(s containerpb.Cluster_Status) string {
	switch s {
	case containerpb.Cluster_PROVISIONING:
		return "the cluster is PROVISIONING: its API server is not ready yet; run again when it is RUNNING"
	case containerpb.Cluster_RECONCILING:
		return "the cluster is RECONCILING (an upgrade or repair): its API server may be briefly unavailable; run again when it is RUNNING"
	case containerpb.Cluster_STOPPING:
		return "the cluster is STOPPING (being deleted): its Kubernetes objects were not inspected"
	case containerpb.Cluster_ERROR, containerpb.Cluster_DEGRADED:
		return fmt.Sprintf("the cluster's status is %s: see gcloud container clusters describe; its Kubernetes objects were not inspected", s)
	}
	return "the cluster is not running; its Kubernetes objects were not inspected"
}

func containsAny(list []string, want ...string) bool {
	for _, l := range list {
		for _, w := range want {
			if l == w {
				return true
			}
		}
	}
	return false
}

// computePermission returns the IAM permission needed to list a Compute
// Engine source.
func computePermission(s inventory.Source) string {
	if s == inventory.ComputeProject {
		return "compute.projects.get"
	}
	return string(s) + ".list"
}
