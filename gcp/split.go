package gcp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
)

// listFunc reads one page of a Compute Engine list: the page at token
// ("" for the first) of the items filter keeps ("" for all).
type listFunc[P any] func(ctx context.Context, s *compute.Service, project, filter, token string) (P, error)

// listCall is a Compute Engine list call: it takes a filter and a page
// token.
type listCall[C any] interface {
	PageToken(string) C
	Filter(string) C
}

// page sets the filter and the page token of a list call. The first page
// carries no pageToken, and an unfiltered list no filter.
func page[C listCall[C]](call C, filter, token string) C {
	if filter != "" {
		call = call.Filter(filter)
	}
	if token != "" {
		call = call.PageToken(token)
	}
	return call
}

// A long list is one chain of pages, each request waiting for the page
// before it: 40 pages of network endpoint groups at half a second a page
// are 20 seconds. listSplit reads such a list as namePieces side by side.
//
// splitAfter is how many pages of a list are read as one chain before it
// is split: a list of at most splitAfter pages (1,000 items) costs what
// it always did, and a longer one costs the splitAfter pages read first
// again, plus a last, partial page per piece. Compute Engine counts a
// filtered list's items that the filter drops against a separate quota
// (about 750,000 a minute per project); a split list of N items costs
// about 8 × N of it.
const splitAfter = 2

// namePieces partition every name by its last character: each piece
// keeps the names that end in two of the 16 hexadecimal digits (GKE's
// names end in a hash, so its objects spread evenly), and the last keeps
// every name the others do not. Whatever a name is, exactly one piece
// keeps it: the split can miss nothing, and it reads nothing twice. The
// filters are Compute Engine's regular-expression form: "eq" and "ne"
// with an RE2 expression that must match the whole name.
var namePieces = []string{
	`name eq ".*[01]"`, `name eq ".*[23]"`, `name eq ".*[45]"`, `name eq ".*[67]"`,
	`name eq ".*[89]"`, `name eq ".*[ab]"`, `name eq ".*[cd]"`, `name eq ".*[ef]"`,
	`name ne ".*[0-9a-f]"`,
}

// NameFilters are the filters a long list is split by, in order: a
// server that answers the split (the scale benchmark's fake) can prepare
// them.
func NameFilters() []string { return slices.Clone(namePieces) }

// maxRestarts bounds how many times a chain starts again from its first
// page after the API refused a page token as invalid or expired.
const maxRestarts = 2

// chain is one chain of pages of a list (one filter), read from its first
// page: its items, each once, and the page tokens it has followed.
type chain[T any] struct {
	filter   string
	items    []T
	seen     map[string]bool
	guard    pageGuard
	pages    int
	restarts int
}

func newChain[T any](filter string) *chain[T] {
	return &chain[T]{filter: filter, seen: map[string]bool{}}
}

// read follows the chain from token until it ends, or until it has read
// stopAfter pages in all (0: no bound), and returns the token of the page
// to read next ("" when the list ended). An item the chain already holds
// (by selfLink) is not added again: an item created while the chain was
// read can shift the pages under it. A page token the API refuses as
// invalid or expired starts the chain again from its first page, with
// nothing kept, at most maxRestarts times.
func (c *chain[T]) read(ctx context.Context, s *compute.Service, project string, list listFunc[any], ingest func(any) []T, token string, stopAfter int) (string, error) {
	for {
		p, err := list(ctx, s, project, c.filter, token)
		if err != nil {
			if token != "" && invalidPageToken(err) && c.restarts < maxRestarts {
				c.restarts++
				c.items, c.pages, c.guard = nil, 0, pageGuard{}
				clear(c.seen)
				token = ""
				continue
			}
			return "", err
		}
		c.pages++
		for _, it := range ingest(p) {
			if k := selfLinkOf(it); k != "" {
				if c.seen[k] {
					continue
				}
				c.seen[k] = true
			}
			c.items = append(c.items, it)
		}
		token = nextPageToken(p)
		if token == "" {
			return "", nil
		}
		if err := c.guard.next(token); err != nil {
			return "", err
		}
		if stopAfter > 0 && c.pages >= stopAfter {
			return token, nil
		}
	}
}

// listAll reads every page of a list as one chain, with filter. A
// repeated page token or more than maxComputePages pages stop it with an
// error (pageGuard).
func listAll[P any, T any](ctx context.Context, s *compute.Service, project, filter string, list listFunc[P], ingest func(P) []T) ([]T, error) {
	c := newChain[T](filter)
	_, err := c.read(ctx, s, project, anyList(list), anyIngest(ingest), "", 0)
	return c.items, err
}

// listSplit reads every item of a list. A list still going after
// splitAfter pages is read again as namePieces side by side; should a
// piece fail (an API that refuses the filter, a recording made without
// the split), the first chain goes on from where it stopped instead.
func listSplit[P any, T any](ctx context.Context, s *compute.Service, project string, list listFunc[P], ingest func(P) []T) ([]T, error) {
	l, in := anyList(list), anyIngest(ingest)
	first := newChain[T]("")
	token, err := first.read(ctx, s, project, l, in, "", splitAfter)
	if err != nil || token == "" {
		return first.items, err
	}
	if items, err := readPieces(ctx, s, project, l, in); err == nil {
		return items, nil
	} else if ctx.Err() != nil {
		return first.items, err
	}
	_, err = first.read(ctx, s, project, l, in, token, 0)
	return first.items, err
}

// readPieces reads the namePieces of a list side by side and joins them.
func readPieces[T any](ctx context.Context, s *compute.Service, project string, list listFunc[any], ingest func(any) []T) ([]T, error) {
	g, gctx := errgroup.WithContext(ctx)
	pieces := make([]*chain[T], len(namePieces))
	for i, f := range namePieces {
		pieces[i] = newChain[T](f)
		g.Go(func() error {
			_, err := pieces[i].read(gctx, s, project, list, ingest, "", 0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The pieces are disjoint: an item's name puts it in one of them.
	var out []T
	for _, p := range pieces {
		out = append(out, p.items...)
	}
	return out, nil
}

func anyList[P any](list listFunc[P]) listFunc[any] {
	return func(ctx context.Context, s *compute.Service, project, filter, token string) (any, error) {
		return list(ctx, s, project, filter, token)
	}
}

func anyIngest[P any, T any](ingest func(P) []T) func(any) []T {
	return func(p any) []T { return ingest(p.(P)) }
}

// invalidPageToken reports whether the API refused a request's page
// token: one that expired, or that the list no longer knows.
func invalidPageToken(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusBadRequest {
		return false
	}
	text := ge.Message
	for _, e := range ge.Errors {
		text += " " + e.Message
	}
	text = strings.ToLower(text)
	return strings.Contains(text, "pagetoken") || strings.Contains(text, "page token")
}
