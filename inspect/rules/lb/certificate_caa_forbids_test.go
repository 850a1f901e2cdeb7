package lb

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// caaAt answers the CAA query of a name (no records: an empty answer).
func caaAt(name string, records ...string) inventory.DNSAnswer {
	a := inventory.DNSAnswer{Name: name, Type: inventory.DNSTypeCAA, RCode: inventory.RCodeNoError}
	for _, r := range records {
		f := strings.SplitN(r, " ", 3)
		flag := uint8(0)
		if f[0] == "128" {
			flag = 128
		}
		a.CAA = append(a.CAA, inventory.CAARecord{Flag: flag, Tag: f[1], Value: strings.Trim(f[2], `"`)})
	}
	return a
}

// caaTree answers the CAA lookups of the certificate www's two domains up
// the tree: example.com holds records, www.example.com none, so both
// domains' relevant records are example.com's.
func caaTree(records ...string) []inventory.DNSAnswer {
	return []inventory.DNSAnswer{caaAt("www.example.com"), caaAt("example.com", records...)}
}

func TestCertificateCAAForbids(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, CertificateCAAForbids, []certificateCase{
		{"only another authority, found up the tree", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue "digicert.com"`, `0 iodef "mailto:sec@example.com"`))
		}, []string{
			`CAA record example.com. CAA 0 issue "digicert.com" at example.com (the relevant CAA records of www.example.com, found up the tree) allows neither pki.goog nor letsencrypt.org: Google's certificate authorities (pki.goog, letsencrypt.org) may not issue for www.example.com, so Google-managed certificate www (PROVISIONING) cannot become ACTIVE`,
			`CAA record example.com. CAA 0 issue "digicert.com" at example.com allows neither pki.goog nor letsencrypt.org: Google's certificate authorities (pki.goog, letsencrypt.org) may not issue for example.com`}},
		{"many authorities: a few named, the verdict kept", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue "a.example"`, `0 issue "b.example"`, `0 issue "c.example"`, `0 issue "d.example"`, `0 issue "e.example"`,
				`0 issue "f.example"`, `0 issue "g.example"`))
		}, []string{`0 issue "e.example"; 2 more at example.com (the relevant`, `0 issue "e.example"; 2 more at example.com allows neither`}},
		{"pki.goog allowed", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue "digicert.com"`, `0 issue "pki.goog"`))
		}, nil},
		{"letsencrypt.org allowed, with parameters", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue "LetsEncrypt.org; validationmethods=http-01"`))
		}, nil},
		{"issue \";\" forbids every authority", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue ";"`))
		}, []string{`0 issue ";"`, `0 issue ";"`}},
		{"the name's own records decide, not the parent's", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, []inventory.DNSAnswer{caaAt("www.example.com", `0 issue "pki.goog"`), caaAt("example.com", `0 issue "digicert.com"`)})
		}, []string{"CAA record example.com. CAA 0 issue \"digicert.com\" at example.com allows neither"}},
		{"no CAA record up to the top-level domain: any authority", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, []inventory.DNSAnswer{caaAt("www.example.com"), caaAt("example.com"), caaAt("com")})
		}, nil},
		{"NXDOMAIN is no record: climb on", func(inv *inventory.Inventory) {
			presented(inv)
			nx := caaAt("www.example.com")
			nx.RCode = inventory.RCodeNXDomain
			withDNS(inv, []inventory.DNSAnswer{nx, caaAt("example.com", `0 issue "sectigo.com"`)})
		}, []string{"sectigo.com", "sectigo.com"}},
		{"only issuewild and iodef: issue is unrestricted", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issuewild "digicert.com"`, `0 iodef "mailto:sec@example.com"`))
		}, nil},
		{"a critical property lbdiag does not know", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, caaTree(`0 issue "pki.goog"`, `128 tbs "unknown"`))
		}, []string{`CAA record example.com. CAA 128 tbs "unknown" at example.com (the relevant CAA records of www.example.com, found up the tree) has the critical flag`, `128 tbs`}},
		{"a CAA lookup without answer is a gap", func(inv *inventory.Inventory) {
			presented(inv)
			// www.example.com's climb failed at its first step; example.com's
			// own records forbid.
			withDNS(inv, []inventory.DNSAnswer{servfail("www.example.com", inventory.DNSTypeCAA), caaAt("example.com", `0 issue "digicert.com"`)})
		}, []string{`at example.com allows neither`}},
	})
}

func TestCertificateCAAForbidsCounts(t *testing.T) {
	t.Parallel()
	// The certificate www's two domains are judged on one resource: it
	// fails, with a finding per domain.
	inv := ruletest.LBProject()
	presented(inv)
	withDNS(inv, caaTree(`0 issue "digicert.com"`))
	ruletest.ExpectCounts(t, inv, CertificateCAAForbids, ruletest.Counts{Judged: 1, Failed: 1})
	fs := ruletest.Run(t, inv, CertificateCAAForbids)
	want := `add to the records of example.com (keeping the authorities you use): example.com. CAA 0 issue "pki.goog"; example.com. CAA 0 issue "letsencrypt.org"; then check: dig example.com CAA`
	if len(fs) != 2 || fs[0].Remediation != want || fs[0].Key == fs[1].Key {
		t.Errorf("findings: %+v", fs)
	}
	// Folded into ssl-certificate-not-active, naming the record.
	res := ruletest.RunAll(inv, SSLCertificateNotActive, CertificateCAAForbids)
	if len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, `CAA: example.com. CAA 0 issue "digicert.com" allows neither pki.goog nor letsencrypt.org (certificate-caa-forbids)`) {
		t.Errorf("not folded: %v", ruletest.Messages(res.Findings))
	}

	// A CAA lookup that failed on the way up from www.example.com (at
	// example.com): neither domain could be checked.
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, []inventory.DNSAnswer{caaAt("www.example.com"), servfail("example.com", inventory.DNSTypeCAA)})
	// The collector covers the climb under the domain that started it.
	for i, c := range inv.Coverage {
		if c.Scope == inventory.CAAScope(ruletest.Project, "example.com") {
			inv.Coverage[i].Scope = inventory.CAAScope(ruletest.Project, "www.example.com")
		}
	}
	c := ruletest.ExpectCounts(t, inv, CertificateCAAForbids, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, "SERVFAIL")

	// The collector said the climb was read, but an answer on the way is
	// missing: the rule says it could not check, rather than nothing.
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, []inventory.DNSAnswer{caaAt("www.example.com")})
	c = ruletest.ExpectCounts(t, inv, CertificateCAAForbids, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, "the CAA lookup of example.com was not made")
}
