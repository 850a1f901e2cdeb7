package recording

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody: an answer is read whole, whatever its size and however
// its reader hands it out; each answer's bytes are its own, though the
// buffer they were read into is reused; a read error comes back with what
// was read before it; an answer body nobody has read from gives its own
// bytes.
func TestReadBody(t *testing.T) {
	t.Parallel()
	var kept [][]byte
	var want []string
	for i, n := range []int{0, 1, 511, 512, 513, 70000, 3 << 20, 17 << 20, 10, 5} {
		body := strings.Repeat(string(rune('a'+i)), n)
		var r io.Reader = strings.NewReader(body)
		if i%2 == 1 {
			r = iotest.HalfReader(r)
		}
		b, err := ReadBody(r)
		if err != nil || string(b) != body || b == nil {
			t.Fatalf("%d bytes: got %d bytes (nil %v), %v", n, len(b), b == nil, err)
		}
		kept, want = append(kept, b), append(want, body)
	}
	for i := range kept {
		if string(kept[i]) != want[i] {
			t.Fatalf("answer %d changed when later ones were read", i)
		}
	}
	boom := errors.New("connection reset")
	b, err := ReadBody(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)))
	if string(b) != "partial" || !errors.Is(err, boom) {
		t.Fatalf("got %q, %v", b, err)
	}
	whole := []byte(`{"items":[]}`)
	if b, err := ReadBody(NewAnswerBody(whole)); err != nil || &b[0] != &whole[0] {
		t.Fatalf("an unread answer body was copied")
	}
	if !bytes.Equal(whole, []byte(`{"items":[]}`)) {
		t.Fatal("changed")
	}
}
