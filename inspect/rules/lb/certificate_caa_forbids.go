package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// googleCAs are the certificate authorities that issue Google-managed
// certificates, by the issuer domain names CAA records give them.
var googleCAs = []string{"pki.goog", "letsencrypt.org"}

// CertificateCAAForbids reports domains of Google-managed certificates that
// are not ACTIVE whose CAA records forbid Google's certificate authorities
// to issue for them.
var CertificateCAAForbids = &inspect.Rule{
	ID:       "certificate-caa-forbids",
	Severity: inspect.Error,
	Title:    "The CAA records of every Google-managed certificate's domain allow Google's certificate authorities (pki.goog, letsencrypt.org)",
	Doc: inspect.Doc{
		Why: `A domain's CAA records (RFC 8659) name the certificate authorities that may issue certificates for it: a certificate authority looks for the CAA records of the domain, then of its parent, and so on up the tree, and the first name that has any decides. Google-managed certificates are issued by Google Trust Services (pki.goog) or Let's Encrypt (letsencrypt.org); when the relevant CAA records allow neither (only another authority, or issue ";"), or carry a critical property lbdiag does not know, issuance fails (FAILED_CAA_FORBIDDEN) and the certificate never becomes ACTIVE. lbdiag looks up the CAA records of each domain of the certificates that are not ACTIVE, up the tree, with the system's resolver (or --resolver). A lookup that got no answer is a coverage gap (the certificate authority's own lookup failing is FAILED_CAA_CHECKING).`,
		Fix: `Add CAA records that allow Google's certificate authorities at the name that holds the relevant records (the finding names it): NAME. CAA 0 issue "pki.goog" and NAME. CAA 0 issue "letsencrypt.org", keeping the authorities you use; then check: dig NAME CAA.`,
		Sources: []string{"Use Google-managed SSL certificates: CAA records must allow pki.goog and letsencrypt.org (" + docManagedCerts + "#caa)",
			"RFC 8659, DNS Certification Authority Authorization (CAA) Resource Record: relevant RRset, issue property, critical flag (www.rfc-editor.org/rfc/rfc8659)",
			"Google Trust Services: CAA records must permit pki.goog (pki.goog/testing/dns-debugging.html)"},
		URL: docManagedCerts + "#caa",
	},
	Needs: []inventory.Source{inventory.DNSLookups},
	Check: func(p *inspect.Pass) {
		if !dnsRead(p) {
			return
		}
		inv := p.Inventory
		for _, t := range certTargets(p, false) {
			if !p.Known(inventory.DNSLookups, inventory.CAAScope(inv.Project, t.Name)) {
				continue
			}
			owner, records, failed, ok := inv.DNS.RelevantCAA(t.Name)
			if !ok {
				// A lookup of the climb was not answered, or not made:
				// which CAA records apply is unknown.
				why := "the CAA lookup of " + failed.Name + " was not made"
				if failed.Error != "" {
					why = "the CAA lookup of " + failed.Name + " failed: " + failed.Error
				}
				p.CouldNotCheck(inventory.CAAScope(inv.Project, t.Name), why, "")
				continue
			}
			p.Judge(t.Res)
			blocking, why := caaForbids(records)
			if blocking == nil {
				continue
			}
			var lines []string
			for i, r := range blocking {
				// A few records; the evidence holds them all.
				if i == maxProbeLines {
					lines = append(lines, fmt.Sprintf("%d more", len(blocking)-i))
					break
				}
				lines = append(lines, owner+". CAA "+r.String())
			}
			where := owner
			if owner != t.Name {
				where = fmt.Sprintf("%s (the relevant CAA records of %s, found up the tree)", owner, t.Name)
			}
			msg := fmt.Sprintf("CAA record %s at %s %s: Google's certificate authorities (pki.goog, letsencrypt.org) may not issue for %s, so %s (%s) cannot become ACTIVE",
				strings.Join(lines, "; "), where, why, t.Name, t.What, t.Status)
			var add []string
			for _, ca := range googleCAs {
				add = append(add, fmt.Sprintf(`%s. CAA 0 issue "%s"`, owner, ca))
			}
			fix := fmt.Sprintf("add to the records of %s (keeping the authorities you use): %s; then check: dig %s CAA", owner, strings.Join(add, "; "), owner)
			if why == caaCritical {
				fix = fmt.Sprintf("remove the critical flag (128) from the records lbdiag does not know, or the records: %s; and allow %s; then check: dig %s CAA", strings.Join(lines, "; "), strings.Join(add, "; "), owner)
			}
			var all []string
			for _, r := range records {
				all = append(all, r.String())
			}
			f := inspect.Finding{Message: msg, Resource: t.Res, Key: t.Name, Remediation: fix,
				Evidence: map[string]any{"name": t.Name, "caaOwner": owner, "caa": all, "forbidding": lines, "resolver": resolverNote(inv)}}
			if t.Attach != nil {
				f.AttachTo = t.Attach
				f.AttachNote = fmt.Sprintf("CAA: %s %s (certificate-caa-forbids)", strings.Join(lines, "; "), why)
			}
			p.Report(f)
		}
	},
}

// Why a CAA record set forbids Google's certificate authorities.
const (
	caaNotListed = "allows neither pki.goog nor letsencrypt.org"
	caaCritical  = "has the critical flag on a property lbdiag does not know, which forbids any issuance"
)

// caaForbids judges the relevant CAA records of a (non-wildcard) domain:
// the records that forbid Google's certificate authorities, and why; nil
// when they allow one. Per RFC 8659, an unknown property with the
// critical flag forbids issuance; issue properties, when there are any,
// name the only authorities that may issue (the issuer domain name
// before any ";" parameters; an empty one allows none); without issue
// properties any authority may.
func caaForbids(records []inventory.CAARecord) ([]inventory.CAARecord, string) {
	var issue, critical []inventory.CAARecord
	for _, r := range records {
		tag := strings.ToLower(r.Tag)
		switch tag {
		case "issue":
			issue = append(issue, r)
		case "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone":
		default:
			if r.Critical() {
				critical = append(critical, r)
			}
		}
	}
	if len(critical) > 0 {
		return critical, caaCritical
	}
	if len(issue) == 0 {
		return nil, ""
	}
	for _, r := range issue {
		domain, _, _ := strings.Cut(r.Value, ";")
		domain = strings.ToLower(strings.TrimSpace(domain))
		for _, ca := range googleCAs {
			if domain == ca {
				return nil, ""
			}
		}
	}
	return issue, caaNotListed
}
