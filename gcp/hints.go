package gcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// googleHint explains a failed Google API call (Compute Engine or GKE) and
// says what would fix it. service is "compute" or "container"; permission is
// the IAM permission the call needs.
func googleHint(err error, service, project, permission, role string) string {
	if h := commonHint(err); h != "" {
		return h
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return "the API could not be reached from here: check the network, proxy and endpoint settings"
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
		return "API quota exhausted: retry later or raise the quota; lbdiag already retried with backoff"
	case ge.Code == http.StatusForbidden:
		return fmt.Sprintf("missing IAM permission %s on project %s: grant %s", permission, project, role)
	case ge.Code == http.StatusNotFound:
		return fmt.Sprintf("project %s was not found: check --project", project)
	case ge.Code == http.StatusTooManyRequests:
		return "API quota exhausted: retry later or raise the quota; lbdiag already retried with backoff"
	case ge.Code == http.StatusNotImplemented && strings.Contains(ge.Message, "lbdiag replay"):
		return "the recording holds no response for this call"
	case ge.Code >= 500:
		return "the API failed repeatedly; retry later"
	}
	return ""
}

// kubeHint explains a failed Kubernetes API call.
func kubeHint(err error, resource string) string {
	if h := commonHint(err); h != "" {
		return h
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		var unknownAuthority x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		if errors.As(err, &unknownAuthority) || errors.As(err, &verify) {
			return "the cluster's certificate does not verify against masterAuth.clusterCaCertificate"
		}
		return "cluster endpoint unreachable from here: private cluster? Run lbdiag from inside the VPC, through an authorized network, or use the cluster's DNS endpoint"
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return "the cluster rejected the Google access token: check the credentials (GKE maps Google identities to RBAC)"
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("grant RBAC list on %s in all namespaces (see the README's RBAC section)", resource)
	case status.Status().Code == http.StatusNotImplemented && strings.Contains(status.Status().Message, "lbdiag replay"):
		return "the recording holds no response for this call"
	}
	return ""
}

func commonHint(err error) string {
	var replayed *recording.ReplayedError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: raise --timeout, or check the network path to the API"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, ErrWriteRefused):
		return "lbdiag refused a write request: this is a bug, please report it"
	case errors.As(err, &replayed):
		return "the recorded run could not reach this API either"
	}
	return ""
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

// errorText shortens an error for a coverage entry.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// computePermission returns the IAM permission needed to list a Compute
// Engine source.
func computePermission(s inventory.Source) string {
	return string(s) + ".list"
}
