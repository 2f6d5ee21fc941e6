package main

import (
	"net"
)

// loopbackSendBuffer is the SO_SNDBUF given to connections from loopback peers.
const loopbackSendBuffer = 256 << 10

// loopbackTunedListener caps the send buffer of every TCP connection it accepts from a
// loopback peer at loopbackSendBuffer (Linux reports, and uses, double that).
//
// Why: the hub sends blobs with sendfile (http.ServeContent of the blob file), and the
// kernel autotunes each connection's send buffer up to tcp_wmem's maximum, 4 MiB here
// (on loopback, already when the connection is accepted). Nothing leaves the machine, so
// the data queued in that buffer is then mostly pushed through TCP from inside the
// client's read() (perf: 23% of all samples in tcp_write_xmit under the client's read,
// 2% under the server's sendfile): the client pays for the server's sending, and a
// client reading 32 KiB at a time, as io.Copy into a file does, slows down. With 50
// concurrent pulls of a 200 MB image and 32 KiB reads the hub was 5% slower than
// Debian's docker-registry (1430 vs 1502 MB/s). A fixed 256 KiB send buffer keeps that
// work in the server's sendfile: on the hub itself, same machine, same session, 32 KiB
// reads went from 1296 to 3335 MB/s (docker-registry: 1269) and 256 KiB reads from
// 2379 to 3970 MB/s (BENCHMARKS.md, "50 concurrent pulls"). Single pulls do not change.
//
// Only loopback peers: across a real network a connection needs a send buffer of about
// its bandwidth-delay product, which is what the kernel's autotuning finds (setting
// SO_SNDBUF turns it off for that socket), so other peers are left to it.
//
// The accepted *net.TCPConn itself is returned, not a wrapper, so net/http still sees
// a *net.TCPConn and still uses sendfile.
type loopbackTunedListener struct {
	net.Listener
}

// Accept waits for the next connection and tunes it (see loopbackTunedListener).
func (l loopbackTunedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	if tc, ok := c.(*net.TCPConn); ok && isLoopbackAddr(tc.RemoteAddr()) {
		// A tuning knob, not a requirement: if the kernel refuses (or caps it at
		// net.core.wmem_max), the connection works as it would have anyway, so the
		// error is ignored.
		_ = tc.SetWriteBuffer(loopbackSendBuffer)
	}
	return c, nil
}

// isLoopbackAddr reports whether a is a TCP address with a loopback IP (127.0.0.0/8,
// ::1, or ::ffff:127.x.y.z).
func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
