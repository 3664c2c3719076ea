"""Running `manifestlint` on an untrusted tree and checking the class invariants (issue 18).

`run()` starts the real command line in a subprocess (2 GiB of address space, a wall-clock
timeout that only catches hangs) with an audit hook installed before manifestlint is imported.
The hook records every file opened, every folder listed, and every file created, replaced or
removed, and the process reports on exit its CPU time and peak resident memory (VmHWM of its
own address space: a fork of pytest's memory does not count). `Run.check()` then asserts what
every case of the issue must hold:

- nothing opened or listed below a `forbidden` folder (outside the linted root);
- nothing created, replaced or removed outside the `writable` folders;
- under 10 s of CPU and 500 MiB of peak memory;
- no traceback and no internal error.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CPU_LIMIT = 10.0  # seconds of CPU (user + system): load on a shared machine does not count
MEMORY_LIMIT = 500 * 1024 * 1024  # bytes of peak resident memory
WALL_TIMEOUT = 120  # seconds: only a hang gets this far

# The child: an audit hook first (the events of every open, listing, rename and removal, with
# the path resolved), then the real entry point. os._exit is wrapped so that the report is
# written however the command ends (entry() always leaves through it).
CHILD = r"""
import json, os, resource, sys
spec = json.loads(os.environ.pop("MANIFESTLINT_AUDIT"))
opened, written, spawned = [], [], []
active = [True]
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

def where(path, dir_fd=None):
    if isinstance(path, int):
        return None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    try:
        path = os.fspath(path)
        if dir_fd not in (None, -1, -100):
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        folder, name = os.path.split(os.path.abspath(path))
        return os.path.join(os.path.realpath(folder), name), os.path.realpath(path)
    except (OSError, ValueError, TypeError):
        return None

def hook(event, args):
    if not active[0]:
        return
    if event == "open":
        found = where(args[0])
        if found is None:
            return
        mode, flags = args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & WRITE_FLAGS
        )
        (written if writes else opened).append(found[1] if not writes else found[0])
    elif event in ("os.listdir", "os.scandir"):
        found = where(args[0] if args[0] is not None else ".")
        if found:
            opened.append(found[1])
    elif event in ("os.rename", "os.replace"):
        for path in args[:2]:
            found = where(path)
            if found:
                written.append(found[0])
    elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.truncate",
                   "os.chmod", "os.chown", "shutil.rmtree", "os.utime"):
        found = where(args[0], args[-1] if event in ("os.remove", "os.rmdir") else None)
        if found:
            written.append(found[0])
    elif event == "subprocess.Popen":
        spawned.append([str(a) for a in (args[1] or [])][:4])

sys.addaudithook(hook)
real_exit = os._exit

def _exit(code):
    active[0] = False
    usage = resource.getrusage(resource.RUSAGE_SELF)
    hwm = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    with open(spec["report"], "w") as out:
        json.dump({"opened": opened, "written": written, "spawned": spawned, "peak": hwm,
                   "cpu": usage.ru_utime + usage.ru_stime}, out)
    real_exit(code)

os._exit = _exit
sys.argv = ["manifestlint", *sys.argv[1:]]
from manifestlint.cli import entry
entry()
"""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@dataclass
class Run:
    """One finished call: exit code, output, and what the audit hook saw."""

    code: int
    out: bytes
    err: str
    opened: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    spawned: list[list[str]] = field(default_factory=list)
    peak: int = 0
    cpu: float = 0.0

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.out)

    def findings(self) -> list[dict]:
        return self.json()["findings"]

    def rules(self) -> set[str]:
        return {f["rule"] for f in self.findings()}

    def reported_rules(self) -> set[str]:
        """The rule ids of the findings in the report, whatever its format."""
        try:
            data = json.loads(self.out)
        except ValueError:
            data = None
        if isinstance(data, dict) and "findings" in data:
            return {f["rule"] for f in data["findings"]}
        if isinstance(data, dict) and "runs" in data:
            return {r["ruleId"] for run in data["runs"] for r in run["results"]}
        found = re.findall(
            r"(?m)^\S.*?:\d+:\d+: (?:error|warning|note) ([\w-]+) |title=([\w-]+)::", self.text
        )
        return {a or b for a, b in found}

    def check(
        self,
        forbidden: list[Path] = (),  # type: ignore[assignment]
        writable: list[Path] | None = None,  # None: writes are not checked
        codes: tuple[int, ...] = (0, 1),
        cpu: float = CPU_LIMIT,
        memory: int = MEMORY_LIMIT,
    ) -> Run:
        """Assert the invariants; returns self for chaining."""
        assert "Traceback" not in self.err and "Exception ignored" not in self.err, self.err[-3000:]
        assert "internal error" not in self.err, self.err[-3000:]
        assert self.code in codes, (self.code, self.err[-2000:])
        assert "manifestlint-internal-error" not in self.reported_rules(), self.out[-2000:]
        bad = [Path(os.path.realpath(p)) for p in forbidden]
        leaked = sorted({p for p in self.opened if any(_below(p, b) for b in bad)})
        assert not leaked, f"opened outside the linted root: {leaked[:10]}"
        if writable is not None:
            allowed = [*(Path(os.path.realpath(p)) for p in writable), *map(Path, writable)]
            allowed.append(Path("/dev/null"))
            stray = sorted({p for p in self.written if not any(_below(p, a) for a in allowed)})
            assert not stray, f"written outside the repository and its cache: {stray[:10]}"
        assert self.cpu < cpu, f"{self.cpu:.1f} s of CPU (limit {cpu} s)"
        assert self.peak < memory, f"{self.peak / 2**20:.0f} MiB peak (limit {memory / 2**20:.0f} MiB)"
        return self


def _below(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(str(folder).rstrip("/") + "/")


def run(
    *args: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    command: str = "lint",
    timeout: float = WALL_TIMEOUT,
) -> Run:
    """`manifestlint COMMAND ARGS` in `cwd`, audited (see the module docstring)."""
    report = Path(cwd).parent / f".audit-{os.getpid()}-{id(args)}.json"
    spec = {"report": str(report)}
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    environment["MANIFESTLINT_AUDIT"] = json.dumps(spec)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        if env is None or name not in env:
            environment.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *([command] if command else []), *map(str, args)],
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        env=environment,
        preexec_fn=_limits,
        check=False,
    )
    result = Run(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))
    try:
        data = json.loads(report.read_text())
        report.unlink()
    except (OSError, ValueError):
        return result  # killed before the report (a crash of the interpreter): check() fails on it
    result.opened, result.written, result.spawned = data["opened"], data["written"], data["spawned"]
    result.peak, result.cpu = data["peak"], data["cpu"]
    return result


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes | str]]:
    """Every entry below `folder` (links not followed): mode, size and content or link target,
    to compare before and after a call."""
    out: dict[str, tuple[int, int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                out[path] = (st.st_mode, 0, os.readlink(path))
            elif os.path.isfile(path):
                out[path] = (st.st_mode, st.st_size, Path(path).read_bytes())
            else:
                out[path] = (st.st_mode, 0, b"")
    return out


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
"""

SECRET = "AKIAS3CR3TS3CR3TS3CR3T"


def outside_secrets(tmp_path: Path) -> Path:
    """A folder beside the tree holding files a pull request must never get into a report:
    manifests, a Dockerfile, a Makefile, a credentials file, all carrying SECRET."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.yaml").write_text(DEPLOY.replace("nginx", f"{SECRET}:1").replace("web", "leak"))
    (outside / "Dockerfile").write_text(f"FROM {SECRET.lower()}:latest\nUSER root\n")
    (outside / "credentials").write_text(f"[default]\naws_secret_access_key={SECRET}\n")
    (outside / "Makefile").write_text(f"deploy:\n\tkustomize edit set image {SECRET}=x\n")
    (outside / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (outside / "action.yml").write_text(f"name: {SECRET}\nruns: {{using: docker, image: Dockerfile}}\n")
    (outside / "checklist.md").write_text(f"# {SECRET}\n- [x] {SECRET}\n")
    return outside


def tree(tmp_path: Path, files: dict[str, str] | None = None, git: bool = True) -> Path:
    """A repository `tmp_path/tree` (a git work tree when `git`) with `files`."""
    root = tmp_path / "tree"
    root.mkdir(exist_ok=True)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def crashing_rule_script(rule_id: str) -> str:
    """A `python -c` program that runs the CLI with `rule_id`'s function replaced by one that
    raises: how a crash of a rule must surface (a finding, never silence or exit 0)."""
    return f"""
import sys
from manifestlint import registry
from manifestlint.cli import entry

real = registry.Registry.function

def function(self, rule):
    func = real(self, rule)
    if rule.id != {rule_id!r}:
        return func
    def crash(index, ctx):
        raise RuntimeError("boom")
    return crash

registry.Registry.function = function
sys.argv = ["manifestlint", *sys.argv[1:]]
entry()
"""
