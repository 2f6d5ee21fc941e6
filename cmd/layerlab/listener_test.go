//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// sendBuffer returns the SO_SNDBUF the kernel reports for c (on Linux, double what was
// set: the kernel reserves the other half for its bookkeeping).
func sendBuffer(t *testing.T, c net.Conn) int {
	t.Helper()
	tc, ok := c.(*net.TCPConn)
	if !ok {
		t.Fatalf("accepted %T, want *net.TCPConn (net/http needs it to use sendfile)", c)
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal("getsockopt SO_SNDBUF:", serr)
	}
	return n
}

// acceptOne listens on network/addr (through loopbackTunedListener when tuned), dials
// it, and returns the SO_SNDBUF of the accepted side. It skips when the address cannot
// be listened on (no IPv6, say).
func acceptOne(t *testing.T, network, addr string, tuned bool) int {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	defer ln.Close()
	if tuned {
		ln = loopbackTunedListener{ln}
	}
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	client, err := net.DialTimeout(network, ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	a := <-ch
	if a.err != nil {
		t.Fatal("accept:", a.err)
	}
	defer a.c.Close()
	return sendBuffer(t, a.c)
}

// wmemMax is net.core.wmem_max, the most an unprivileged SO_SNDBUF can set.
func wmemMax(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	testenv.Need(t, err == nil, fmt.Sprintf("no /proc/sys/net/core/wmem_max: %v", err))
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoopbackTunedListenerCapsSendBuffer(t *testing.T) {
	want := 2 * min(loopbackSendBuffer, wmemMax(t))
	for _, tc := range []struct{ network, addr string }{
		{"tcp4", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			plain := acceptOne(t, tc.network, tc.addr, false)
			tuned := acceptOne(t, tc.network, tc.addr, true)
			t.Logf("SO_SNDBUF of an accepted loopback connection: %d plain, %d through the listener", plain, tuned)
			if tuned > 512<<10 {
				t.Errorf("SO_SNDBUF through the listener = %d, want at most 512 KiB", tuned)
			}
			if tuned == plain {
				t.Errorf("SO_SNDBUF through the listener = %d, the same as without it", tuned)
			}
			if tuned != want {
				t.Errorf("SO_SNDBUF through the listener = %d, want %d (2 x min(256 KiB, wmem_max))", tuned, want)
			}
		})
	}
}

// A peer with a non-loopback address (this machine's own, if it has one) is left to
// the kernel's autotuning.
func TestLoopbackTunedListenerLeavesOtherPeers(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	var ip net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	addr := net.JoinHostPort(ip.String(), "0")
	plain := acceptOne(t, "tcp4", addr, false)
	tuned := acceptOne(t, "tcp4", addr, true)
	t.Logf("SO_SNDBUF of a connection from %s: %d plain, %d through the listener", ip, plain, tuned)
	if tuned != plain {
		t.Errorf("SO_SNDBUF through the listener = %d for non-loopback peer %s, want the untouched %d", tuned, ip, plain)
	}
}

// Serving HTTP through the listener works as before, and closing it ends Accept with
// the listener's own error.
func TestLoopbackTunedListenerServes(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := loopbackTunedListener{raw}
	body := strings.Repeat("layer ", 200_000) // 1.2 MB: more than the capped buffer holds
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for i := 0; i < 3; i++ {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || string(got) != body {
			t.Fatalf("GET: status %d, %d bytes, want 200 and %d bytes", resp.StatusCode, len(got), len(body))
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
}

func TestIsLoopbackAddr(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.3.2.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.2"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.168.1.5"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, false},
		{&net.TCPAddr{}, false},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, false},
		{nil, false},
	} {
		if got := isLoopbackAddr(tc.addr); got != tc.want {
			t.Errorf("isLoopbackAddr(%v) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}
