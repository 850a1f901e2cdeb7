package core

import (
	"net/netip"
	"testing"
)

func TestFreePrefix(t *testing.T) {
	t.Parallel()
	pfx := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	tests := []struct {
		name string
		used []netip.Prefix
		near string
		want string
	}{
		{name: "right after the node range", used: pfx("10.40.0.0/20"), near: "10.40.0.0/20", want: "10.40.16.0/23"},
		{name: "skips used ranges", used: pfx("10.40.0.0/20", "10.40.16.0/22", "10.40.20.0/23"), near: "10.40.0.0/20", want: "10.40.22.0/23"},
		{name: "skips the auto mode range", used: pfx("10.164.0.0/20", "10.128.0.0/9"), near: "10.164.0.0/20", want: "10.0.0.0/23"},
		{name: "stays in the node range's block", used: pfx("192.168.0.0/24"), near: "192.168.0.0/24", want: "192.168.2.0/23"},
		{name: "wraps to the block start", used: pfx("172.31.254.0/23"), near: "172.31.254.0/23", want: "172.16.0.0/23"},
		{name: "no hint: first private block", used: pfx("10.0.0.0/16"), want: "10.1.0.0/23"},
		{name: "block full: next block", used: pfx("192.168.0.0/16"), near: "192.168.4.0/24", want: "10.0.0.0/23"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var near netip.Prefix
			if tc.near != "" {
				near = netip.MustParsePrefix(tc.near)
			}
			got, ok := FreePrefix(tc.used, 23, near)
			if !ok || got.String() != tc.want {
				t.Errorf("freePrefix = %v, %v; want %s", got, ok, tc.want)
			}
		})
	}
}
