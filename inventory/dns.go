package inventory

import (
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
)

// DNSLookups is the coverage source of the DNS lookups of a live run: the
// A, AAAA and CAA records of the domains of the Google-managed
// certificates that are not ACTIVE and of the hosts of Ingresses and
// Gateways. Its entry at the project's scope says whether lookups were
// made at all (skipped with --no-dns, or when a recording holds none);
// each name has an entry of its own at DNSScope (A and AAAA) and
// CAAScope (the CAA records up the tree), an error when its resolver gave
// no answer (a timeout, SERVFAIL): a gap, never "no record".
const DNSLookups Source = "dns.lookups"

// DNSScope is the coverage scope of the address lookups (A and AAAA) of a
// name: "projects/P/dns/NAME".
func DNSScope(project, name string) string { return ProjectScope(project) + "/dns/" + name }

// CAAScope is the coverage scope of the CAA lookups of a name, up the
// tree: "projects/P/dns/NAME/caa".
func CAAScope(project, name string) string { return DNSScope(project, name) + "/caa" }

// DNS types lbdiag queries.
const (
	DNSTypeA    = "A"
	DNSTypeAAAA = "AAAA"
	DNSTypeCAA  = "CAA"
)

// DNS response codes lbdiag records (RFC 1035, 4.1.1).
const (
	RCodeNoError  = "NOERROR"
	RCodeNXDomain = "NXDOMAIN"
	RCodeServFail = "SERVFAIL"
)

// DNS is what the run's DNS lookups answered (nil when none were made).
// A recording keeps it, so that a replay judges the same answers.
type DNS struct {
	// Resolver is the server the queries went to ("10.0.0.2:53", from
	// /etc/resolv.conf, or --resolver's), or "the recording".
	Resolver string `json:"resolver,omitempty"`
	// Answers are the answers, one per name and type, sorted.
	Answers []DNSAnswer `json:"answers"`
	// Capped counts the names left unresolved because the run reached
	// its cap of names.
	Capped int `json:"capped,omitempty"`
}

// DNSAnswer is one query's answer: the addresses of an A or AAAA query
// and the aliases they were reached through, or the CAA records at the
// name. A query the resolver did not answer (a timeout, SERVFAIL,
// REFUSED) has Error set: what depends on it is unknown.
type DNSAnswer struct {
	// Name is the name queried, in lower case, without the final dot.
	Name string `json:"name"`
	Type string `json:"type"`
	// RCode is the response code (NOERROR, NXDOMAIN, SERVFAIL, ...); ""
	// when no response came.
	RCode string `json:"rcode,omitempty"`
	// Error says why there is no usable answer; "" for NOERROR and
	// NXDOMAIN.
	Error string `json:"error,omitempty"`
	// CNAMEs are the aliases the answer went through, in order.
	CNAMEs []string `json:"cnames,omitempty"`
	// Addresses are the A or AAAA records' addresses, sorted.
	Addresses []string `json:"addresses,omitempty"`
	// CAA are the CAA records of the answer.
	CAA []CAARecord `json:"caa,omitempty"`
}

// CAARecord is one CAA resource record (RFC 8659): its flags, its
// property tag and value.
type CAARecord struct {
	Flag  uint8  `json:"flag"`
	Tag   string `json:"tag"`
	Value string `json:"value"`
}

// String renders the record's data as a zone file does: 0 issue "pki.goog".
func (r CAARecord) String() string {
	return strconv.Itoa(int(r.Flag)) + " " + r.Tag + ` "` + r.Value + `"`
}

// Critical reports whether the record's issuer-critical flag is set.
func (r CAARecord) Critical() bool { return r.Flag&128 != 0 }

// Answered reports whether the resolver answered the query: NOERROR (with
// or without records) or NXDOMAIN, which says the name has no record.
func (a DNSAnswer) Answered() bool {
	return a.Error == "" && (a.RCode == RCodeNoError || a.RCode == RCodeNXDomain)
}

// Answer returns the answer to the query of name and type, if one was
// made.
func (d *DNS) Answer(name, qtype string) (DNSAnswer, bool) {
	if d == nil {
		return DNSAnswer{}, false
	}
	name = CanonicalName(name)
	i := sort.Search(len(d.Answers), func(i int) bool {
		a := d.Answers[i]
		return a.Name > name || (a.Name == name && a.Type >= qtype)
	})
	if i < len(d.Answers) && d.Answers[i].Name == name && d.Answers[i].Type == qtype {
		return d.Answers[i], true
	}
	return DNSAnswer{}, false
}

// Sort orders the answers by name and type, as Answer needs.
func (d *DNS) Sort() {
	sort.SliceStable(d.Answers, func(i, j int) bool {
		a, b := d.Answers[i], d.Answers[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Type < b.Type
	})
}

// RelevantCAA finds the relevant CAA RRset of name (RFC 8659, 3): the CAA
// records of the name itself, else of its parent, and so on up to the
// top-level domain; the first non-empty set found. owner is the name that
// holds it; records is empty when no name up the tree has CAA records
// (any certificate authority may issue). ok is false when a lookup on the
// way was not answered, or was not made: failed is then that query (its
// Error set, or only its Name when it is missing).
func (d *DNS) RelevantCAA(name string) (owner string, records []CAARecord, failed DNSAnswer, ok bool) {
	for n := CanonicalName(name); n != ""; n = Parent(n) {
		a, found := d.Answer(n, DNSTypeCAA)
		switch {
		case !found:
			return "", nil, DNSAnswer{Name: n, Type: DNSTypeCAA}, false
		case !a.Answered():
			return "", nil, a, false
		case len(a.CAA) > 0:
			return n, a.CAA, DNSAnswer{}, true
		}
	}
	return "", nil, DNSAnswer{}, true
}

// Parent is name without its first label ("" for a top-level domain).
func Parent(name string) string {
	_, rest, ok := strings.Cut(name, ".")
	if !ok {
		return ""
	}
	return rest
}

// CanonicalName is a DNS name in lower case without the final dot.
func CanonicalName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// ValidHostname reports whether name is a host name lbdiag resolves: at
// most 253 characters, two labels or more of letters, digits, hyphens and
// underscores, each 1 to 63 characters; no wildcard, no IP address.
func ValidHostname(name string) bool {
	if len(name) == 0 || len(name) > 253 || !strings.Contains(name, ".") {
		return false
	}
	digitsOnly := true
	for _, label := range strings.Split(name, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			switch {
			case c >= 'a' && c <= 'z', c == '-', c == '_':
				digitsOnly = false
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return !digitsOnly
}

// The names lbdiag resolves, which the collector queries and the rules
// judge: the domains of Google-managed certificates that are not ACTIVE
// (their A, AAAA and CAA records), and the hosts of external Ingresses and
// Gateways (their A and AAAA records). Internal load balancers' names are
// left out: their records live in private zones the run's resolver may not
// see.

// PendingManagedCert reports whether a Compute Engine certificate is a
// Google-managed one that is not ACTIVE.
func PendingManagedCert(cert *compute.SslCertificate) bool {
	return cert.Type == "MANAGED" && cert.Managed != nil && cert.Managed.Status != "ACTIVE"
}

// PendingManagedCertificate reports whether a GKE ManagedCertificate is
// not Active.
func PendingManagedCertificate(mc *ManagedCertificate) bool {
	return mc.Status.CertificateStatus != "Active"
}

// CertDomains are the domains of a Google-managed certificate (its
// managed.domains and those its domainStatus names), canonical, sorted,
// without wildcards.
func CertDomains(cert *compute.SslCertificate) []string {
	if cert.Managed == nil {
		return nil
	}
	names := append([]string(nil), cert.Managed.Domains...)
	for d := range cert.Managed.DomainStatus {
		names = append(names, d)
	}
	return hostList(names)
}

// ManagedCertificateDomains are a ManagedCertificate's domains, canonical,
// sorted, without wildcards.
func ManagedCertificateDomains(mc *ManagedCertificate) []string {
	return hostList(mc.Spec.Domains)
}

// IngressHosts are the hosts of an external GKE Ingress (classes gce and
// gce-regional-external), canonical, sorted, without wildcards; nil for
// any other Ingress. They are its rules' hosts. ingress-gce ignores
// spec.tls[].hosts, so a TLS host counts only for an Ingress whose rules
// name none: all its traffic goes to its default backend, and the TLS
// hosts are the names it is meant to serve.
func IngressHosts(ing *networkingv1.Ingress) []string {
	class, ok := gke.GKEIngress(ing)
	if !ok || class == gke.ClassInternal {
		return nil
	}
	var hosts []string
	for _, r := range ing.Spec.Rules {
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		for _, t := range ing.Spec.TLS {
			hosts = append(hosts, t.Hosts...)
		}
	}
	return hostList(hosts)
}

// GatewayHosts are the hosts of an external GKE Gateway: its listeners'
// hostnames and those of the HTTPRoutes that name it as a parent,
// canonical, sorted, without wildcards; nil for any other Gateway.
func GatewayHosts(cl *Cluster, gw *Gateway) []string {
	class := gw.Spec.GatewayClassName
	if !gke.IsGKEGatewayClass(class) || gke.GatewayClassInternal(class) {
		return nil
	}
	var hosts []string
	for _, l := range gw.Spec.Listeners {
		if l.Hostname != nil {
			hosts = append(hosts, *l.Hostname)
		}
	}
	for _, r := range cl.RoutesOf(gw) {
		hosts = append(hosts, r.Spec.Hostnames...)
	}
	return hostList(hosts)
}

// hostList canonicalizes, deduplicates and sorts names, keeping those
// ValidHostname accepts.
func hostList(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = CanonicalName(n)
		if ValidHostname(n) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
