package inspect

import (
	"hash/maphash"
	"strings"
	"sync"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

func res(name string) Resource {
	return Resource{Kind: "Ingress", Project: "p", Namespace: "shop", Name: name}
}

// TestChecksCountJudgedPassedFailed: a rule that judges three resources
// and reports on one (twice) passed two and failed one; a finding on a
// resource it did not judge counts as judged.
func TestChecksCountJudgedPassedFailed(t *testing.T) {
	t.Parallel()
	r := validRule("counts")
	r.Check = func(p *Pass) {
		for _, n := range []string{"web", "api", "shop", "web"} {
			p.Judge(res(n))
		}
		p.Report(Finding{Message: "web is broken", Resource: res("web")})
		p.Report(Finding{Message: "web is broken twice", Resource: res("web"), Key: "2"})
		p.Report(Finding{Message: "cart was never judged", Resource: res("cart")})
	}
	out := Run(&inventory.Inventory{Project: "p"}, []*Rule{r})
	c := out.Checks[0]
	if c.Judged != 4 || c.Passed != 2 || c.Failed != 2 || c.CouldNotCheck != 0 {
		t.Errorf("check %+v", c)
	}
	failed := map[string]bool{}
	for _, v := range out.Verdicts {
		failed[v.Resource.Name] = v.Failed
	}
	if len(out.Verdicts) != 4 || !failed["web"] || failed["api"] || failed["shop"] || !failed["cart"] {
		t.Errorf("verdicts %v", failed)
	}
}

// TestVerdictsShareTheirResource: two rules' verdicts on one resource
// point to one copy of it, each judged resource is held once however
// many rules judge it.
func TestVerdictsShareTheirResource(t *testing.T) {
	t.Parallel()
	judge := func(id string) *Rule {
		r := validRule(id)
		r.Check = func(p *Pass) {
			p.Judge(res("web"))
			p.Judge(res("api"))
		}
		return r
	}
	out := Run(&inventory.Inventory{Project: "p"}, []*Rule{judge("one"), judge("two")})
	by := map[string]*Resource{}
	for _, v := range out.Verdicts {
		if first, ok := by[v.Resource.Name]; ok && first != v.Resource {
			t.Errorf("the verdicts on %s hold two copies of it", v.Resource.Name)
		}
		by[v.Resource.Name] = v.Resource
	}
	if len(out.Verdicts) != 4 || len(by) != 2 || *by["web"] != res("web") {
		t.Errorf("%d verdicts on %d resources", len(out.Verdicts), len(by))
	}
}

// TestChecksRecordUnknownReads: a source the rule needed and was not read
// is a place it could not check, with the coverage's error as the
// reason; the inventory's own Known records nothing; CouldNotCheck
// entries count too.
func TestChecksRecordUnknownReads(t *testing.T) {
	t.Parallel()
	inv := &inventory.Inventory{Project: "p", Coverage: inventory.CoverageSet{
		{Source: inventory.KubeIngresses, Scope: "projects/p/locations/l/clusters/a", Status: inventory.StatusOK},
		{Source: inventory.KubeIngresses, Scope: "projects/p/locations/l/clusters/b", Status: inventory.StatusError, Error: "ingresses is forbidden"},
		{Source: inventory.ComputeFirewalls, Scope: "projects/p", Status: inventory.StatusError, Error: "quota exceeded"},
	}}
	r := validRule("gaps")
	r.Check = func(p *Pass) {
		for _, cl := range []string{"a", "b", "c", "b"} {
			p.Known(inventory.KubeIngresses, "projects/p/locations/l/clusters/"+cl)
		}
		p.Inventory.Known(inventory.ComputeFirewalls, "projects/p") // a fallback: not recorded
		p.CouldNotCheck("projects/p", "the Ingress names an unknown class", "")
	}
	c := Run(inv, []*Rule{r}).Checks[0]
	if c.CouldNotCheck != 3 {
		t.Fatalf("could not check %d places, want 3 (b, c, the CouldNotCheck): %+v", c.CouldNotCheck, c.Gaps)
	}
	all := strings.Join(c.Reasons, "\n")
	for _, want := range []string{"clusters/b: kubernetes.ingresses error: ingresses is forbidden", "clusters/c: kubernetes.ingresses was not read",
		"projects/p: the Ingress names an unknown class"} {
		if !strings.Contains(all, want) {
			t.Errorf("reasons %q lack %q", c.Reasons, want)
		}
	}
}

// TestChecksDerivedReplaysUnknownReads: derived data built by one rule
// counts its unknown reads for every rule that uses it.
func TestChecksDerivedReplaysUnknownReads(t *testing.T) {
	t.Parallel()
	index := NewDerived("index", func(p *Pass) int {
		p.Known(inventory.ComputeURLMaps, "projects/p")
		return 1
	})
	use := func(id string) *Rule {
		r := validRule(id)
		r.Check = func(p *Pass) { index.Of(p) }
		return r
	}
	out := Run(&inventory.Inventory{Project: "p"}, []*Rule{use("first"), use("second")})
	for _, c := range out.Checks {
		if c.CouldNotCheck != 1 || !strings.Contains(c.Reasons[0], "compute.urlMaps was not read") {
			t.Errorf("%s: %+v", c.Rule, c)
		}
	}
}

// TestChecksOfACrashedRule: a rule that panics judged nothing and could
// not check the project.
func TestChecksOfACrashedRule(t *testing.T) {
	t.Parallel()
	r := validRule("crashes")
	r.Check = func(p *Pass) {
		p.Judge(res("web"))
		panic("boom")
	}
	c := Run(&inventory.Inventory{Project: "p"}, []*Rule{r}).Checks[0]
	if c.Judged != 0 || c.CouldNotCheck != 1 || !strings.Contains(c.Reasons[0], "crashed") {
		t.Errorf("check %+v", c)
	}
}

func TestTotals(t *testing.T) {
	t.Parallel()
	checks := []Check{{Rule: "a", CouldNotCheck: 2}, {Rule: "b"}, {Rule: "c", CouldNotCheck: 1}}
	web, web2, api := res("web"), res("web"), res("api")
	verdicts := []Verdict{{Rule: "a", Resource: &web}, {Rule: "b", Resource: &web2}, {Rule: "b", Resource: &api}}
	if got := TotalsOf(checks, verdicts); got != (Totals{Rules: 3, Resources: 2, CouldNotCheck: 2}) {
		t.Errorf("totals %+v", got)
	}
}

// TestResourceTableCollisions: resources whose hashes collide still get
// their own numbers, and each the same number every time, from rules
// that judge side by side.
func TestResourceTableCollisions(t *testing.T) {
	t.Parallel()
	for name, hash := range map[string]func(maphash.Seed, Resource) uint64{
		"all collide": func(maphash.Seed, Resource) uint64 { return 7 },
		"two buckets": func(_ maphash.Seed, r Resource) uint64 { return uint64(len(r.Name) % 2) },
		"real":        maphash.Comparable[Resource],
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			table := newResourceTable(0)
			table.hash = hash
			names := []string{"web", "api", "shop", "cart", "web-2", "api-22"}
			ids := make([][]uint32, 4)
			var wg sync.WaitGroup
			for g := range ids {
				wg.Go(func() {
					for range 50 {
						for _, n := range names {
							ids[g] = append(ids[g], table.id(res(n)))
						}
					}
				})
			}
			wg.Wait()
			if len(table.all) != len(names) {
				t.Fatalf("%d resources numbered for %d judged: %v", len(table.all), len(names), table.all)
			}
			for g := range ids {
				for i, id := range ids[g] {
					if want := res(names[i%len(names)]); table.all[id] != want {
						t.Fatalf("judge %d, call %d: number %d is %v, want %v", g, i, id, table.all[id], want)
					}
				}
			}
		})
	}
}
