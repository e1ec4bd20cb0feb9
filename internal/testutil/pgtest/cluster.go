package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// port is the cluster's port: only a unix socket listens (in the cluster's
// own directory), so the number never collides with another server.
const port = 5432

type cluster struct {
	bin, dir string
	asRoot   bool
}

// start runs initdb and postgres (as nobody when root: PostgreSQL refuses
// to run as root) with durability off: the data is thrown away.
func start(bin string) (*cluster, error) {
	// /tmp, not $TMPDIR: nobody must reach it, and the socket path must
	// stay under the 107 bytes a unix socket name may have.
	dir, err := os.MkdirTemp("/tmp", "hybridgen-pg-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &cluster{bin: bin, dir: dir, asRoot: os.Geteuid() == 0}
	c.reapStale()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("record owner: %w", err)
	}
	if c.asRoot {
		if err := os.Chown(dir, 65534, 65534); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chown %s to nobody: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.cmd("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
		"--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses='' -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=200", dir, port)
	if err := c.cmd("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return c, nil
}

// ownerFile holds the pid of the test binary that started a cluster.
const ownerFile = "owner.pid"

// reapStale stops and deletes the clusters of test binaries that died
// without stopping theirs (a test timeout, a kill): they would otherwise
// keep running.
func (c *cluster) reapStale() {
	dirs, _ := filepath.Glob("/tmp/hybridgen-pg-*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // being created, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		stale := &cluster{bin: c.bin, dir: d, asRoot: c.asRoot}
		stale.stop()
	}
}

// alive reports whether process pid runs: it exists and is no zombie (a
// container's init may never reap a killed test binary).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill
	}
	// pid (comm) state ...: the state follows the last ')'.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

func (c *cluster) url() string {
	return "postgres://postgres@/postgres?host=" + c.dir + "&port=" + strconv.Itoa(port) + "&sslmode=disable"
}

func (c *cluster) stop() {
	_ = c.cmd("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

func (c *cluster) cmd(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asRoot {
		cmd = exec.Command("runuser", append([]string{"-u", "nobody", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}
