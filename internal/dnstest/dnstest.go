// Package dnstest serves a recursive resolver's view of the world on a
// loopback port, over UDP and TCP, for tests that give lbdiag --resolver:
// records in zone-file form, names that fail (SERVFAIL) or never answer,
// and answers truncated over UDP. Test code only.
package dnstest

import (
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Zone is what the resolver answers. Every name without records is
// NXDOMAIN; a name with records of other types only answers NOERROR with
// none; aliases (CNAME) are followed. Names are given without the final
// dot.
type Zone struct {
	Records  []string // zone-file lines: "www.example.com. 60 IN A 203.0.113.1"
	ServFail []string
	Silent   []string
	Truncate []string // truncated over UDP, answered over TCP

	mu      sync.Mutex
	queries []string // "TYPE name udp|tcp"
	servers []*dns.Server
}

// Serve starts the zone on UDP and TCP on one loopback port and returns
// its address; it stops when the test ends.
func (z *Zone) Serve(t testing.TB) string {
	t.Helper()
	var rrs []dns.RR
	for _, s := range z.Records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("record %q: %v", s, err)
		}
		rrs = append(rrs, rr)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
		z.mu.Lock()
		z.queries = append(z.queries, dns.TypeToString[q.Qtype]+" "+name+" "+w.LocalAddr().Network())
		z.mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		switch {
		case slices.Contains(z.Silent, name):
			return
		case slices.Contains(z.ServFail, name):
			m.Rcode = dns.RcodeServerFailure
		case slices.Contains(z.Truncate, name) && w.LocalAddr().Network() == "udp":
			m.Truncated = true
		default:
			owner, exists := q.Name, false
			for hops := 0; hops < 8; hops++ {
				var cname dns.RR
				for _, rr := range rrs {
					if !strings.EqualFold(rr.Header().Name, owner) {
						continue
					}
					exists = true
					switch {
					case rr.Header().Rrtype == q.Qtype:
						m.Answer = append(m.Answer, rr)
					case rr.Header().Rrtype == dns.TypeCNAME:
						cname = rr
					}
				}
				if cname == nil || len(m.Answer) > 0 {
					break
				}
				m.Answer = append(m.Answer, cname)
				owner = cname.(*dns.CNAME).Target
			}
			if !exists {
				m.Rcode = dns.RcodeNameError
			}
		}
		w.WriteMsg(m)
	})
	pc, l := listenUDPAndTCP(t)
	// A server serves one of them.
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started, failed := make(chan struct{}), make(chan error, 1)
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { failed <- srv.ActivateAndServe() }()
		// A server that fails before it starts fails the test, not hangs it.
		select {
		case <-started:
		case err := <-failed:
			t.Fatalf("dnstest: serving: %v", err)
		}
		z.mu.Lock()
		z.servers = append(z.servers, srv)
		z.mu.Unlock()
	}
	t.Cleanup(z.Stop)
	return pc.LocalAddr().String()
}

// Stop shuts the servers down: later queries go unanswered.
func (z *Zone) Stop() {
	z.mu.Lock()
	servers := z.servers
	z.servers = nil
	z.mu.Unlock()
	for _, s := range servers {
		s.Shutdown()
	}
}

// Queries are the queries asked so far, as "TYPE name udp|tcp".
func (z *Zone) Queries() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.queries)
}

// listenUDPAndTCP listens on one loopback port for UDP and TCP: a port
// free for UDP may be taken for TCP, so it tries a few.
func listenUDPAndTCP(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return nil, nil
}
