package recording

import (
	"bytes"
	"slices"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// redactSpliced redacts an answer as decodeRedacted and an encoder would,
// but decodes only the objects redaction acts on (a container, an
// annotations map, an event) and copies every other byte as it is: a page
// of Deployments or Services is mostly names, selectors and ports that no
// rule of redaction touches. The result decodes to the same value; only
// key order and string escapes may differ inside the objects it decoded.
// An object with a key twice is decoded whole, as the slow way reads it
// (the last one wins): copied, both would reach the typed decoders, which
// merge them.
//
// ok is false when body is not a single JSON value with nothing after it
// but space, or when anything in it is not as this reading expects; the
// caller then redacts it the slow way, which decides.
func redactSpliced(body []byte) ([]byte, bool) {
	s := splicer{in: body, out: make([]byte, 0, len(body))}
	i, ok := s.value(s.space(0), "")
	if !ok || s.space(i) != len(body) {
		return nil, false
	}
	return s.out, true
}

type splicer struct {
	in, out []byte
	// depth is how many objects and arrays enclose the value being read.
	depth int
	// redone counts the bytes of objects copied and then decoded again,
	// when what redaction acts on came after their first members: past
	// the answer's size (nested late triggers) the slow path, linear,
	// takes the answer instead.
	redone int
}

// maxSpliceDepth is encoding/json's limit on nesting, past which its
// decoder refuses a body.
const maxSpliceDepth = 10000

// actsOnKey are the keys under which redactObject changes an object
// whatever it holds.
var actsOnKey = map[string]bool{
	"preStop": true, "postStart": true, "livenessProbe": true, "readinessProbe": true, "startupProbe": true,
	"annotations": true, "nodeConfig": true, "config": true, "nodeConfigDefaults": true, "masterAuth": true,
}

// actsOnMember are the members whose presence makes redactObject change
// their object (data, a container's command, a log entry, an event), or
// redactValue change their value (env values, header values).
var actsOnMember = map[string]bool{
	"data": true, "stringData": true, "binaryData": true, "image": true, "logName": true, "involvedObject": true,
	"env": true, "customRequestHeaders": true, "customResponseHeaders": true, "headers": true, "httpHeaders": true,
}

// value copies or redacts the value at i, which redactValue would reach
// under key, and returns where it ends.
func (s *splicer) value(i int, key string) (int, bool) {
	if i >= len(s.in) {
		return 0, false
	}
	switch s.in[i] {
	case '{', '[':
		if s.depth++; s.depth > maxSpliceDepth {
			return 0, false
		}
		defer func() { s.depth-- }()
	}
	switch s.in[i] {
	case '{':
		return s.object(i, key)
	case '[':
		s.out = append(s.out, '[')
		i = s.space(i + 1)
		if i < len(s.in) && s.in[i] == ']' {
			s.out = append(s.out, ']')
			return i + 1, true
		}
		for {
			end, ok := s.value(i, key)
			if !ok {
				return 0, false
			}
			var done bool
			if i, done, ok = s.after(end, ']'); !ok || done {
				return i, ok
			}
		}
	default:
		end, ok := scalarEnd(s.in, i)
		if !ok {
			return 0, false
		}
		s.out = append(s.out, s.in[i:end]...)
		return end, true
	}
}

// object copies the object at i member by member, unless redaction acts
// on it: then it decodes it whole, redacts it and encodes it again.
func (s *splicer) object(start int, key string) (int, bool) {
	if actsOnKey[key] {
		return s.redact(start, key)
	}
	mark := len(s.out)
	s.out = append(s.out, '{')
	var names keySet // the members' keys so far
	i := s.space(start + 1)
	if i < len(s.in) && s.in[i] == '}' {
		s.out = append(s.out, '}')
		return i + 1, true
	}
	for {
		if i >= len(s.in) || s.in[i] != '"' {
			return 0, false
		}
		kend, ok := stringEnd(s.in, i)
		if !ok {
			return 0, false
		}
		raw := s.in[i+1 : kend-1]
		name := string(raw)
		// A key spelled with escapes may be any of them.
		if bytes.IndexByte(raw, '\\') >= 0 || actsOnMember[name] || names.repeats(name) {
			s.out = s.out[:mark]
			return s.redo(start, i, key)
		}
		c := s.space(kend)
		if c >= len(s.in) || s.in[c] != ':' {
			return 0, false
		}
		v := s.space(c + 1)
		// Compute Engine metadata: its items' values go.
		if name == "kind" && v < len(s.in) && s.in[v] == '"' {
			vend, ok := stringEnd(s.in, v)
			if !ok {
				return 0, false
			}
			if lit := s.in[v+1 : vend-1]; string(lit) == "compute#metadata" || bytes.IndexByte(lit, '\\') >= 0 {
				s.out = s.out[:mark]
				return s.redo(start, i, key)
			}
		}
		s.out = append(s.out, s.in[i:kend]...)
		s.out = append(s.out, ':')
		end, ok := s.value(v, name)
		if !ok {
			return 0, false
		}
		var done bool
		if i, done, ok = s.after(end, '}'); !ok || done {
			return i, ok
		}
	}
}

// after copies the comma or the closing bracket that follows an element
// or member ending at end; done is true at the closing bracket, and i is
// where the next element or what follows the container starts.
func (s *splicer) after(end int, closer byte) (i int, done, ok bool) {
	i = s.space(end)
	if i >= len(s.in) {
		return 0, false, false
	}
	switch s.in[i] {
	case ',':
		s.out = append(s.out, ',')
		return s.space(i + 1), false, true
	case closer:
		s.out = append(s.out, closer)
		return i + 1, true, true
	}
	return 0, false, false
}

// redo decodes the object at start whole, having copied it up to i.
func (s *splicer) redo(start, i int, key string) (int, bool) {
	if s.redone += i - start; s.redone > len(s.in) {
		return 0, false
	}
	return s.redact(start, key)
}

// keySet is the keys of an object's members so far: a list for the few
// most objects have, a map past them (a labels map may hold thousands).
type keySet struct {
	list []string
	set  map[string]bool
}

// repeats reports whether name came before, and adds it.
func (k *keySet) repeats(name string) bool {
	if k.set != nil {
		if k.set[name] {
			return true
		}
		k.set[name] = true
		return false
	}
	if slices.Contains(k.list, name) {
		return true
	}
	if k.list = append(k.list, name); len(k.list) > 16 {
		k.set = make(map[string]bool, 2*len(k.list))
		for _, n := range k.list {
			k.set[n] = true
		}
	}
	return false
}

// redact decodes the object at start, redacts it as redactObject does
// under key, and appends its encoding.
func (s *splicer) redact(start int, key string) (int, bool) {
	end, depth, ok := valueEnd(s.in, start)
	// The decoder counts its nesting from the object: the whole answer's
	// must stay within its limit too.
	if !ok || s.depth-1+depth > maxSpliceDepth {
		return 0, false
	}
	v, err := decodeNumbers(s.in[start:end])
	m, isObject := v.(map[string]any)
	if err != nil || !isObject {
		return 0, false
	}
	out, ok := untrusted.AppendJSON(s.out, redactObject(m, key))
	if !ok {
		return 0, false
	}
	s.out = out
	return end, true
}

func (s *splicer) space(i int) int {
	for i < len(s.in) && (s.in[i] == ' ' || s.in[i] == '\t' || s.in[i] == '\n' || s.in[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns where the value at i ends and how deep it nests,
// checking only that its brackets and strings close; the decoder checks
// the rest.
func valueEnd(b []byte, i int) (end, deepest int, ok bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			e, ok := stringEnd(b, i)
			if !ok {
				return 0, 0, false
			}
			i = e
			if depth == 0 {
				return i, deepest, true
			}
			continue
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
			if depth < 0 {
				return 0, 0, false
			}
			if depth == 0 {
				return i + 1, deepest, true
			}
		}
		i++
	}
	return 0, 0, false
}

// stringEnd returns where the string whose quote is at i ends, after its
// closing quote. A control character in it is not JSON.
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c == '\\':
			j++
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// scalarEnd returns where the string, number, true, false or null at i
// ends, when it is one.
func scalarEnd(b []byte, i int) (int, bool) {
	switch c := b[i]; {
	case c == '"':
		end, ok := stringEnd(b, i)
		if !ok {
			return 0, false
		}
		// Its escapes must be JSON's.
		for j := i + 1; j < end-1; j++ {
			if b[j] != '\\' {
				continue
			}
			j++
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= end-1 || !isHex(b[j+1:j+5]) {
					return 0, false
				}
				j += 4
			default:
				return 0, false
			}
		}
		return end, true
	case c == 't' && bytes.HasPrefix(b[i:], []byte("true")):
		return i + 4, true
	case c == 'f' && bytes.HasPrefix(b[i:], []byte("false")):
		return i + 5, true
	case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
		return i + 4, true
	case c == '-' || (c >= '0' && c <= '9'):
		return numberEnd(b, i)
	}
	return 0, false
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(b) == 4
}

// numberEnd returns where the JSON number at i ends: -?(0|[1-9][0-9]*)
// (.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	// A number is followed by a delimiter, space or the end.
	if i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return 0, false
		}
	}
	return i, true
}
