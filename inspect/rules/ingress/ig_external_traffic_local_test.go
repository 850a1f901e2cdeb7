package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestIGExternalTrafficLocal(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	svc := ruletest.Service("shop", "web", nil)
	svc.Spec.Type, svc.Spec.ExternalTrafficPolicy = corev1.ServiceTypeNodePort, corev1.ServiceExternalTrafficPolicyLocal
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	for _, n := range []string{"n1", "n2", "n3"} {
		cl.Nodes = append(cl.Nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	node := "n2"
	cl.EndpointSlices = []discoveryv1.EndpointSlice{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", Labels: map[string]string{"kubernetes.io/service-name": "web"}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, NodeName: &node}}}}
	inv := ruletest.Inventory(cl)
	ruletest.Expect(t, ruletest.Run(t, inv, IGExternalTrafficLocal), "1 of the cluster's 3 nodes run a serving Pod")
	cl.Services[0].Annotations = map[string]string{gke.AnnNEG: `{"ingress":true}`}
	ruletest.Expect(t, ruletest.Run(t, inv, IGExternalTrafficLocal))
}

func TestIGExternalTrafficLocalCounts(t *testing.T) {
	t.Parallel()
	// Ingress site routes to web, api and neg. Judged: the 2 Services it
	// reaches through instance groups; web (Local) fails, api (Cluster)
	// passes. neg is reached through NEGs: not judged.
	web := ruletest.NodePort(ruletest.Service("shop", "web", nil))
	web.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	api := ruletest.NodePort(ruletest.Service("shop", "api", nil))
	api.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	full, partial := objectInventories([]networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web", "api", "neg")}, []corev1.Service{
		web, api, ruletest.Service("shop", "neg", map[string]string{gke.AnnNEG: `{"ingress":true}`}),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, IGExternalTrafficLocal, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IGExternalTrafficLocal, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)
}
