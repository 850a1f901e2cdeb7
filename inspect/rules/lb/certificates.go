package lb

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

const docManagedCerts = "https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs"

// certSources are the lists that can reference a certificate.
var certSources = []inventory.Source{inventory.ComputeSSLCertificates, inventory.ComputeTargetHTTPSProxies, inventory.ComputeTargetSSLProxies}

// certsKnown reports whether every list that can reference a certificate
// was read for the project, recording that the rule could not check the
// project when not.
func certsKnown(p *inspect.Pass) bool {
	s := inventory.ProjectScope(p.Inventory.Project)
	for _, src := range certSources {
		if !p.Known(src, s) {
			return false
		}
	}
	return true
}

// certsRead is certsKnown for a rule that only words its finding
// differently when they were not: it records nothing.
func certsRead(inv *inventory.Inventory) bool {
	s := inventory.ProjectScope(inv.Project)
	for _, src := range certSources {
		if !inv.Known(src, s) {
			return false
		}
	}
	return true
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
