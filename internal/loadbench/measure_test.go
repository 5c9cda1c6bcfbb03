package loadbench

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// procCPU reads a process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// machineBusy is the CPU time all CPUs spent busy (not idle or iowait),
// from /proc/stat.
func machineBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		x, _ := strconv.ParseInt(v, 10, 64)
		busy += x
	}
	return time.Duration(busy) * clockTick
}

// selfCPU is this process's user+system CPU time (microsecond precision).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// findDynamoDBLocal finds the DynamoDB Local of this test's stack: a java
// child of this process running DynamoDBLocal.jar on the endpoint's port
// (internal/devstack does not expose the pid).
func findDynamoDBLocal(endpoint string) (int, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, err
	}
	port := u.Port()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "java" || !strings.Contains(string(cmd), "DynamoDBLocal.jar") {
			continue
		}
		onPort := false
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-port" && args[i+1] == port {
				onPort = true
			}
		}
		if !onPort {
			continue
		}
		if ppid, err := parentOf(pid); err != nil || ppid != self {
			continue
		}
		return pid, nil
	}
	return 0, fmt.Errorf("no DynamoDB Local child of pid %d on port %s", self, port)
}

func parentOf(pid int) (int, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(raw, ')')
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	return strconv.Atoi(f[1])
}

// window is what a measured run leaves: CPU of both processes, memory
// counters, the CPU profile and the allocations, and the SDK calls.
type window struct {
	goCPU, ddbCPU     time.Duration
	machineCPU        time.Duration // every process's, from /proc/stat
	mallocs, bytes    uint64
	numGC             uint32
	cpuProfile        *profile
	allocs            []profSample // allocations during the run, by stack
	allocTypes        []string
	calls             probeCounts
	cpuFile, heapFile string
	// callLat: the DynamoDB calls as the SDK's caller sees them;
	// serverLat: the API's handler, from the server's view.
	callLat, serverLat []time.Duration
}

// measure runs fn with the CPU profiler on and the counters read around
// it. The allocation profile is cumulative, so it is read before and
// after (each after two GCs, which publish the allocations of the cycles
// before) and subtracted.
func (b *bench) measure(name string, fn func()) (window, error) {
	var w window
	runtime.GC()
	runtime.GC()
	heapBefore, err := writeHeap()
	if err != nil {
		return w, err
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	calls0 := b.probe.snapshot()
	ddb0, err := procCPU(b.ddbPid)
	if err != nil {
		return w, err
	}
	b.probe.lat.take()
	b.serverLat.take()
	go0, m0 := selfCPU(), machineBusy()
	var cpuBuf bytes.Buffer
	if b.s.profileHz != 100 {
		// Set before StartCPUProfile, which then keeps it (and prints
		// that it cannot set its own 100 Hz); the profile's header
		// records the rate, so the sample values stay in nanoseconds.
		runtime.SetCPUProfileRate(b.s.profileHz)
	}
	if err := pprof.StartCPUProfile(&cpuBuf); err != nil {
		return w, err
	}
	fn()
	pprof.StopCPUProfile()
	w.goCPU, w.machineCPU = selfCPU()-go0, machineBusy()-m0
	ddb1, err := procCPU(b.ddbPid)
	if err != nil {
		return w, err
	}
	w.ddbCPU = ddb1 - ddb0
	w.calls = b.probe.snapshot().sub(calls0)
	w.callLat, w.serverLat = b.probe.lat.take(), b.serverLat.take()
	runtime.ReadMemStats(&ms1)
	w.mallocs, w.bytes, w.numGC = ms1.Mallocs-ms0.Mallocs, ms1.TotalAlloc-ms0.TotalAlloc, ms1.NumGC-ms0.NumGC
	runtime.GC()
	runtime.GC()
	heapAfter, err := writeHeap()
	if err != nil {
		return w, err
	}
	if w.cpuProfile, err = parseProfile(cpuBuf.Bytes()); err != nil {
		return w, fmt.Errorf("cpu profile: %w", err)
	}
	hb, err := parseProfile(heapBefore)
	if err != nil {
		return w, fmt.Errorf("heap profile: %w", err)
	}
	ha, err := parseProfile(heapAfter)
	if err != nil {
		return w, fmt.Errorf("heap profile: %w", err)
	}
	w.allocs, w.allocTypes = diffSamples(hb, ha), ha.types
	if b.profDir != "" {
		slug := strings.NewReplacer(" ", "-", "/", "-", "(", "", ")", "", ",", "").Replace(strings.ToLower(name))
		w.cpuFile = filepath.Join(b.profDir, slug+".cpu.pprof")
		w.heapFile = filepath.Join(b.profDir, slug+".allocs.pprof")
		if err := os.WriteFile(w.cpuFile, cpuBuf.Bytes(), 0o644); err != nil {
			return w, err
		}
		if err := os.WriteFile(w.heapFile, heapAfter, 0o644); err != nil {
			return w, err
		}
	}
	return w, nil
}

func writeHeap() ([]byte, error) {
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mergeRuns merges the rounds of each run (same name) into one, in the
// order of their first round.
func mergeRuns(runs []*run) []*run {
	var out []*run
	byName := map[string]*run{}
	for _, r := range runs {
		m, ok := byName[r.name]
		if !ok {
			c := *r
			c.rounds, c.winRounds = []loadResult{r.res}, []window{r.win}
			c.res.lat = append([]time.Duration(nil), r.res.lat...)
			if p := r.win.cpuProfile; p != nil {
				cp := *p
				cp.samples = append([]profSample(nil), p.samples...)
				c.win.cpuProfile = &cp
			}
			c.win.allocs = append([]profSample(nil), r.win.allocs...)
			c.win.calls = probeCounts{}.add(r.win.calls)
			c.win.callLat = append([]time.Duration(nil), r.win.callLat...)
			c.win.serverLat = append([]time.Duration(nil), r.win.serverLat...)
			byName[r.name] = &c
			out = append(out, &c)
			continue
		}
		m.rounds, m.winRounds = append(m.rounds, r.res), append(m.winRounds, r.win)
		m.res.n += r.res.n
		m.res.errors += r.res.errors
		if m.res.firstErr == "" {
			m.res.firstErr = r.res.firstErr
		}
		m.res.elapsed += r.res.elapsed
		m.res.stopped = m.res.stopped || r.res.stopped
		m.res.lat = append(m.res.lat, r.res.lat...)
		w := &m.win
		w.goCPU += r.win.goCPU
		w.ddbCPU += r.win.ddbCPU
		w.machineCPU += r.win.machineCPU
		w.mallocs += r.win.mallocs
		w.bytes += r.win.bytes
		w.numGC += r.win.numGC
		if w.cpuProfile != nil && r.win.cpuProfile != nil {
			w.cpuProfile.samples = append(w.cpuProfile.samples, r.win.cpuProfile.samples...)
		}
		w.allocs = append(w.allocs, r.win.allocs...)
		w.calls = w.calls.add(r.win.calls)
		w.callLat = append(w.callLat, r.win.callLat...)
		w.serverLat = append(w.serverLat, r.win.serverLat...)
	}
	for _, r := range out {
		slices.Sort(r.res.lat)
		slices.Sort(r.win.callLat)
		slices.Sort(r.win.serverLat)
	}
	return out
}
