package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lbdiag/lbdiag/inventory"
)

// Resource identifies what a finding is about.
type Resource struct {
	// Kind is the Kubernetes kind (Ingress, Service, BackendConfig, ...),
	// the Compute Engine type in singular PascalCase (BackendService,
	// Subnetwork, ...), or Cluster.
	Kind     string `json:"kind"`
	Project  string `json:"project"`
	Location string `json:"location,omitempty"`
	Cluster  string `json:"cluster,omitempty"`
	// Namespace is empty outside Kubernetes.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders the resource as "Kind namespace/name".
func (r Resource) String() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Finding is one problem.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Message says what is wrong, naming the field values that prove it.
	Message  string   `json:"message"`
	Resource Resource `json:"resource"`
	// Evidence holds the values the message rests on.
	Evidence map[string]any `json:"evidence,omitempty"`
	// Remediation is the exact command or manifest change that fixes it.
	Remediation string `json:"remediation"`
	Docs        string `json:"docs,omitempty"`
	// Fingerprint identifies the problem across runs: the same problem on
	// the same resource has the same fingerprint (see Fingerprint).
	Fingerprint string `json:"fingerprint"`
	// Status, set when the run is compared with a baseline, is "new" or
	// "ongoing".
	Status string `json:"status,omitempty"`
	// Impact, with --metrics, is the traffic of the load balancer the
	// finding's resource serves: whether it hurts users now.
	Impact *Impact `json:"impact,omitempty"`
	// Changes, with --changes, are the last changes to the finding's
	// resource and the load-balancing resources behind it, newest first.
	Changes []ChangeNote `json:"changes,omitempty"`
	// Key tells apart findings of one rule on one resource (the
	// BackendConfig name, the Ingress field, ...); it enters the
	// fingerprint, never the message.
	Key string `json:"-"`

	// AttachTo, when set, asks Run to fold this finding into another
	// rule's finding on the same resource, if there is one: its evidence
	// is added there under the reporting rule's ID, and it is not listed
	// on its own. A controller event that a configuration rule already
	// explains thus adds proof to that finding instead of a second row.
	AttachTo *Attachment `json:"-"`
	// AttachNote, for a finding folded into another, is appended to that
	// finding's message, so that the table shows the added proof too.
	AttachNote string `json:"-"`
	// ReportPassed, for a finding with AttachTo that no finding takes (a
	// second opinion, such as Network Analyzer's), asks Run to say which
	// rules its attachment names (Rule "" names none) judged their
	// resources and found no problem: in the message, and in the evidence
	// as "passedBy".
	ReportPassed bool `json:"-"`
}

// Impact is the traffic over the metrics window of the load-balancing
// resources a finding is about (summed when it is about several).
type Impact struct {
	// Window is the metrics window ("1h").
	Window string `json:"window"`
	// Resources are the resources whose traffic this is ("UrlMap NAME").
	Resources []string `json:"resources"`
	// RequestsPerSecond is the mean request rate over the window;
	// Requests and Errors5xx count the requests and the 5xx answers.
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	Requests          float64 `json:"requests"`
	Errors5xx         float64 `json:"errors5xx"`
	// Ratio5xx is Errors5xx / Requests (0 when idle).
	Ratio5xx float64 `json:"ratio5xx"`
	// P95LatencyMs is the highest 95th percentile of the backend latency
	// among the resources, when Monitoring had one.
	P95LatencyMs *float64 `json:"p95LatencyMs,omitempty"`
	// Idle is set when the resources served no request in the window.
	Idle bool `json:"idle"`
}

// ChangeNote is one change to a resource a finding names: from the Admin
// Activity audit logs (Compute Engine), or from an object's managedFields
// (Kubernetes).
type ChangeNote struct {
	At       time.Time `json:"at"`
	Resource string    `json:"resource"`
	// Method is the audit log's methodName, or, for a Kubernetes object,
	// its field manager's operation ("kubectl-client-side-apply Update").
	Method string `json:"method"`
	// By is the caller (its email's domain unless --show-principals),
	// or the Kubernetes field manager.
	By     string `json:"by,omitempty"`
	Failed bool   `json:"failed,omitempty"`
}

// rank orders findings of one severity: those on load balancers serving
// traffic first (by requests per second), then those whose traffic is
// unknown, then those on idle load balancers.
func (i *Impact) rank() float64 {
	switch {
	case i == nil:
		return 0
	case i.Idle:
		return -1
	}
	return 1 + i.RequestsPerSecond
}

// Attachment names the finding another finding belongs to; Or names
// others, tried in order when there is no such finding. Rule "" names the
// most severe finding on Resource, whatever its rule.
type Attachment struct {
	Rule     string
	Resource Resource
	Or       []Attachment
}

// Pass is one rule's view of a run.
type Pass struct {
	Inventory *inventory.Inventory
	rule      *Rule
	findings  []Finding
	skipped   []inventory.Coverage
	shared    *derivedSet

	// judged are the resources the rule judged, in order, with repeats, by
	// their number in shared.resources; lastJudged is the last of them.
	judged       []uint32
	lastJudged   Resource
	unknown      map[unknownRead]bool
	unknownOrder []unknownRead
	// captures collect the unknown reads met while derived data is built,
	// innermost last, so that every rule using the data counts them.
	captures [][]unknownRead
}

// derivedEntry is a built derived value and the unknown reads its build
// met.
type derivedEntry struct {
	value   any
	unknown []unknownRead
}

// Derived is data several rules compute from the inventory (an index, a
// graph), built once per run and shared by every rule that asks for it.
// Each is declared once, as a package-level value, so that two rules can
// neither collide on a key nor disagree on its type.
type Derived[T any] struct {
	name  string
	build func(p *Pass) T
}

// NewDerived declares derived data: build computes it from the pass's
// inventory (and other derived data); it must not report findings.
func NewDerived[T any](name string, build func(p *Pass) T) *Derived[T] {
	return &Derived[T]{name: name, build: build}
}

// Name is the derived data's name, for errors and profiles.
func (d *Derived[T]) Name() string { return d.name }

// Of returns the run's value, building it on first use. The reads its
// build found unknown count for every rule that uses it. Rules run side
// by side: the first to ask builds it, the others wait for it.
func (d *Derived[T]) Of(p *Pass) T {
	slot := p.shared.slot(d)
	slot.once.Do(func() {
		p.captures = append(p.captures, nil)
		n := len(p.captures) - 1
		defer func() {
			// A build that crashed crashes every rule that needs it, each
			// saying where, not just the first.
			if v := recover(); v != nil {
				slot.panicked = fmt.Sprintf("derived data %s panicked: %v\n%s", d.name, v, debug.Stack())
				p.captures = p.captures[:n]
			}
		}()
		v := d.build(p)
		slot.entry = derivedEntry{value: v, unknown: p.captures[n]}
		p.captures = p.captures[:n]
	})
	if slot.panicked != "" {
		panic(slot.panicked)
	}
	for _, u := range slot.entry.unknown {
		p.noteUnknown(u.source, u.scope)
	}
	return slot.entry.value.(T)
}

// derivedSet holds a run's derived data, for rules that run side by side.
type derivedSet struct {
	mu    sync.Mutex
	slots map[any]*derivedSlot
	// resources numbers the resources the rules judge.
	resources *resourceTable
}

// resourceTable numbers the resources the rules of a run judge, so that
// each rule keeps its verdicts as numbers: on a big project the rules
// judge hundreds of thousands of resources, most of them several times.
// It finds a resource by its hash (8 bytes a resource instead of the
// resource's 96 as a key); the few resources whose hash an earlier one
// has are found by value in more.
type resourceTable struct {
	mu   sync.Mutex
	ids  map[uint64]uint32
	more map[Resource]uint32
	all  []Resource
	seed maphash.Seed
	// hash is maphash.Comparable with seed; tests replace it to make
	// resources collide.
	hash func(maphash.Seed, Resource) uint64
}

// verdictFailed marks, in a rule's numbered verdict, that it failed.
const verdictFailed = 1 << 31

func newResourceTable(n int) *resourceTable {
	return &resourceTable{ids: make(map[uint64]uint32, n), all: make([]Resource, 0, n), seed: maphash.MakeSeed(), hash: maphash.Comparable[Resource]}
}

func (t *resourceTable) id(r Resource) uint32 {
	h := t.hash(t.seed, r)
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.ids[h]
	if ok && t.all[id] == r {
		return id
	}
	if ok {
		if id, ok := t.more[r]; ok {
			return id
		}
	}
	if uint64(len(t.all)) >= verdictFailed {
		panic("more than 2^31 resources judged")
	}
	id = uint32(len(t.all))
	t.all = append(t.all, r)
	if !ok {
		if t.ids == nil { // emptied when the rules were done
			t.ids = map[uint64]uint32{}
		}
		t.ids[h] = id
		return id
	}
	if t.more == nil {
		t.more = map[Resource]uint32{}
	}
	t.more[r] = id
	return id
}

type derivedSlot struct {
	once  sync.Once
	entry derivedEntry
	// panicked says how the build crashed.
	panicked string
}

func (s *derivedSet) slot(key any) *derivedSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots == nil {
		s.slots = map[any]*derivedSlot{}
	}
	sl, ok := s.slots[key]
	if !ok {
		sl = &derivedSlot{}
		s.slots[key] = sl
	}
	return sl
}

// CouldNotCheck records that the rule could not decide in scope, and why:
// a coverage entry (status unknown, a gap), not a finding.
func (p *Pass) CouldNotCheck(scope, reason, hint string) {
	p.skipped = append(p.skipped, inventory.Coverage{Source: inventory.Source("inspect." + p.rule.ID), Scope: scope,
		Status: inventory.StatusUnknown, Error: reason, Hint: hint})
}

// SkippedByRequest records that the rule did not run in scope because the
// user narrowed the run (--cluster, focus flags): status skipped, which does
// not make the run incomplete.
func (p *Pass) SkippedByRequest(scope, reason string) {
	p.skipped = append(p.skipped, inventory.Coverage{Source: inventory.Source("inspect." + p.rule.ID), Scope: scope,
		Status: inventory.StatusSkipped, Detail: reason})
}

// Report adds a finding; rule, title and docs come from the rule. Its
// severity is the rule's, unless the finding sets a lower one (a latent
// problem, a dead reference): a rule's severity is the most its findings
// can have.
func (p *Pass) Report(f Finding) {
	if f.Severity == 0 || f.Severity > p.rule.Severity {
		f.Severity = p.rule.Severity
	}
	f.Rule, f.Title, f.Docs = p.rule.ID, p.rule.Title, p.rule.Doc.URL
	p.findings = append(p.findings, f)
}

// Result is the outcome of running rules.
type Result struct {
	Findings []Finding
	// Failures are rules that crashed or could not decide, as coverage
	// entries: what they would have checked is unknown.
	Failures []inventory.Coverage
	// Checks say, per rule that ran, what it judged, passed and could
	// not check; Verdicts, each resource it judged and its verdict.
	Checks   []Check
	Verdicts []Verdict
}

// Run runs every rule over inv. A rule that panics is reported as a
// coverage failure; the others still run. Findings are sorted by severity
// (errors first), rule, and resource.
func Run(inv *inventory.Inventory, rules []*Rule) Result {
	var res Result
	// The rules judge about as many resources as the inventory holds
	// objects of the kinds they judge: sized once, the table is not
	// copied as it grows.
	shared := &derivedSet{resources: newResourceTable(objectCount(inv))}
	// The rules run side by side, one per CPU (they only read the
	// inventory); their results are joined in the rules' order, so the
	// result does not depend on which finished first.
	type outcome struct {
		ran      bool
		fs       []Finding
		skipped  []inventory.Coverage
		check    Check
		verdicts []uint32 // numbered, see resourceTable
		err      error
	}
	out := make([]outcome, len(rules))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				o := &out[i]
				o.ran = true
				o.fs, o.skipped, o.check, o.verdicts, o.err = runOne(inv, rules[i], shared)
			}
		}()
	}
	for i, r := range rules {
		if r.WholeProject && inv.Partial {
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	// Each rule's verdicts are joined once: appended rule by rule, the
	// slice would grow by doubling to hundreds of thousands on a big
	// project, copied at each step.
	var perRule [][]uint32
	var ruleOf []string
	total := 0
	for i := range out {
		total += len(out[i].fs)
	}
	res.Findings = make([]Finding, 0, total)
	for i, r := range rules {
		o := &out[i]
		if !o.ran {
			continue
		}
		res.Failures = append(res.Failures, o.skipped...)
		res.Checks = append(res.Checks, o.check)
		perRule, ruleOf = append(perRule, o.verdicts), append(ruleOf, r.ID)
		if o.err != nil {
			res.Failures = append(res.Failures, inventory.Coverage{
				Source: inventory.Source("inspect." + r.ID), Scope: inventory.ProjectScope(inv.Project),
				Status: inventory.StatusError, Error: o.err.Error(),
				Hint: "this rule crashed, so what it checks is unknown; this is a bug in lbdiag, please report it",
			})
			continue
		}
		res.Findings = append(res.Findings, o.fs...)
		*o = outcome{}
	}
	n := 0
	for _, v := range perRule {
		n += len(v)
	}
	if n > 0 {
		res.Verdicts = make([]Verdict, 0, n)
	}
	// The verdicts point into the table; its index is no longer needed.
	all := shared.resources.all
	shared.resources.ids, shared.resources.more = nil, nil
	for i, vs := range perRule {
		for _, v := range vs {
			res.Verdicts = append(res.Verdicts, Verdict{Rule: ruleOf[i], Resource: &all[v&^verdictFailed], Failed: v&verdictFailed != 0})
		}
		perRule[i] = nil
	}
	res.Findings = attach(res.Findings)
	reportPassed(res.Findings, res.Verdicts)
	SortFindings(res.Findings)
	SetFingerprints(res.Findings)
	return res
}

// Fingerprint is the first 16 hex digits of the SHA-256 of the rule ID,
// the resource's kind, project, location, cluster, namespace and name, and
// the finding's Key, joined by NUL. It does not hash the message, the
// evidence or the severity, which may change from run to run for the same
// problem.
func Fingerprint(f Finding) string {
	r := f.Resource
	sum := sha256.Sum256([]byte(strings.Join([]string{f.Rule, r.Kind, r.Project, r.Location, r.Cluster, r.Namespace, r.Name, f.Key}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// SetFingerprints sets every finding's fingerprint. Findings of one rule on
// one resource that no Key tells apart get "#2", "#3", ... in the order of
// their messages.
func SetFingerprints(fs []Finding) {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return fs[idx[a]].Message < fs[idx[b]].Message })
	seen := map[string]int{}
	for _, i := range idx {
		fp := Fingerprint(fs[i])
		seen[fp]++
		if n := seen[fp]; n > 1 {
			fs[i].Key += "#" + strconv.Itoa(n)
			fp = Fingerprint(fs[i])
		}
		fs[i].Fingerprint = fp
	}
}

// attach folds findings with AttachTo into the first finding of the rule
// and resource they name (Rule "": the most severe finding of another
// rule on the resource); those with no such finding stay as they are, and can then
// take others in turn: a symptom that found no cause stands, and the
// evidence meant for it (a backend-unhealthy finding, say, which folds
// into a firewall finding when there is one) reaches it.
func attach(fs []Finding) []Finding {
	key := func(rule string, r Resource) string {
		return strings.Join([]string{rule, r.Kind, r.Project, r.Location, r.Cluster, r.Namespace, r.Name}, "\x00")
	}
	index := map[string]int{}
	on := map[string][]int{} // every standing finding on a resource
	standing := func(i int) {
		if _, seen := index[key(fs[i].Rule, fs[i].Resource)]; !seen {
			index[key(fs[i].Rule, fs[i].Resource)] = i
		}
		on[key("", fs[i].Resource)] = append(on[key("", fs[i].Resource)], i)
	}
	for i := range fs {
		if fs[i].AttachTo == nil {
			standing(i)
		}
	}
	// target is the finding i folds into. A finding never folds into one
	// of its own rule: two second opinions on one resource are two rows,
	// not one agreeing with the other.
	target := func(i int) (int, bool) {
		a := fs[i].AttachTo
		for _, c := range append([]Attachment{{Rule: a.Rule, Resource: a.Resource}}, a.Or...) {
			if c.Rule == "" {
				best := -1
				for _, j := range on[key("", c.Resource)] {
					if j != i && fs[j].Rule != fs[i].Rule && (best < 0 || fs[j].Severity > fs[best].Severity) {
						best = j
					}
				}
				if best >= 0 {
					return best, true
				}
				continue
			}
			if j, ok := index[key(c.Rule, c.Resource)]; ok && j != i && fs[j].Rule != fs[i].Rule {
				return j, true
			}
		}
		return -1, false
	}
	into := make([]int, len(fs))
	for i := range into {
		into[i] = -1
	}
	// First against the findings that attach to nothing; then those that
	// found no target stand, and are tried again against each other.
	var unplaced []int
	for i := range fs {
		if fs[i].AttachTo == nil {
			continue
		}
		if j, ok := target(i); ok {
			into[i] = j
		} else {
			unplaced = append(unplaced, i)
		}
	}
	if len(unplaced) > 0 {
		index, on = map[string]int{}, map[string][]int{}
		for i := range fs {
			if into[i] < 0 {
				standing(i)
			}
		}
	}
	// A finding that takes another's evidence no longer moves, and one
	// that moved takes none.
	taken := make([]bool, len(fs))
	for _, i := range unplaced {
		if taken[i] {
			continue
		}
		if j, ok := target(i); ok && into[j] < 0 && fs[j].AttachTo != nil {
			into[i], taken[j] = j, true
		}
	}
	for i := range fs {
		j := into[i]
		if j < 0 {
			continue
		}
		if fs[i].AttachNote != "" {
			fs[j].Message += " — " + fs[i].AttachNote
		}
		// The row stands for both: an outage folded into a warning's
		// cause stays an error, for --fail-on and --min-severity too.
		fs[j].Severity = max(fs[j].Severity, fs[i].Severity)
		if fs[j].Evidence == nil {
			fs[j].Evidence = map[string]any{}
		}
		list, _ := fs[j].Evidence[fs[i].Rule].([]map[string]any)
		fs[j].Evidence[fs[i].Rule] = append(list, fs[i].Evidence)
	}
	out := make([]Finding, 0, len(fs))
	for i := range fs {
		if into[i] < 0 {
			out = append(out, fs[i])
		}
	}
	return out
}

func runOne(inv *inventory.Inventory, r *Rule, shared *derivedSet) (fs []Finding, skipped []inventory.Coverage, check Check, verdicts []uint32, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("rule %s panicked: %v\n%s", r.ID, v, debug.Stack())
			check = Check{Rule: r.ID, Severity: r.Severity, CouldNotCheck: 1,
				Reasons: []string{"the rule crashed: this is a bug in lbdiag"},
				Gaps:    []CheckGap{{Scope: inventory.ProjectScope(inv.Project), Reason: "the rule crashed"}}}
			verdicts = nil
		}
	}()
	p := &Pass{Inventory: inv, rule: r, shared: shared}
	r.Check(p)
	check, verdicts = p.account()
	return p.findings, p.skipped, check, verdicts, nil
}

// SortFindings orders findings by severity (most severe first), then
// impact (busiest load balancers first, idle ones last; see Impact), then
// rule and resource.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if ra, rb := a.Impact.rank(), b.Impact.rank(); ra != rb {
			return ra > rb
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		ka := []string{a.Resource.Project, a.Resource.Location, a.Resource.Cluster, a.Resource.Namespace, a.Resource.Kind, a.Resource.Name, a.Message}
		kb := []string{b.Resource.Project, b.Resource.Location, b.Resource.Cluster, b.Resource.Namespace, b.Resource.Kind, b.Resource.Name, b.Message}
		for k := range ka {
			if ka[k] != kb[k] {
				return ka[k] < kb[k]
			}
		}
		return false
	})
}

// maxPassedNamed bounds the passing rules a message names; the evidence
// lists them all.
const maxPassedNamed = 3

// reportPassed tells, on each finding that asked (ReportPassed) and that
// no other finding took, which rules its attachment names judged their
// resources and passed them: where lbdiag disagrees with a second
// opinion, rather than did not look.
func reportPassed(fs []Finding, verdicts []Verdict) {
	type judged struct {
		rule string
		res  Resource
	}
	var passes map[judged]bool // built once, when a finding asks
	for i := range fs {
		f := &fs[i]
		if !f.ReportPassed || f.AttachTo == nil {
			continue
		}
		if passes == nil {
			passes = map[judged]bool{}
			for _, v := range verdicts {
				if !v.Failed {
					passes[judged{v.Rule, *v.Resource}] = true
				}
			}
		}
		var passed []string
		seen := map[string]bool{}
		for _, c := range append([]Attachment{{Rule: f.AttachTo.Rule, Resource: f.AttachTo.Resource}}, f.AttachTo.Or...) {
			if c.Rule == "" || !passes[judged{c.Rule, c.Resource}] {
				continue
			}
			p := c.Rule + " (" + c.Resource.String() + ")"
			if !seen[p] {
				seen[p] = true
				passed = append(passed, p)
			}
		}
		if len(passed) == 0 {
			continue
		}
		named := passed
		if len(named) > maxPassedNamed {
			named = append(append([]string(nil), named[:maxPassedNamed]...), fmt.Sprintf("%d more", len(passed)-maxPassedNamed))
		}
		f.Message += "; lbdiag checked it and found no problem: " + strings.Join(named, ", ")
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		f.Evidence["passedBy"] = passed
	}
}

// objectCount is how many objects the inventory holds of the kinds rules
// judge one by one: every slice of its Compute Engine lists and of its
// clusters, but for the kinds read only to judge others (a project with
// many VMs, a cluster with many events, would size the table for
// nothing).
func objectCount(inv *inventory.Inventory) int {
	n := lens(reflect.ValueOf(inv.Compute))
	for _, cl := range inv.Clusters {
		n += lens(reflect.ValueOf(cl).Elem())
	}
	return n
}

// notJudgedOneByOne are the inventory's lists of objects that rules read
// to judge other objects.
var notJudgedOneByOne = map[string]bool{"Instances": true, "Regions": true, "Networks": true,
	"Events": true, "EndpointSlices": true, "Nodes": true, "Namespaces": true, "GatedPods": true}

// lens sums the lengths of a struct's slice fields.
func lens(v reflect.Value) int {
	n := 0
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Slice && !notJudgedOneByOne[v.Type().Field(i).Name] {
			n += f.Len()
		}
	}
	return n
}
