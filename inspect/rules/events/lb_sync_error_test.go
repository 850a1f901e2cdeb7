package events

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestLBSyncError(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ev := func(kind, name, etype, reason, msg string, age time.Duration) corev1.Event {
		return corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + ".1"},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: "shop", Name: name},
			Type:           etype, Reason: reason, Message: msg, Count: 3, Source: corev1.EventSource{Component: "loadbalancer-controller"},
			LastTimestamp: metav1.NewTime(collected.Add(-age))}
	}
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"gone"}`})}
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	cl.Events = []corev1.Event{
		ev("Ingress", "site", "Warning", "Translate", `Translation failed: invalid ingress spec: error getting BackendConfig for port "&ServiceBackendPort{Name:,Number:80,}" on service "shop/web", err: no BackendConfig for service port exists.`, time.Minute),
		ev("Ingress", "site", "Warning", "Sync", "Error syncing to GCP: error running backend syncing routine: googleapi: Error 403: Quota 'BACKEND_SERVICES' exceeded.", 2*time.Minute),
		ev("Ingress", "site", "Warning", "Sync", "Error syncing to GCP: an old problem", 7*time.Hour),
		ev("Ingress", "site", "Normal", "Sync", "Scheduled for sync", time.Minute),
		ev("Ingress", "site", "Warning", "IPChanged", "not a sync failure", time.Minute),
	}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	got := ruletest.Run(t, inv, LBSyncError)
	// The known cause names its rule and asks to be folded into its
	// finding; the unknown one stands alone; the old event and the others
	// are not sync failures of now.
	ruletest.Expect(t, got, "Quota 'BACKEND_SERVICES' exceeded", "cause: BackendConfig not found (rule backendconfig-missing)")
	known, unknown := got[1], got[0]
	if a := known.AttachTo; a == nil || a.Rule != "backendconfig-missing" || a.Resource.Kind != "Service" || a.Resource.Name != "web" {
		t.Errorf("attachment %+v", known.AttachTo)
	}
	if known.Evidence["reason"] != "Translate" || known.Evidence["count"] != int32(3) {
		t.Errorf("evidence %v", known.Evidence)
	}
	if m := unknown.Message; !strings.Contains(m, "does not recognise") || unknown.AttachTo != nil {
		t.Errorf("unknown cause: %q", m)
	}
	// Events unreadable: nothing.
	ruletest.FailSource(inv, inventory.KubeEvents, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, inv, LBSyncError))
}

// TestLBSyncErrorReportingController reads the reporter of events written
// through events.k8s.io/v1, which set reportingController and leave
// source.component empty.
func TestLBSyncErrorReportingController(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := ruletest.ProdCluster()
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.2"},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site"}, Type: "Warning", Reason: "Sync",
		Message:             "Error syncing to GCP: error running load balancer syncing routine: a new failure",
		ReportingController: "loadbalancer-controller", ReportingInstance: "loadbalancer-controller-gke-abc",
		EventTime: metav1.NewMicroTime(collected.Add(-time.Minute))}}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	ruletest.Expect(t, ruletest.Run(t, inv, LBSyncError), "Warning Sync from loadbalancer-controller (1×")
}

func TestLBSyncErrorCounts(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil), ruletest.Service("shop", "api", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`}),
		ruletest.Service("shop", "plain", nil)}
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web"), ruletest.Ingress("shop", "ext", "nginx", "plain")}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site"}, Type: "Warning", Reason: "Sync",
		Message: "Error syncing to GCP: something new", Count: 2, Source: corev1.EventSource{Component: "loadbalancer-controller"},
		LastTimestamp: metav1.NewTime(collected.Add(-time.Minute))}}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	// The objects GKE's Ingress and NEG controllers manage are judged:
	// Ingress site (a failure) fails; Service web (site routes to it) and
	// Service api (a NEG annotation) pass; Ingress ext (nginx) and
	// Service plain (only ext routes to it) are not judged.
	ruletest.ExpectCounts(t, inv, LBSyncError, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	// Events unreadable: nothing judged, the cluster's events are the gap.
	ruletest.FailSource(inv, inventory.KubeEvents, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, LBSyncError, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, "\n"), string(inventory.KubeEvents)) {
		t.Errorf("reasons %q", c.Reasons)
	}
}
