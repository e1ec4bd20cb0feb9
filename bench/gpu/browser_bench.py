#!/usr/bin/env python3
"""Times the app's local path in a real headless Chromium, with nobody driving it.

Starts `hybridgen serve` (the real Go server: the test pages as its web dir, a model mirror), then
opens web/tests/pages/bench-local.html once per configuration in a fresh Chromium process that keeps
one profile (so OPFS keeps the download and the derived variant from one launch to the next). The
page prints `HG_PROGRESS` / `HG_RESULT` / `HG_ERROR` console lines, which Chromium writes to its
log; this script reads them, and samples every Chromium process's resident memory from /proc
(peak of the renderer, which holds the page and its workers, and of all processes together).

Usage:
  browser_bench.py --chrome BIN --hybridgen BIN --web-dir DIR --models-dir DIR [--model ID]
                   --config threads=4,drafts=2 [--config threads=1,drafts=1 ...]
                   [--backend wasm] [--profile DIR] [--deadline-s N] --out FILE.json
A configuration's keys go into the page's query (threads, drafts, backend, label), except `page`:
the page to open (default bench-local; bench-bare is the bare-ORT anchor on the same files).
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

CONSOLE_RE = re.compile(r'"(HG_PROGRESS|HG_RESULT|HG_ERROR) (.*)", source: ')
TYPE_RE = re.compile(r"--type=(\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 30) -> None:
    import urllib.request

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hybridgen serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("hybridgen serve did not become healthy in time")


class MemorySampler(threading.Thread):
    """Samples VmRSS of every process whose executable is the browser's, every 200 ms."""

    def __init__(self, exe: str):
        super().__init__(daemon=True)
        self.exe = os.path.realpath(exe)
        self.stop = threading.Event()
        self.peak_renderer_kib = 0
        self.peak_total_kib = 0
        self.peak_by_type_kib: dict[str, int] = {}

    def sample(self) -> None:
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.path.realpath(f"/proc/{pid}/exe") != self.exe:
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    # Chromium rewrites its children's titles into one space-separated string.
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{pid}/status") as f:
                    rss = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            except OSError:
                continue
            m = TYPE_RE.search(cmdline)
            kind = m.group(1) if m else "browser"
            total += rss
            self.peak_by_type_kib[kind] = max(self.peak_by_type_kib.get(kind, 0), rss)
            if kind == "renderer":
                self.peak_renderer_kib = max(self.peak_renderer_kib, rss)
        self.peak_total_kib = max(self.peak_total_kib, total)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.sample()

    def report(self) -> dict:
        mib = lambda kib: round(kib / 1024)  # noqa: E731
        return {
            "peakRendererRssMiB": mib(self.peak_renderer_kib),
            "peakAllProcessesRssMiB": mib(self.peak_total_kib),
            "peakByProcessTypeMiB": {k: mib(v) for k, v in sorted(self.peak_by_type_kib.items())},
        }


class GpuMemorySampler(threading.Thread):
    """Peak GPU memory in use (MiB, the whole card) from `nvidia-smi -lms 200`; absent without nvidia-smi."""

    def __init__(self):
        super().__init__(daemon=True)
        self.first_mib: int | None = None
        self.peak_mib: int | None = None
        try:
            self.proc = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-lms", "200"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
        except OSError:
            self.proc = None

    def run(self) -> None:
        if not self.proc or not self.proc.stdout:
            return
        for line in self.proc.stdout:
            try:
                v = int(line.strip().split()[0])
            except (ValueError, IndexError):
                continue
            if self.first_mib is None:
                self.first_mib = v
            self.peak_mib = v if self.peak_mib is None else max(self.peak_mib, v)

    def finish(self) -> dict:
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
        self.join(timeout=2)
        return {"gpuMemoryFirstMiB": self.first_mib, "gpuMemoryPeakMiB": self.peak_mib}


def run_config(args, base: str, config: dict[str, str], deadline: float) -> dict:
    config = dict(config)
    page = config.pop("page", "bench-local")
    query = {**({"model": args.model} if args.model else {}), **({"backend": args.backend} if args.backend else {}), **config}
    url = f"{base}/{page}.html?" + "&".join(f"{k}={v}" for k, v in query.items())
    cmd = [
        args.chrome,
        "--no-sandbox",
        "--headless",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={args.profile}",
        *args.chrome_arg,
        url,
    ]
    print(f"-- {json.dumps(config)}: {url}", flush=True)
    sampler = MemorySampler(args.chrome)
    gpu = GpuMemorySampler()
    gpu.start()
    started = time.time()
    env = dict(os.environ)
    if args.lib_dir:  # the browser's own libraries, for the browser alone (Python and the server keep the system's)
        env["LD_LIBRARY_PATH"] = args.lib_dir
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True, env=env)
    sampler.start()
    outcome: dict = {}
    log_tail: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            m = CONSOLE_RE.search(line)
            if not m:
                log_tail.append(line.rstrip()[:400])
                del log_tail[:-20]
                continue
            kind, payload = m.group(1), m.group(2)
            if kind == "HG_PROGRESS":
                print(f"   [{time.time() - started:6.1f}s] {payload}", flush=True)
                continue
            try:
                outcome[kind] = json.loads(payload)
            except json.JSONDecodeError:
                outcome[kind] = {"unparsed": payload[:2000]}
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=max(1.0, deadline - time.time()))
    timed_out = reader.is_alive()
    sampler.stop.set()
    sampler.join()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    record = {"page": page, "config": config, "wallS": round(time.time() - started, 1), "memory": {**sampler.report(), **gpu.finish()}}
    if "HG_RESULT" in outcome:
        record["result"] = outcome["HG_RESULT"]
    else:
        record["error"] = outcome.get("HG_ERROR") or {"message": "timed out" if timed_out else "the browser exited without a result"}
        record["browserLogTail"] = log_tail
    print(f"   {json.dumps({k: v for k, v in record.items() if k != 'browserLogTail'})[:3000]}", flush=True)
    return record


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chrome", required=True)
    p.add_argument("--chrome-arg", action="append", default=[], help="extra browser flag (repeatable)")
    p.add_argument("--lib-dir", default="", help="LD_LIBRARY_PATH for the browser alone")
    p.add_argument("--hybridgen", required=True)
    p.add_argument("--web-dir", required=True)
    p.add_argument("--models-dir", required=True)
    p.add_argument("--model", default="", help="the page's model= (empty: none, e.g. for bgremove=N alone)")
    p.add_argument("--backend", default="")
    p.add_argument("--config", action="append", required=True, help="k=v,k=v (page query)")
    p.add_argument("--profile", default="/tmp/hybridgen-bench-profile")
    p.add_argument("--deadline-s", type=float, default=540)
    p.add_argument("--port", type=int, default=8791, help="the server's port (0: any free one)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    deadline = time.time() + args.deadline_s

    # A fixed port by default: OPFS belongs to the origin, so a later run (another call on the same
    # machine) finds the download and the derived variant only on the same port.
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    work = os.path.dirname(os.path.abspath(args.profile))
    db = os.path.join(work, "bench-ledger.db")
    server_log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(
        [args.hybridgen, "serve", "-addr", f"127.0.0.1:{port}", "-web-dir", args.web_dir, "-models-dir", args.models_dir, "-db", db],
        stdout=subprocess.DEVNULL,
        stderr=server_log,
    )
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "model": args.model, "cpus": os.cpu_count(), "runs": []}
    try:
        wait_healthy(base, server)
        for spec in args.config:
            config = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
            if time.time() > deadline - 5:
                results["runs"].append({"config": config, "error": {"message": "not run: deadline reached"}})
                continue
            results["runs"].append(run_config(args, base, config, deadline))
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server_log.close()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    return 0 if all("result" in r for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
