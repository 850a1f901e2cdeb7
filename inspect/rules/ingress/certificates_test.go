package ingress

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// managedCertificate is a ManagedCertificate of namespace shop with its
// status and "domain=status" pairs.
func managedCertificate(name, status string, created time.Time, domains ...string) inventory.ManagedCertificate {
	var m inventory.ManagedCertificate
	m.Namespace, m.Name, m.CreationTimestamp = "shop", name, metav1.NewTime(created)
	m.Status.CertificateStatus = status
	for _, d := range domains {
		dom, st, _ := strings.Cut(d, "=")
		m.Status.DomainStatus = append(m.Status.DomainStatus, struct {
			Domain string `json:"domain"`
			Status string `json:"status"`
		}{dom, st})
	}
	return m
}

// managedCertSetup is Ingress shop/site (address 34.117.80.41) naming the
// ManagedCertificates of annotation, and those given, collected at Now.
func managedCertSetup(annotation string, mcs ...inventory.ManagedCertificate) (*inventory.Inventory, *inventory.Cluster) {
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	ing := ruletest.Ingress("shop", "site", "", "web")
	if annotation != "" {
		ing.Annotations[gke.AnnManagedCerts] = annotation
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "34.117.80.41"}}
	cl.Ingresses = []networkingv1.Ingress{ing}
	cl.ManagedCertificates = mcs
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	return inv, cl
}
