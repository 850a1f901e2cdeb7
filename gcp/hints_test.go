package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/api/googleapi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestHints checks the hint of every class of failure: each names what
// happened, not a neighbouring cause.
func TestHints(t *testing.T) {
	t.Parallel()
	c := &collector{}
	live := context.Background()
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-expired.Done()
	interrupted, stop := context.WithCancel(context.Background())
	stop()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "connection refused"}}
	refused := fmt.Errorf("Get \"https://10.0.0.2/api/v1/services\": %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	syntaxErr := json.Unmarshal([]byte(`{"items": x}`), &struct{}{})
	running := &inventory.Cluster{Info: &containerpb.Cluster{Status: containerpb.Cluster_RUNNING}}
	provisioning := &inventory.Cluster{Info: &containerpb.Cluster{Status: containerpb.Cluster_PROVISIONING}}
	kubeStatus := func(code int32, reason metav1.StatusReason) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Code: code, Reason: reason, Message: string(reason)}}
	}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		kube bool
		cl   *inventory.Cluster
		want string
		not  string
	}{
		{name: "run's deadline", ctx: expired, err: context.DeadlineExceeded, want: "time budget"},
		{name: "rate-limit wait past the deadline", ctx: live, err: &waitError{err: context.DeadlineExceeded}, want: "time budget", not: "reached"},
		{name: "interrupted", ctx: interrupted, err: context.Canceled, want: "interrupted"},
		{name: "one try timed out, the run goes on", ctx: live, err: fmt.Errorf("Get x: %w", context.DeadlineExceeded), want: "did not answer in time", not: "time budget"},
		{name: "truncated JSON (compute)", ctx: live, err: io.ErrUnexpectedEOF, want: "could not be decoded", not: "reached"},
		{name: "not JSON (compute)", ctx: live, err: syntaxErr, want: "could not be decoded", not: "reached"},
		{name: "not JSON (kubernetes)", ctx: live, err: &decodeError{err: syntaxErr}, kube: true, cl: running, want: "could not be decoded", not: "private cluster"},
		{name: "reset mid-body", ctx: live, err: &retriedError{attempts: 5, err: &bodyReadError{err: errors.New("read tcp: connection reset by peer")}}, want: "connection broke while the answer", not: "could not be reached"},
		{name: "repeated page token", ctx: live, err: errRepeatedPageToken, want: "same page token again"},
		{name: "continue token expired twice", ctx: live, err: &expiredTwiceError{err: kubeStatus(410, metav1.StatusReasonExpired)}, kube: true, want: "410 Expired"},
		{name: "Google API unreachable", ctx: live, err: dial, want: "could not be reached from here"},
		{name: "cluster endpoint unreachable", ctx: live, err: refused, kube: true, cl: running, want: "private cluster"},
		{name: "cluster provisioning", ctx: live, err: refused, kube: true, cl: provisioning, want: "PROVISIONING", not: "private cluster"},
		{name: "cluster rejects the token", ctx: live, err: kubeStatus(401, metav1.StatusReasonUnauthorized), kube: true, want: "rejected lbdiag's Google access token"},
		{name: "RBAC", ctx: live, err: kubeStatus(403, metav1.StatusReasonForbidden), kube: true, want: "grant RBAC list on services in all namespaces (the ClusterRole lbdiag-reader in deploy/rbac.yaml)"},
		{name: "IAM", ctx: live, err: &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "forbidden"}}}, want: "missing IAM permission compute.backendServices.list"},
		{name: "quota", ctx: live, err: &googleapi.Error{Code: 429}, want: "quota exhausted"},
		{name: "one collection not found", ctx: live, err: &googleapi.Error{Code: 404, Message: "The requested URL was not found"}, want: "404 for the backendServices list of project p", not: "project p was not found"},
		{name: "API disabled", ctx: live, err: &googleapi.Error{Code: 403, Message: "Compute Engine API has not been used in project 1 before or it is disabled"}, want: "gcloud services enable compute.googleapis.com"},
	}
	for _, tc := range tests {
		var got string
		if tc.kube {
			got = c.kubeHint(tc.ctx, tc.err, "list on services in all namespaces", tc.cl)
		} else {
			got = c.googleHint(tc.ctx, tc.err, "compute", "p", "compute.backendServices.list", "roles/compute.viewer")
		}
		if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
			t.Errorf("%s: hint %q, want %q (and not %q)", tc.name, got, tc.want, tc.not)
		}
	}
}
