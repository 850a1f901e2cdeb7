package events

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewaySyncError(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ev := func(kind, name, reason, msg string) corev1.Event {
		return corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + ".17a2"},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: "shop", Name: name, APIVersion: "gateway.networking.k8s.io/v1"},
			Type:           "Warning", Reason: reason, Message: msg, Count: 4, Source: corev1.EventSource{Component: "sc-gateway-controller"},
			LastTimestamp: metav1.NewTime(collected.Add(-3 * time.Minute))}
	}
	cl := ruletest.ProdCluster()
	store := ruletest.Gateway("shop", "store", "gke-l7-global-external-managed")
	store.Status.Conditions = []metav1.Condition{{Type: "networking.gke.io/GatewayHealthy", Status: metav1.ConditionFalse, Reason: "Error",
		Message: `Gateway: Invalid : Error GWCER106: Gateway "shop/store" is invalid, err: address "store-ip" does not exist.`}}
	cl.Gateways = []inventory.Gateway{store}
	cl.Events = []corev1.Event{
		ev("Gateway", "store", "SYNC", `failed to translate Gateway "shop/store": Error GWCER104: HTTPRoute "shop/web" is misconfigured, err: Error GWCER102: services shop/wbe not found`),
		ev("Gateway", "store", "SYNC", `failed to translate Gateway "shop/store": Error GWCER105: Listener "https" is invalid, err: SslCertificate "global/sslCertificates/store-cert-2026" does not exist.`),
		ev("HTTPRoute", "web", "UPDATE", `Error GWCER104: HTTPRoute "shop/web" is misconfigured, err: Timeouts are not supported.`),
		ev("Gateway", "store", "SYNC", `failed to translate Gateway "shop/store": something new`),
		{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "store.ok"}, InvolvedObject: corev1.ObjectReference{Kind: "Gateway", Namespace: "shop", Name: "store"},
			Type: "Normal", Reason: "SYNC", Message: `SYNC on shop/store was a success`, Source: corev1.EventSource{Component: "sc-gateway-controller"}, LastTimestamp: metav1.NewTime(collected)},
	}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	got := ruletest.Run(t, inv, GatewaySyncError)
	// Each failure, by a part of its message, and what it folds into: the
	// rule that decides its cause, on the object the message names, else
	// gateway-not-programmed on the Gateway.
	want := map[string]string{
		"GatewayHealthy is False (reason Error): Gateway: Invalid : Error GWCER106":                                                                                           "gateway-address-missing Gateway store | gateway-not-programmed",
		"Warning UPDATE from sc-gateway-controller (4×, last 2026-11-20T11:57:00Z): Error GWCER104: HTTPRoute \"shop/web\" is misconfigured, err: Timeouts are not supported": "gateway-class-feature-unsupported HTTPRoute web",
		"services shop/wbe not found — cause: backend Service not found (rule route-backend-missing)":                                                                         "route-backend-missing HTTPRoute web | gateway-not-programmed",
		"does not exist. — cause: pre-shared certificate not found (rule gateway-certificate-missing)":                                                                        "gateway-certificate-missing Gateway store | gateway-not-programmed",
		"something new — a cause lbdiag does not recognise":                                                                                                                   "gateway-not-programmed Gateway store",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings:\n%s", len(got), strings.Join(ruletest.Messages(got), "\n"))
	}
	for part, attach := range want {
		found := false
		for _, f := range got {
			if !strings.Contains(f.Message, part) {
				continue
			}
			found = true
			a := f.AttachTo
			if a == nil {
				t.Fatalf("%q: no attachment", part)
			}
			s := a.Rule + " " + a.Resource.Kind + " " + a.Resource.Name
			for _, o := range a.Or {
				s += " | " + o.Rule
			}
			if s != attach {
				t.Errorf("%q attaches to %q, want %q", part, s, attach)
			}
		}
		if !found {
			t.Errorf("no finding with %q:\n%s", part, strings.Join(ruletest.Messages(got), "\n"))
		}
	}
	// The Ingress rule no longer reports the Gateway controller's events.
	ruletest.Expect(t, ruletest.Run(t, inv, LBSyncError))
	ruletest.FailSource(inv, inventory.KubeEvents, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, inv, GatewaySyncError), "GatewayHealthy is False")
}

func TestGatewaySyncErrorCounts(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := ruletest.ProdCluster()
	cl.Gateways = []inventory.Gateway{ruletest.Gateway("shop", "store", "gke-l7-global-external-managed"), ruletest.Gateway("shop", "quiet", "gke-l7-rilb"),
		ruletest.Gateway("shop", "mesh", "istio")}
	route := func(name, parent string) inventory.HTTPRoute {
		var r inventory.HTTPRoute
		r.Namespace, r.Name = "shop", name
		r.Spec.ParentRefs = []inventory.ParentReference{{Name: parent}}
		return r
	}
	cl.HTTPRoutes = []inventory.HTTPRoute{route("web", "store"), route("sidecar", "mesh")}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "store.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Gateway", Namespace: "shop", Name: "store"}, Type: "Warning", Reason: "SYNC",
		Message: `failed to translate Gateway "shop/store": something new`, Count: 1, Source: corev1.EventSource{Component: "sc-gateway-controller"},
		LastTimestamp: metav1.NewTime(collected.Add(-time.Minute))}}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	// The GKE Gateways and their routes are judged: Gateway store (a
	// failure) fails, Gateway quiet and HTTPRoute web pass; Gateway mesh
	// (istio) and its route sidecar are not judged.
	ruletest.ExpectCounts(t, inv, GatewaySyncError, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	ruletest.FailSource(inv, inventory.KubeEvents, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, GatewaySyncError, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, "\n"), string(inventory.KubeEvents)) {
		t.Errorf("reasons %q", c.Reasons)
	}
}
