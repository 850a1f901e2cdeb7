package gke

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// The rules read the same annotations and descriptions many times per run
// (every rule that follows a Service to its NEGs parses its neg-status).
// decodeJSON remembers each decoded text, by its kind and bytes: the same
// text always decodes the same. The memo is bounded; past memoLimit
// entries it starts over.
const memoLimit = 1 << 18

var (
	memo     sync.Map
	memoSize atomic.Int64
)

// memoKey holds the text itself, not a copy: the text is a field of an
// object the inventory keeps (a description, an annotation).
type memoKey struct{ kind, raw string }

type memoEntry[T any] struct {
	v   T
	err error
}

// decodeJSON decodes raw into a T, once per distinct (kind, raw). Callers
// must not modify what it returns.
func decodeJSON[T any](kind, raw string) (T, error) {
	key := memoKey{kind, raw}
	if e, ok := memo.Load(key); ok {
		m := e.(memoEntry[T])
		return m.v, m.err
	}
	var v T
	err := json.Unmarshal([]byte(raw), &v)
	if memoSize.Add(1) > memoLimit {
		memo.Clear()
		memoSize.Store(0)
	}
	memo.Store(key, memoEntry[T]{v: v, err: err})
	return v, err
}

// DecodeJSON decodes raw into out through the memo; false when it does not
// decode.
func DecodeJSON[T any](kind, raw string, out *T) bool {
	v, err := decodeJSON[T](kind, raw)
	if err != nil {
		return false
	}
	*out = v
	return true
}
