package gcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/lbdiag/lbdiag/gcp/recording"
)

// negLister serves networkEndpointGroups.aggregatedList as Compute Engine
// does: 500 items a page at most, in name order within each zone, zones in
// order; a filter of the regular-expression form ("name eq RE", "name ne
// RE": RE must match the whole name); an opaque page token that carries
// the filter and where the next page starts. Hooks change the list under
// a reader, or refuse a page token as expired.
type negLister struct {
	mu    sync.Mutex
	items []negItem
	// requests counts every request; filtered those with a filter.
	requests, filtered int
	// refuseFilter answers every filtered request 400, as an API that
	// does not take the regular-expression form would.
	refuseFilter bool
	// beforePage runs before a page with a token is served, with the
	// request's filter and the count of such pages served before; true
	// refuses the token as expired.
	beforePage     func(l *negLister, filter string, n int) (expire bool)
	pagesWithToken int
}

type negItem struct{ zone, name string }

func (it negItem) selfLink() string {
	return "https://www.googleapis.com/compute/v1/projects/p/zones/" + it.zone + "/networkEndpointGroups/" + it.name
}

func (l *negLister) add(zone, name string) { l.items = append(l.items, negItem{zone, name}) }

var filterForm = regexp.MustCompile(`^name (eq|ne) "(.*)"$`)

func (l *negLister) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	q := r.URL.Query()
	filter := q.Get("filter")
	keep := func(string) bool { return true }
	if filter != "" {
		l.filtered++
		m := filterForm.FindStringSubmatch(filter)
		if l.refuseFilter || m == nil {
			computeError(w, "Invalid value for field 'filter': '"+filter+"'. Invalid list filter expression.")
			return
		}
		re := regexp.MustCompile("^(?:" + m[2] + ")$")
		keep = func(name string) bool { return re.MatchString(name) == (m[1] == "eq") }
	}
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		f, at, ok := strings.Cut(string(raw), "|")
		n, aerr := strconv.Atoi(at)
		if err != nil || !ok || aerr != nil || f != filter {
			computeError(w, "Invalid value for field 'pageToken': '"+tok+"'. Invalid page token.")
			return
		}
		if l.beforePage != nil && l.beforePage(l, filter, l.pagesWithToken) {
			l.pagesWithToken++
			computeError(w, "Invalid value for field 'pageToken': '"+tok+"'. The page token has expired.")
			return
		}
		l.pagesWithToken++
		start = n
	}
	var all []negItem
	for _, it := range l.items {
		if keep(it.name) {
			all = append(all, it)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].zone != all[j].zone {
			return all[i].zone < all[j].zone
		}
		return all[i].name < all[j].name
	})
	end := min(start+500, len(all))
	items := map[string]any{}
	for _, it := range all[min(start, end):end] {
		scope := "zones/" + it.zone
		s, _ := items[scope].(map[string]any)
		if s == nil {
			s = map[string]any{"networkEndpointGroups": []any{}}
			items[scope] = s
		}
		s["networkEndpointGroups"] = append(s["networkEndpointGroups"].([]any), map[string]any{
			"kind": "compute#networkEndpointGroup", "name": it.name, "networkEndpointType": "GCE_VM_IP_PORT",
			"zone": "https://www.googleapis.com/compute/v1/projects/p/zones/" + it.zone, "selfLink": it.selfLink()})
	}
	body := map[string]any{"kind": "compute#networkEndpointGroupAggregatedList", "items": items}
	if end < len(all) {
		body["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte(filter + "|" + strconv.Itoa(end)))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(body)
}

// computeError writes a 400 as Compute Engine does.
func computeError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 400, "message": msg,
		"errors": []any{map[string]any{"message": msg, "domain": "global", "reason": "invalid"}}}})
}

var negTask = func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.NetworkEndpointGroupAggregatedList, error) {
	return page(s.NetworkEndpointGroups.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
}

// listNEGs lists l's NEGs with listSplit through the real client library.
func listNEGs(t *testing.T, l *negLister) ([]*compute.NetworkEndpointGroup, error) {
	t.Helper()
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	svc, err := compute.NewService(context.Background(), option.WithEndpoint(srv.URL+"/compute/v1/"), option.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return listSplit(context.Background(), svc, "p", negTask, IngestNEGs)
}

// gkeNames are n NEG names as GKE writes them (ending in a hash), and a
// few that end in a letter past f or in a digit the hash never gives.
func gkeNames(n int) []negItem {
	var out []negItem
	for i := range n {
		out = append(out, negItem{[]string{"us-central1-a", "us-central1-b", "europe-west4-b"}[i%3],
			fmt.Sprintf("k8s1-0a1b2c3d-team-%d-app-%d-80-%s", i%50, i, hash8(fmt.Sprint(i)))})
	}
	return append(out, negItem{"us-central1-a", "manual-neg"}, negItem{"asia-east1-a", "legacy-z"}, negItem{"us-east1-b", "x9"})
}

func hash8(s string) string {
	h := uint32(2166136261)
	for _, c := range []byte(s) {
		h = (h ^ uint32(c)) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

// exactlyOnce checks that got holds each of want once and nothing else.
func exactlyOnce(t *testing.T, got []*compute.NetworkEndpointGroup, want []negItem) {
	t.Helper()
	count := map[string]int{}
	for _, n := range got {
		count[n.SelfLink]++
	}
	for _, it := range want {
		if count[it.selfLink()] != 1 {
			t.Errorf("%s read %d times", it.name, count[it.selfLink()])
		}
		delete(count, it.selfLink())
	}
	for link, n := range count {
		t.Errorf("%s read %d times, and it is not in the list", link, n)
	}
}

// TestListSplitSmallList: a list of at most splitAfter pages costs one
// request a page, unfiltered, as before.
func TestListSplitSmallList(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 3, 497, 997} { // 3 more names than n
		l := &negLister{items: gkeNames(n)}
		got, err := listNEGs(t, l)
		if err != nil {
			t.Fatal(err)
		}
		exactlyOnce(t, got, l.items)
		if want := max(1, (len(l.items)+499)/500); l.requests != want || l.filtered != 0 {
			t.Errorf("%d items: %d requests (%d filtered), want %d unfiltered", len(l.items), l.requests, l.filtered, want)
		}
	}
}

// TestListSplitLongList: a longer list is read as namePieces side by
// side, and every item, whatever its name ends in, is read once.
func TestListSplitLongList(t *testing.T) {
	t.Parallel()
	l := &negLister{items: gkeNames(9000)}
	got, err := listNEGs(t, l)
	if err != nil {
		t.Fatal(err)
	}
	exactlyOnce(t, got, l.items)
	// 2 unfiltered pages, then each piece: about 1,000 names a hexadecimal
	// piece (2 or 3 pages), the 3 other names in the last.
	if l.filtered < len(namePieces) || l.requests-l.filtered != splitAfter {
		t.Errorf("%d requests, %d filtered: want %d unfiltered, then every piece", l.requests, l.filtered, splitAfter)
	}
	if unsplit := (len(l.items) + 499) / 500; l.requests > unsplit+splitAfter+len(namePieces) {
		t.Errorf("%d requests, more than the %d pages of the list plus %d first pages and one partial page a piece", l.requests, unsplit, splitAfter)
	}
}

// TestListSplitChangesUnderneath: NEGs created while a piece is read
// shift its pages; none is read twice, and those that were there all
// along are all read.
func TestListSplitChangesUnderneath(t *testing.T) {
	t.Parallel()
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprint("refuseFilter=", refuse), func(t *testing.T) { changesUnderneath(t, refuse) })
	}
}

// changesUnderneath lists while NEGs are created, split or (refuse) as
// one chain.
func changesUnderneath(t *testing.T, refuse bool) {
	l := &negLister{items: gkeNames(4000), refuseFilter: refuse}
	before := append([]negItem(nil), l.items...)
	added := 0
	l.beforePage = func(l *negLister, filter string, n int) bool {
		// Before every second page: a NEG that sorts first in its zone
		// and ends in 0 (the first piece), or in z (the last): the page
		// the reader asks for now starts one item earlier than it did.
		if n%2 == 0 {
			added++
			l.add("us-central1-a", fmt.Sprintf("a-new-%d-%s", added, []string{"0", "z"}[added%2]))
		}
		return false
	}
	got, err := listNEGs(t, l)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range got {
		count[n.SelfLink]++
	}
	for link, n := range count {
		if n != 1 {
			t.Errorf("%s read %d times", link, n)
		}
	}
	for _, it := range before {
		if count[it.selfLink()] != 1 {
			t.Errorf("%s, there all along, read %d times", it.name, count[it.selfLink()])
		}
	}
	if added == 0 {
		t.Fatal("nothing was added: the test tests nothing")
	}
}

// TestListSplitExpiredToken: a page token the API refuses as expired
// starts that chain again from its first page, with nothing kept twice;
// in the first chain and in a piece alike.
func TestListSplitExpiredToken(t *testing.T) {
	t.Parallel()
	for name, expire := range map[string]func(filter string, n int) bool{
		"first chain": func(filter string, n int) bool { return filter == "" && n == 0 },
		"piece":       func(filter string, n int) bool { return filter == namePieces[0] },
	} {
		t.Run(name, func(t *testing.T) {
			l := &negLister{items: gkeNames(6000)}
			expired := 0
			l.beforePage = func(_ *negLister, filter string, n int) bool {
				if expired < 1 && expire(filter, n) {
					expired++
					return true
				}
				return false
			}
			got, err := listNEGs(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if expired != 1 {
				t.Fatalf("%d tokens expired, want 1", expired)
			}
			exactlyOnce(t, got, l.items)
		})
	}
	// A token that keeps expiring ends the list with the API's error, not
	// in a loop.
	l := &negLister{items: gkeNames(1200)}
	l.beforePage = func(*negLister, string, int) bool { return true }
	if _, err := listNEGs(t, l); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("err = %v, want the API's expired token", err)
	}
	// Each try: the first page, then the refused second one.
	if want := (1 + maxRestarts) * 2; l.requests != want {
		t.Errorf("%d requests, want %d", l.requests, want)
	}
}

// TestListSplitFilterRefused: an API that refuses the pieces' filter gets
// the list read as one chain, from where it stopped.
func TestListSplitFilterRefused(t *testing.T) {
	t.Parallel()
	l := &negLister{items: gkeNames(3000), refuseFilter: true}
	got, err := listNEGs(t, l)
	if err != nil {
		t.Fatal(err)
	}
	exactlyOnce(t, got, l.items)
	if unfiltered, pages := l.requests-l.filtered, (len(l.items)+499)/500; unfiltered != pages {
		t.Errorf("%d unfiltered requests, want the list's %d pages, none read twice", unfiltered, pages)
	}
}

// TestNamePiecesPartition: every name Compute Engine allows, and any
// other, is kept by exactly one piece.
func TestNamePiecesPartition(t *testing.T) {
	t.Parallel()
	var res []func(string) bool
	for _, p := range namePieces {
		m := filterForm.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("piece %q is not of the form name eq|ne \"RE\"", p)
		}
		re := regexp.MustCompile("^(?:" + m[2] + ")$")
		eq := m[1] == "eq"
		res = append(res, func(s string) bool { return re.MatchString(s) == eq })
	}
	names := []string{"a", "z", "k8s1-0a1b2c3d-x-80-0", "fw-9", "g", "-", "A", "x.y", "é", "abc_"}
	for c := 0; c < 128; c++ {
		names = append(names, "n"+string(rune(c)))
	}
	for _, n := range names {
		kept := 0
		for _, keep := range res {
			if keep(n) {
				kept++
			}
		}
		if kept != 1 {
			t.Errorf("%q is kept by %d pieces", n, kept)
		}
	}
}

// TestListSplitReplaysAnUnsplitRecording: a recording made before lists
// were split holds the list's pages as one chain; replayed, every piece
// is "not recorded" and the chain goes on from its second page.
func TestListSplitReplaysAnUnsplitRecording(t *testing.T) {
	t.Parallel()
	page := func(from, to int, next string) string {
		var negs []string
		for i := from; i < to; i++ {
			negs = append(negs, fmt.Sprintf(`{"kind":"compute#networkEndpointGroup","name":"neg-%d","selfLink":"https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/networkEndpointGroups/neg-%d"}`, i, i))
		}
		body := `{"kind":"compute#networkEndpointGroupAggregatedList","items":{"zones/us-central1-a":{"networkEndpointGroups":[` + strings.Join(negs, ",") + `]}}`
		if next != "" {
			body += `,"nextPageToken":"` + next + `"`
		}
		return body + "}"
	}
	path := "/compute/v1/projects/p/aggregated/networkEndpointGroups"
	rec := recordingOf(t, "p", map[recording.Exchange]string{
		get("compute", path, "maxResults=500", 200):              page(0, 500, "t1"),
		get("compute", path, "maxResults=500&pageToken=t1", 200): page(500, 1000, "t2"),
		get("compute", path, "maxResults=500&pageToken=t2", 200): page(1000, 1200, ""),
	})
	svc, err := compute.NewService(context.Background(), option.WithEndpoint("https://compute.googleapis.com/compute/v1/"),
		option.WithHTTPClient(&http.Client{Transport: rec.Transport("compute")}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := listSplit(context.Background(), svc, "p", negTask, IngestNEGs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[n.Name] {
			t.Errorf("%s read twice", n.Name)
		}
		seen[n.Name] = true
	}
	if len(seen) != 1200 {
		t.Errorf("%d NEGs read, want the recording's 1,200", len(seen))
	}
}
