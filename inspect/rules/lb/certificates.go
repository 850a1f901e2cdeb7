package lb

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lbdiag/lbdiag/inventory"
)

const docManagedCerts = "https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs"

// certsKnown reports whether every list that can reference a certificate
// was read for the project.
func certsKnown(inv *inventory.Inventory) bool {
	s := inventory.ProjectScope(inv.Project)
	return inv.Known(inventory.ComputeSSLCertificates, s) && inv.Known(inventory.ComputeTargetHTTPSProxies, s) && inv.Known(inventory.ComputeTargetSSLProxies, s)
}

// managedCertificateOf finds the GKE ManagedCertificate that made a
// certificate (its status.certificateName), as "cluster: ns/name".
func managedCertificateOf(inv *inventory.Inventory, cert string) (string, *inventory.Cluster, *inventory.ManagedCertificate) {
	for _, cl := range inv.Clusters {
		for i := range cl.ManagedCertificates {
			mc := &cl.ManagedCertificates[i]
			if mc.Status.CertificateName == cert {
				return fmt.Sprintf("ManagedCertificate %s/%s (cluster %s/%s)", mc.Namespace, mc.Name, cl.Location(), cl.Name()), cl, mc
			}
		}
	}
	return "", nil, nil
}

// humanDuration says a duration in days or hours.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return d.Round(time.Minute).String()
}
