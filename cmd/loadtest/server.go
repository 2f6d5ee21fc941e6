package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// server is a layerlab server process started for the run.
type server struct {
	cmd     *exec.Cmd
	pid     int
	url     string
	tmp     string // removed by stop (the built binary, the data dir unless given, the log)
	logPath string
	bin     string
	dataDir string
	teacher chan string // the teacher link serve prints after its address (class mode)
	exited  chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

var listening = regexp.MustCompile(`the playground is at (http://\S+?)/? `)

// teacherLine is serve's line with the teacher link (issue 13's servers print it).
var teacherLine = regexp.MustCompile(`^teacher link .*: (https?://\S+/teach/login\?key=\S+)`)

// startServer starts `layerlab --data-dir DIR serve --addr 127.0.0.1:0` (building
// cmd/layerlab first when bin is empty) and waits for the line that gives its URL.
func startServer(ctx context.Context, bin, dataDir string, progress func(string, ...any)) (_ *server, err error) {
	tmp, err := os.MkdirTemp("", "layerlab-loadtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if bin == "" {
		bin = filepath.Join(tmp, "layerlab")
		progress("building cmd/layerlab")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "layerlab/cmd/layerlab").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("build layerlab (run loadtest inside the module, or give -server-bin): %v\n%s", err, out)
		}
	}
	if dataDir == "" {
		dataDir = filepath.Join(tmp, "data")
	}
	s := &server{tmp: tmp, logPath: filepath.Join(tmp, "server.log"), bin: bin, dataDir: dataDir,
		teacher: make(chan string, 1), exited: make(chan struct{})}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	args := []string{"--data-dir", dataDir, "serve", "--addr", "127.0.0.1:0"}
	// Every simulated student comes from 127.0.0.1: a server that bounds the workspaces
	// one address creates a minute must let the whole class in (a class behind one
	// NAT address is the same case). A server before that flag has no such bound.
	if help, _ := exec.CommandContext(ctx, bin, "serve", "--help").Output(); bytes.Contains(help, []byte("--new-workspaces-per-minute")) {
		args = append(args, "--new-workspaces-per-minute", "100000")
	}
	// Not CommandContext: the server is stopped with SIGINT by stop, to shut down in order.
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stderr = logf
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.pid = s.cmd.Process.Pid
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text() + " "); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if m := teacherLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case s.teacher <- m[1]:
				default:
				}
			}
		}
		// Then drain until the process exits (Wait closes the pipe).
	}()
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.url = <-found:
		return s, nil
	case <-s.exited:
		log, _ := os.ReadFile(s.logPath)
		return nil, fmt.Errorf("server exited before listening: %v\n%s", s.waitErr, log)
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return nil, errors.New("server did not print its address within 30s")
	case <-ctx.Done():
		s.cmd.Process.Kill()
		<-s.exited
		return nil, ctx.Err()
	}
}

// stop interrupts the server (a graceful shutdown), kills it if it has not exited
// within 15 s, and removes the temp dir. It may be called more than once.
func (s *server) stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Signal(os.Interrupt)
			select {
			case <-s.exited:
				if s.waitErr != nil {
					s.stopErr = fmt.Errorf("server exited with %v on interrupt", s.waitErr)
				}
			case <-time.After(15 * time.Second):
				s.cmd.Process.Kill()
				<-s.exited
				s.stopErr = errors.New("server did not shut down within 15s of an interrupt: killed")
			}
		}
	})
	return s.stopErr
}

// logErrors counts the server's error log lines (slog text: level=ERROR) and returns
// the first few. Call it after stop and before cleanup.
func (s *server) logErrors() (int, []string) {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return 0, nil
	}
	n := 0
	var sample []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(line, []byte("level=ERROR")) {
			n++
			if len(sample) < 5 {
				sample = append(sample, string(line))
			}
		}
	}
	return n, sample
}

// cleanup removes the temp dir (binary, data, log).
func (s *server) cleanup() { os.RemoveAll(s.tmp) }

// procStats is what /proc says of a process.
type procStats struct {
	At      time.Time
	HWM     int64         // VmHWM: peak resident set, bytes
	RSS     int64         // VmRSS: resident set now, bytes
	CPU     time.Duration // utime + stime
	Threads int
	Written int64 // write_bytes of /proc/PID/io: bytes sent to storage (0 if unreadable)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux
// architecture Go supports (the kernel fixes it for userspace).
const clockTicks = 100

func readProcStats(pid int) (procStats, error) {
	st := procStats{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmHWM":
			st.HWM = n << 10 // kB
		case "VmRSS":
			st.RSS = n << 10
		case "Threads":
			st.Threads = int(n)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after
	// the last ')'. Fields from there: [0] is state (field 3), utime is field 14, stime 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return st, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return st, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	st.CPU = time.Duration(ut+stt) * time.Second / clockTicks
	if io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
		for _, line := range strings.Split(string(io), "\n") {
			if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
				st.Written, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	return st, nil
}

// machineStats is the whole machine's CPU time (all cores), from /proc/stat, and its
// load average: a run on a busy machine says so.
type machineStats struct {
	At      time.Time
	Busy    time.Duration // user+nice+system+irq+softirq+steal, all cores
	LoadAvg string        // 1, 5, 15 minutes
}

func readMachineStats() (machineStats, error) {
	st := machineStats{At: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return st, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return st, errors.New("/proc/stat: unexpected format")
	}
	var busy int64
	for i, v := range f[1:9] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	st.Busy = time.Duration(busy) * time.Second / clockTicks
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(la)); len(f) >= 3 {
			st.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return st, nil
}
