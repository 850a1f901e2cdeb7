package lb

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestL4ServicePending(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, L4ServicePending, []inventoryCase{
		{"pending for an hour", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("", ruletest.Now.Add(-time.Hour), true)
			return inv
		}, []string{"LoadBalancer Service pay/gateway (internal) has had no address for 1h0m0s"}},
		{"pending for two minutes", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("", ruletest.Now.Add(-2*time.Minute), true)
			return inv
		}, nil},
		{"another controller's class", func() *inventory.Inventory {
			inv, cl := ruletest.L4Cluster("", ruletest.Now.Add(-time.Hour), false)
			cl.Services[0].Spec.LoadBalancerClass = ruletest.Ptr("example.com/metallb")
			return inv
		}, nil},
	})
}

func TestL4ServicePendingCounts(t *testing.T) {
	t.Parallel()
	// LoadBalancer Services whose address or age lbdiag knows are judged:
	// gateway (no address for an hour) fails, ready (an address) and
	// young (two minutes old) pass; undated has neither address nor
	// creation time and is not judged.
	inv, cl := ruletest.L4Cluster("", ruletest.Now.Add(-time.Hour), true)
	ready, young, undated := cl.Services[0], cl.Services[0], cl.Services[0]
	ready.Name, young.Name, undated.Name = "ready", "young", "undated"
	ready.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "10.0.0.7"}}
	young.CreationTimestamp = metav1.NewTime(ruletest.Now.Add(-2 * time.Minute))
	undated.CreationTimestamp = metav1.Time{}
	cl.Services = append(cl.Services, ready, young, undated)
	ruletest.ExpectCounts(t, inv, L4ServicePending, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, L4ServicePending, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeServices))
}
