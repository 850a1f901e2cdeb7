package fakelogging

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed Logging query: the boolean operators AND, OR and NOT,
// parentheses, implicit AND between terms, comparisons
// (=, !=, <, <=, >, >=, :, and the RE2 matches =~ and !~) of a field path
// with a value or with a
// parenthesised OR of values ("field=(a OR b)"), and presence
// ("field:*"). Timestamps compare as times, numbers as numbers.
type Expr struct {
	op          string // "and", "or", "not", "cmp"
	left, right *Expr
	field, cmp  string
	values      []string
}

// Parse parses a filter; "" is nil (every entry).
func Parse(filter string) (*Expr, error) {
	toks, err := tokenize(filter)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i].text)
	}
	return e, nil
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, token{text: b.String(), quoted: true})
			i = j + 1
		case strings.ContainsRune("()", rune(c)):
			out = append(out, token{text: string(c)})
			i++
		case strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], "!=") ||
			strings.HasPrefix(s[i:], "=~") || strings.HasPrefix(s[i:], "!~"):
			out = append(out, token{text: s[i : i+2]})
			i += 2
		case strings.ContainsRune("=<>:", rune(c)):
			out = append(out, token{text: string(c)})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()=<>:!\"", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func (p *parser) keyword(k string) bool {
	if t, ok := p.peek(); ok && !t.quoted && t.text == k {
		p.i++
		return true
	}
	return false
}

func (p *parser) or() (*Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Expr{op: "or", left: l, right: r}
	}
	return l, nil
}

func (p *parser) and() (*Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok || (!t.quoted && (t.text == "OR" || t.text == ")")) {
			return l, nil
		}
		p.keyword("AND")
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Expr{op: "and", left: l, right: r}
	}
}

func (p *parser) unary() (*Expr, error) {
	if p.keyword("NOT") {
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{op: "not", left: e}, nil
	}
	if p.keyword("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, fmt.Errorf("missing )")
		}
		return e, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (*Expr, error) {
	f, ok := p.peek()
	if !ok || f.quoted {
		return nil, fmt.Errorf("expected a field")
	}
	p.i++
	op, ok := p.peek()
	if !ok || !slices.Contains([]string{"=", "!=", "<", "<=", ">", ">=", ":", "=~", "!~"}, op.text) || op.quoted {
		return nil, fmt.Errorf("expected a comparison after %s", f.text)
	}
	p.i++
	e := &Expr{op: "cmp", field: f.text, cmp: op.text}
	if p.keyword("(") {
		for {
			v, ok := p.peek()
			if !ok {
				return nil, fmt.Errorf("unterminated value list")
			}
			p.i++
			e.values = append(e.values, v.text)
			if p.keyword(")") {
				return e, nil
			}
			if !p.keyword("OR") {
				return nil, fmt.Errorf("expected OR in the values of %s", f.text)
			}
		}
	}
	v, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("expected a value after %s%s", f.text, op.text)
	}
	p.i++
	e.values = []string{v.text}
	return e, nil
}

func (e *Expr) eval(entry map[string]any) bool {
	switch e.op {
	case "and":
		return e.left.eval(entry) && e.right.eval(entry)
	case "or":
		return e.left.eval(entry) || e.right.eval(entry)
	case "not":
		return !e.left.eval(entry)
	}
	v, ok := lookup(entry, e.field)
	if e.cmp == ":" && len(e.values) == 1 && e.values[0] == "*" {
		return ok && fmt.Sprint(v) != ""
	}
	if !ok {
		return false
	}
	for _, want := range e.values {
		if compare(e.field, v, e.cmp, want) {
			return true
		}
	}
	return false
}

// lookup follows a dotted field path; labels keep their dots only when
// quoted, which lbdiag does not need.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func compare(field string, have any, op, want string) bool {
	hs := fmt.Sprint(have)
	if op == "=~" || op == "!~" {
		// RE2, matching anywhere in the value, as the Logging query
		// language's regular expressions do.
		re, err := regexp.Compile(want)
		return err == nil && re.MatchString(hs) == (op == "=~")
	}
	if field == "timestamp" || field == "receiveTimestamp" {
		a, err1 := time.Parse(time.RFC3339Nano, hs)
		b, err2 := time.Parse(time.RFC3339Nano, want)
		if err1 == nil && err2 == nil {
			return order(a.Compare(b), op)
		}
	}
	if a, err := strconv.ParseFloat(hs, 64); err == nil {
		if b, err := strconv.ParseFloat(want, 64); err == nil {
			c := 0
			switch {
			case a < b:
				c = -1
			case a > b:
				c = 1
			}
			return order(c, op)
		}
	}
	if op == ":" {
		return strings.Contains(strings.ToLower(hs), strings.ToLower(want))
	}
	return order(strings.Compare(hs, want), op)
}

func order(c int, op string) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case ":":
		return c == 0
	}
	return false
}
