package lb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docManagedCerts = "https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs"

// provisioningGrace is how long a Google-managed certificate may stay
// PROVISIONING before lbdiag calls it stuck: Google documents that
// provisioning can take up to an hour once DNS points at the load
// balancer; a day leaves room for DNS propagation.
const provisioningGrace = 24 * time.Hour

// certsKnown reports whether every list that can reference a certificate
// was read for the project.
func certsKnown(inv *inventory.Inventory) bool {
	s := inventory.ProjectScope(inv.Project)
	return inv.Known(inventory.ComputeSSLCertificates, s) && inv.Known(inventory.ComputeTargetHTTPSProxies, s) && inv.Known(inventory.ComputeTargetSSLProxies, s)
}

// frIPs lists the address:port of forwarding rules.
func frIPs(frs []*compute.ForwardingRule) []string {
	var out []string
	for _, fr := range frs {
		out = append(out, fr.IPAddress)
	}
	return core.SortedUnique(out)
}

// domainProblem explains one domain's status of a Google-managed
// certificate, and how to fix it; "" for a domain that is fine.
func domainProblem(domain, status string, ips []string) (why, fix string) {
	target := "the load balancer's IP address"
	if len(ips) > 0 {
		target = strings.Join(ips, ", ")
	}
	switch status {
	case "FAILED_NOT_VISIBLE":
		return fmt.Sprintf("%s: FAILED_NOT_VISIBLE, its DNS records do not point at %s", domain, target),
			fmt.Sprintf("point the A (and AAAA) records of %s at %s, then check: dig +short %s", domain, target, domain)
	case "FAILED_CAA_CHECKING":
		return fmt.Sprintf("%s: FAILED_CAA_CHECKING, the CAA lookup of its DNS zone failed (the DNS servers did not answer it)", domain),
			fmt.Sprintf("make the DNS servers of %s answer CAA queries (dig CAA %s)", domain, domain)
	case "FAILED_CAA_FORBIDDEN":
		return fmt.Sprintf("%s: FAILED_CAA_FORBIDDEN, its CAA records do not allow Google's certificate authorities", domain),
			fmt.Sprintf(`add CAA records to %s allowing them: 0 issue "pki.goog" and 0 issue "letsencrypt.org"`, domain)
	case "FAILED_RATE_LIMITED":
		return fmt.Sprintf("%s: FAILED_RATE_LIMITED, the certificate authority refused more certificates for it for now", domain),
			"wait for the rate limit to pass (hours to days) and do not recreate the certificate meanwhile"
	case "PROVISIONING":
		return fmt.Sprintf("%s: PROVISIONING", domain), fmt.Sprintf("check that %s resolves to %s and that a forwarding rule serves HTTPS on port 443 there", domain, target)
	}
	return "", ""
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

// SSLCertificateNotActive reports Google-managed certificates a load
// balancer presents that are not ACTIVE.
var SSLCertificateNotActive = &inspect.Rule{
	ID:       "ssl-certificate-not-active",
	Severity: inspect.Error,
	Title:    "Every Google-managed certificate a load balancer presents is ACTIVE",
	Doc: inspect.Doc{
		Why: `A Google-managed SSL certificate serves HTTPS only once its status is ACTIVE. Until then a load balancer that presents it fails the TLS handshake (or presents another certificate), and browsers show certificate errors. The reason is in managed.domainStatus, per domain: FAILED_NOT_VISIBLE (the domain's DNS does not point at the load balancer, the most common case), FAILED_CAA_CHECKING and FAILED_CAA_FORBIDDEN (the domain's CAA records), FAILED_RATE_LIMITED (the certificate authority's limits). PROVISIONING is normal for up to an hour once DNS is right; lbdiag reports it after a day. Certificates GKE's ManagedCertificate controller made (mcrt-...) are fixed through the ManagedCertificate and DNS, never by editing the certificate.`,
		Fix: `Fix each domain as its status says (DNS A/AAAA records to the forwarding rule's IP; CAA records allowing pki.goog and letsencrypt.org), then watch: gcloud compute ssl-certificates describe NAME --global --format='value(managed.status,managed.domainStatus)'`,
		Sources: []string{"Use Google-managed SSL certificates: domain status, troubleshooting (" + docManagedCerts + ")",
			"Compute Engine API sslCertificates: managed.status and managed.domainStatus values", "gcpdiag runbook lb/ssl-certificates"},
		URL: docManagedCerts,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeSSLCertificates, inventory.ProjectScope(inv.Project)) {
			return
		}
		g := core.GraphOf(p)
		known := certsKnown(inv)
		frsKnown := inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
		for _, cert := range inv.Compute.SSLCertificates {
			if cert.Type != "MANAGED" || cert.Managed == nil || cert.Managed.Status == "ACTIVE" {
				continue
			}
			// A proxy whose certificate map wins presents it to no one.
			var users []core.CertUser
			for _, u := range g.ProxiesByCert[inventory.RelativeName(cert.SelfLink)] {
				if !u.MapOverrides {
					users = append(users, u)
				}
			}
			if known && len(users) == 0 {
				continue // ssl-certificate-unattached's case
			}
			var frs []*compute.ForwardingRule
			var proxies []string
			for _, u := range users {
				frs = append(frs, u.FRs...)
				proxies = append(proxies, u.Kind+" "+u.Name)
			}
			ips := frIPs(frs)
			age, aged := certAge(inv, cert)
			var whys, fixes []string
			failed := false
			for _, d := range core.SortedKeys(cert.Managed.DomainStatus) {
				st := cert.Managed.DomainStatus[d]
				if st == "ACTIVE" {
					continue
				}
				failed = failed || strings.HasPrefix(st, "FAILED")
				why, fix := domainProblem(d, st, ips)
				if why != "" {
					whys = append(whys, why)
					fixes = append(fixes, fix)
				}
			}
			if cert.Managed.Status == "PROVISIONING" && !failed && (!aged || age < provisioningGrace) {
				continue // still within the normal provisioning time
			}
			sev := inspect.Error
			serving := "which " + strings.Join(proxies, ", ") + " present"
			switch {
			case !known:
				sev, serving = inspect.Warning, "(lbdiag could not read every target proxy, so whether a load balancer presents it is unknown)"
			case !frsKnown:
				serving = "which " + strings.Join(proxies, ", ") + " present"
			case len(frs) == 0:
				sev, serving = inspect.Warning, "which "+strings.Join(proxies, ", ")+" present, though no forwarding rule sends to them yet"
			}
			msg := fmt.Sprintf("Google-managed certificate %s, %s, is %s", cert.Name, serving, cert.Managed.Status)
			if aged {
				msg += fmt.Sprintf(" %s after its creation", humanDuration(age))
			}
			if len(whys) > 0 {
				msg += ": " + strings.Join(whys, "; ")
			}
			msg += ". HTTPS clients of its domains get certificate errors until it is ACTIVE"
			ev := map[string]any{"managed.status": cert.Managed.Status, "managed.domainStatus": cert.Managed.DomainStatus, "proxies": proxies,
				"forwardingRuleIPs": ips, "creationTimestamp": cert.CreationTimestamp}
			fix := strings.Join(core.SortedUnique(fixes), "; ")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute ssl-certificates describe %s %s --project %s   # read managed.domainStatus", cert.Name, core.GCloudLocationFlag(cert.SelfLink), inventory.ProjectOf(cert.SelfLink))
			}
			f := inspect.Finding{Severity: sev, Resource: core.ResourceOf("SslCertificate", cert.SelfLink), Evidence: ev, Remediation: fix}
			if mc, cl, obj := managedCertificateOf(inv, cert.Name); mc != "" {
				ev["managedCertificate"] = mc
				msg += "; GKE's " + mc + " made it"
				// The ManagedCertificate's own finding says the same
				// from Kubernetes' side: this one becomes its evidence.
				f.AttachTo = &inspect.Attachment{Rule: "managed-certificate-not-active", Resource: core.KubeResource(cl, "ManagedCertificate", obj.ObjectMeta)}
			}
			f.Message = msg
			p.Report(f)
		}
	},
}

// certAge is how long before the collection the certificate was created.
func certAge(inv *inventory.Inventory, cert *compute.SslCertificate) (time.Duration, bool) {
	t, err := time.Parse(time.RFC3339, cert.CreationTimestamp)
	if err != nil || inv.CollectedAt.IsZero() {
		return 0, false
	}
	return inv.CollectedAt.Sub(t), true
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

// SSLCertificateUnattached reports certificates no load balancer presents.
var SSLCertificateUnattached = &inspect.Rule{
	ID:       "ssl-certificate-unattached",
	Severity: inspect.Info,
	Title:    "Every SSL certificate is presented by a target proxy that a forwarding rule uses",
	Doc: inspect.Doc{
		Why:     `A certificate that no target HTTPS or SSL proxy presents, or only proxies no forwarding rule sends to, serves no one: it counts against the SSL_CERTIFICATES quota, and a Google-managed one never provisions, because Google's certificate authority validates a domain through the load balancer that serves it. Such certificates are usually left over from a deleted load balancer or Ingress, or were created before the load balancer that should present them.`,
		Fix:     `Attach it (gcloud compute target-https-proxies update PROXY --ssl-certificates=CERT,...) or delete it: gcloud compute ssl-certificates delete CERT --global --project PROJECT. For GKE, reference it from the Ingress (ingress.gcp.kubernetes.io/pre-shared-cert or networking.gke.io/managed-certificates) instead.`,
		Sources: []string{"SSL certificates overview (cloud.google.com/load-balancing/docs/ssl-certificates)", "Use Google-managed SSL certificates (" + docManagedCerts + ")"},
		URL:     "https://cloud.google.com/load-balancing/docs/ssl-certificates",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !certsKnown(inv) {
			return
		}
		frsKnown := inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
		g := core.GraphOf(p)
		for _, cert := range inv.Compute.SSLCertificates {
			if inventory.ProjectOf(cert.SelfLink) != inv.Project {
				continue
			}
			users := g.ProxiesByCert[inventory.RelativeName(cert.SelfLink)]
			var msg string
			ev := map[string]any{"type": cert.Type}
			switch {
			case len(users) == 0:
				msg = fmt.Sprintf("SSL certificate %s is presented by no target HTTPS or SSL proxy", cert.Name)
			case frsKnown:
				var idle []string
				serving := false
				for _, u := range users {
					if len(u.FRs) > 0 && !u.MapOverrides {
						serving = true
					}
					idle = append(idle, u.Kind+" "+u.Name)
				}
				if serving {
					continue
				}
				sort.Strings(idle)
				ev["proxies"] = idle
				msg = fmt.Sprintf("SSL certificate %s is presented only by %s, which no forwarding rule sends to (or whose certificate map replaces it)", cert.Name, strings.Join(idle, ", "))
			default:
				continue
			}
			if cert.Type == "MANAGED" && cert.Managed != nil && cert.Managed.Status != "ACTIVE" {
				msg += fmt.Sprintf("; it is Google-managed and %s, and it cannot provision until a load balancer serves its domains", cert.Managed.Status)
				ev["managed.status"] = cert.Managed.Status
				ev["managed.domainStatus"] = cert.Managed.DomainStatus
			}
			fix := fmt.Sprintf("gcloud compute ssl-certificates delete %s %s --project %s   # or attach it to the load balancer that should present it", cert.Name, core.GCloudLocationFlag(cert.SelfLink), inventory.ProjectOf(cert.SelfLink))
			if mc, _, _ := managedCertificateOf(inv, cert.Name); mc != "" {
				ev["managedCertificate"] = mc
				msg += "; GKE's " + mc + " made it"
				fix = "reference the ManagedCertificate from an Ingress (annotation networking.gke.io/managed-certificates), or delete the ManagedCertificate: GKE then deletes the certificate"
			}
			p.Report(inspect.Finding{Message: msg, Resource: core.ResourceOf("SslCertificate", cert.SelfLink), Evidence: ev, Remediation: fix})
		}
	},
}

// TargetProxyCertificateMapOverrides reports target proxies with both a
// certificate map and SSL certificates.
var TargetProxyCertificateMapOverrides = &inspect.Rule{
	ID:       "target-proxy-certificate-map-overrides",
	Severity: inspect.Warning,
	Title:    "No target proxy has both a certificate map and SSL certificates",
	Doc: inspect.Doc{
		Why: `When a target HTTPS or SSL proxy references a Certificate Manager certificate map, the map decides which certificate each client gets, and the proxy's sslCertificates are ignored. A certificate added there (by hand, by a pre-shared-cert annotation or by a ManagedCertificate) is then never presented, and a renewal or a new domain there has no effect.`,
		Fix: `Keep one: add the certificates to the map (gcloud certificate-manager maps entries create ...), then clear the classic list (gcloud compute target-https-proxies update PROXY --clear-ssl-certificates), or remove the map (--clear-certificate-map). For a GKE Ingress, remove either the networking.gke.io/certmap annotation or the pre-shared-cert / managed-certificates / spec.tls certificates.`,
		Sources: []string{"Certificate Manager: deploy a certificate map to a target proxy; certificate maps take precedence over SSL certificates (cloud.google.com/certificate-manager/docs/maps)",
			"Compute Engine API targetHttpsProxies: certificateMap (\"If set, sslCertificates will be ignored\")"},
		URL: "https://cloud.google.com/certificate-manager/docs/maps",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		s := inventory.ProjectScope(inv.Project)
		report := func(kind, name, selfLink, certMap string, certs []string) {
			var names []string
			for _, c := range certs {
				names = append(names, inventory.LastSegment(c))
			}
			cmd := "target-https-proxies"
			if kind == "TargetSslProxy" {
				cmd = "target-ssl-proxies"
			}
			flag := core.GCloudLocationFlag(selfLink)
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("%s %s references certificate map %s and SSL certificates %s: the map wins, so %s %s never presented",
					kind, name, inventory.LastSegment(certMap), strings.Join(names, ", "), strings.Join(names, ", "), agree(len(names), "is", "are")),
				Resource:    core.ResourceOf(kind, selfLink),
				Evidence:    map[string]any{"certificateMap": certMap, "sslCertificates": names},
				Remediation: fmt.Sprintf("gcloud compute %s update %s %s --clear-ssl-certificates --project %s   # after adding what they served to the certificate map; or --clear-certificate-map to keep them", cmd, name, flag, inventory.ProjectOf(selfLink)),
			})
		}
		if inv.Known(inventory.ComputeTargetHTTPSProxies, s) {
			for _, px := range inv.Compute.TargetHTTPSProxies {
				if px.CertificateMap != "" && len(px.SslCertificates) > 0 {
					report("TargetHttpsProxy", px.Name, px.SelfLink, px.CertificateMap, px.SslCertificates)
				}
			}
		}
		if inv.Known(inventory.ComputeTargetSSLProxies, s) {
			for _, px := range inv.Compute.TargetSSLProxies {
				if px.CertificateMap != "" && len(px.SslCertificates) > 0 {
					report("TargetSslProxy", px.Name, px.SelfLink, px.CertificateMap, px.SslCertificates)
				}
			}
		}
	},
}

// HTTPSForwardingRulePort reports HTTPS and SSL proxies reachable on no
// port 443.
var HTTPSForwardingRulePort = &inspect.Rule{
	ID:       "https-forwarding-rule-port",
	Severity: inspect.Warning,
	Title:    "Every target HTTPS or SSL proxy has a forwarding rule on port 443",
	Doc: inspect.Doc{
		Why:     `Clients open https:// URLs on port 443. A target HTTPS (or SSL) proxy whose forwarding rules listen only on other ports (80, 8080, 8443) answers TLS where no browser looks for it, and a Google-managed certificate on it cannot be validated through port 443 either. It is usually a forwarding rule created with the HTTP rule's port by mistake.`,
		Fix:     `Create the forwarding rule on 443 for the proxy (forwarding rules' ports cannot be changed): gcloud compute forwarding-rules create NAME --global --target-https-proxy=PROXY --ports=443 --address=IP, then delete the wrong one.`,
		Sources: []string{"Forwarding rules overview: port specifications for external Application Load Balancers (cloud.google.com/load-balancing/docs/forwarding-rule-concepts#port_specifications)"},
		URL:     "https://cloud.google.com/load-balancing/docs/forwarding-rule-concepts#port_specifications",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		g := core.GraphOf(p)
		for _, target := range core.SortedKeys(g.FRsByTarget) {
			kind := ""
			switch {
			case strings.Contains(target, "/targetHttpsProxies/"):
				kind = "TargetHttpsProxy"
			case strings.Contains(target, "/targetSslProxies/"):
				kind = "TargetSslProxy"
			default:
				continue
			}
			frs := g.FRsByTarget[target]
			on443 := false
			var ports []string
			for _, fr := range frs {
				if portsInclude(fr, 443) {
					on443 = true
				}
				ports = append(ports, fr.Name+" "+frPorts(fr))
			}
			if on443 {
				continue
			}
			for _, fr := range frs {
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("Forwarding rule %s (%s, %s) sends to %s %s, which no forwarding rule serves on port 443: HTTPS clients of https://%s/ cannot connect",
						fr.Name, fr.IPAddress, frPorts(fr), kind, inventory.LastSegment(target), fr.IPAddress),
					Resource:    core.ResourceOf("ForwardingRule", fr.SelfLink),
					Evidence:    map[string]any{"portRange": fr.PortRange, "ports": fr.Ports, "target": target, "forwardingRules": ports},
					Remediation: fmt.Sprintf("gcloud compute forwarding-rules create %s-443 %s --target-%s=%s --ports=443 --address=%s --load-balancing-scheme=%s --project %s   # then delete %s", fr.Name, core.GCloudLocationFlag(fr.SelfLink), proxyFlag(kind), inventory.LastSegment(target), fr.IPAddress, fr.LoadBalancingScheme, inventory.ProjectOf(fr.SelfLink), fr.Name),
				})
			}
		}
	},
}

func proxyFlag(kind string) string {
	if kind == "TargetSslProxy" {
		return "ssl-proxy"
	}
	return "https-proxy"
}

// frPorts renders a forwarding rule's ports.
func frPorts(fr *compute.ForwardingRule) string {
	switch {
	case fr.AllPorts:
		return "all ports"
	case len(fr.Ports) > 0:
		return "ports " + strings.Join(fr.Ports, ",")
	case fr.PortRange != "":
		lo, hi, _ := strings.Cut(fr.PortRange, "-")
		if lo == hi || hi == "" {
			return "port " + lo
		}
		return "ports " + fr.PortRange
	}
	return "no port"
}

// portsInclude reports whether a forwarding rule listens on port.
func portsInclude(fr *compute.ForwardingRule, port int) bool {
	if fr.AllPorts {
		return true
	}
	for _, ps := range fr.Ports {
		if ps == strconv.Itoa(port) {
			return true
		}
	}
	lo, hi, _ := strings.Cut(fr.PortRange, "-")
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	if err2 != nil {
		h, err2 = l, err1
	}
	return err1 == nil && err2 == nil && port >= l && port <= h
}
