"""A real Jupyter server and headless Chromium, for tests/browser and bench/browser_bench.py.

Plain module (no pytest): the bench imports it too.  TESTING.md's recipe: Debian's Chromium
driven by Playwright's Python package (never `playwright install`), a server per UI with
every Jupyter directory in a temporary folder, every request that is not the local server
blocked and recorded, and a kernel ready only once a `kernel_info_reply` frame was seen
(notebook.py drives a notebook in a page).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("ASYNCVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Notebook 7.6 logs this on every page load, with or without widgets (TESTING.md)
IGNORED_CONSOLE_ERRORS = ("Cannot read properties of undefined (reading 'schema')",)
UIS = ("lab", "notebook7")
# Graphviz's programs: hidden from the server and its kernels (JupyterServer(hide=...)), so
# the widgets are tested as on a laptop without Graphviz; the full PATH is kept in
# ASYNCVIZ_TEST_FULL_PATH for a cell that wants `dot` back.
GRAPHVIZ = ("dot", "neato", "circo", "fdp", "sfdp", "twopi", "osage", "patchwork")
KERNEL_NAME = "python3"
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------ server


class ServerError(RuntimeError):
    pass


class JupyterServer:
    """`jupyter lab` (ui="lab") or `jupyter notebook` (ui="notebook7") of this interpreter
    on 127.0.0.1:<free port>, token-protected, with its config/data/runtime/settings/
    workspaces dirs and IPYTHONDIR under `base` and notebooks in `base/root`.  Its kernel
    spec `python3` is ipykernel's for sys.executable, written into the temporary data dir
    (first on Jupyter's data path), so every kernel runs in this venv whatever kernel specs
    the machine has.

    One server per UI, not one for both: jupyterlab_server's page handler writes the Lab
    page's `treePath` into the server-wide page config (settings["page_config_data"]), and
    Notebook 7 pages served afterwards by the same server inherit it and throw "Command
    'filebrowser:open-path' not registered." (jupyterlab_server/handlers.py, notebook 7.6)."""

    def __init__(self, base: Path, ui: str = "lab", hide: tuple[str, ...] = ()):
        if ui not in UIS:
            raise ValueError(f"ui must be one of {UIS}, not {ui!r}")
        self.ui = ui
        self.hide = tuple(hide)  # programs the server and its kernels must not find
        self.base = Path(base)
        self.root = self.base / "root"
        self.token = secrets.token_hex(16)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "server.log"
        self.started_in = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = dict(os.environ)
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "IPYTHONDIR": "ipython",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        }
        for var, sub in dirs.items():
            path = self.base / sub
            path.mkdir(parents=True, exist_ok=True)
            env[var] = str(path)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        if self.hide:
            env["ASYNCVIZ_TEST_FULL_PATH"] = env["PATH"]
            env["PATH"] = path_without(env["PATH"], self.hide, self.base / "path")
        env["PYTHONUNBUFFERED"] = "1"
        for var in (
            "PYTHONSTARTUP",
            "ASYNCVIZ_EXPORT_DIR",
            "JUPYTER_PATH",
            "JUPYTER_PREFER_ENV_PATH",
        ):
            env.pop(var, None)
        return env

    def start(self, timeout: float = 60.0, attempts: int = 3) -> "JupyterServer":
        self.launch()
        return self.wait_ready(timeout, attempts)

    def command(self) -> list[str]:
        module = {"lab": "jupyterlab", "notebook7": "notebook"}[self.ui]
        cmd = [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if self.ui == "lab":
            cmd.append("--LabApp.news_url=None")
        return cmd

    def launch(self) -> None:
        """Start the server process (returns at once: see wait_ready)."""
        from ipykernel.kernelspec import write_kernel_spec

        self._t0 = time.perf_counter()
        self.root.mkdir(parents=True, exist_ok=True)
        env = self._env = self.env()
        spec = Path(env["JUPYTER_DATA_DIR"]) / "kernels" / KERNEL_NAME
        if not spec.exists():
            write_kernel_spec(path=spec)
        # Lab's own first-run chatter (the news question) kept off the screenshots
        settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(),
            env=env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()

    def wait_ready(self, timeout: float = 60.0, attempts: int = 3) -> "JupyterServer":
        """Poll /api/status until it answers; relaunch on another port if the process died
        (a free port can be taken between probing and binding)."""
        for attempt in range(attempts):
            if attempt:
                self.launch()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(
                        f"{self.url}/api/status?token={self.token}", timeout=2
                    ) as r:
                        if r.status == 200:
                            self.started_in = time.perf_counter() - self._t0
                            return self
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                time.sleep(0.1)
            self.stop()
        raise ServerError(
            f"{' '.join(self.command()[1:3])} did not answer /api/status "
            f"(tried {attempts} times); its log ({self.log_path}) ends with:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def api(self, method: str, path: str, body=None):
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
        return json.loads(data) if data else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel (between tests: each test gets a fresh kernel)."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{s['id']}")
            for k in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{k['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def shutdown_session(self, path: str) -> None:
        """End the session (and its kernel) of the notebook at `path` only."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                if s.get("path") == path or s.get("notebook", {}).get("path") == path:
                    self.api("DELETE", f"/api/sessions/{s['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # SIGTERM: the server shuts its kernels down, then exits
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def write_notebook(self, name: str, sources) -> Path:
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": KERNEL_NAME,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
        path = self.root / name
        nbformat.write(nb, path)
        return path

    def page_url(self, name: str) -> str:
        ui = self.ui
        if ui == "lab":
            return f"{self.url}/lab/tree/{name}?reset&token={self.token}"
        if ui == "notebook7":
            return f"{self.url}/notebooks/{name}?token={self.token}"
        raise ValueError(ui)


def path_without(path: str, names, folder: Path) -> str:
    """`path` with every directory that holds one of `names` replaced by a folder of
    symlinks to everything else in it (under `folder`): those programs are not found,
    all others still are."""
    out = []
    shadows: dict[str, Path] = {}
    for entry in path.split(os.pathsep):
        if not entry or not any(os.path.exists(os.path.join(entry, n)) for n in names):
            out.append(entry)
            continue
        real = os.path.realpath(entry)
        if real not in shadows:
            shadow = shadows[real] = folder / str(len(shadows))
            shadow.mkdir(parents=True, exist_ok=True)
            for name in os.listdir(entry):
                link = shadow / name
                if name not in names and not os.path.lexists(link):
                    link.symlink_to(os.path.join(real, name))
        out.append(str(shadows[real]))
    return os.pathsep.join(out)


# ----------------------------------------------------------------------------- browser


def missing_chromium() -> str | None:
    """Why the browser layer cannot run here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install -y "
            f"chromium`, which scripts/test.sh does as root)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            'the `playwright` Python package is missing: pip install -e ".[test]" '
            "(never `playwright install`: it downloads a browser)"
        )
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


class Guard:
    """Watches one browser context: every request that is not the local server, `data:` or
    `blob:` is aborted and recorded (also websockets and popups), console errors and page
    errors are recorded, and dialogs (alert/confirm/prompt) are recorded and dismissed."""

    def __init__(self, context, server_url: str):
        self.server_url = server_url.rstrip("/")
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.kernel_info_replies = 0
        self.context = context
        context.route("**/*", self._route)
        # websockets bypass route(): those not to the local server are refused here
        context.route_web_socket(lambda url: not self._local(url), self._refuse_websocket)
        context.on("page", self._watch)

    def _local(self, url: str) -> bool:
        if url.startswith(("data:", "blob:")):
            return True
        local = re.sub(r"^http", "ws", self.server_url)
        return any(url == base or url.startswith(base + "/") for base in (self.server_url, local))

    def _route(self, route):
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _refuse_websocket(self, ws):
        self.blocked.append(ws.url)
        ws.close()

    def _watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", self._pageerror)
        page.on("dialog", self._dialog)
        page.on("websocket", self._websocket)

    def _console(self, msg):
        if msg.type != "error":
            return
        text = msg.text
        if any(ignored in text for ignored in IGNORED_CONSOLE_ERRORS):
            return
        if "net::ERR_BLOCKED_BY_CLIENT" in text and self.blocked:
            return  # the blocked request itself is reported, once, by `blocked`
        self.console_errors.append(text)

    def _pageerror(self, exc):
        text = f"{exc}"
        if not any(ignored in text for ignored in IGNORED_CONSOLE_ERRORS):
            self.console_errors.append(f"uncaught: {text}\n    {(exc.stack or '')[:600]}")

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        try:
            dialog.dismiss()
        except Exception:  # noqa: BLE001 - the page may be closing
            pass

    def _websocket(self, ws):
        if self._local(ws.url):
            ws.on("framereceived", self._frame)

    def _frame(self, payload):
        needle = "kernel_info_reply"
        if isinstance(payload, (bytes, bytearray)):
            found = needle.encode() in payload
        else:
            found = needle in payload
        if found:
            self.kernel_info_replies += 1

    def mark(self) -> tuple[int, int, int]:
        """A point in time for problems(since=...)."""
        return len(self.blocked), len(self.dialogs), len(self.console_errors)

    def problems(self, since: tuple[int, int, int] = (0, 0, 0)) -> list[str]:
        blocked = self.blocked[since[0] :]
        dialogs = self.dialogs[since[1] :]
        errors = self.console_errors[since[2] :]
        out = []
        if blocked:
            out.append(
                "requests that would have left localhost (blocked): "
                + ", ".join(sorted(set(blocked)))
            )
        if dialogs:
            out.append("dialogs opened: " + "; ".join(dialogs))
        if errors:
            out.append("console errors:\n  " + "\n  ".join(errors))
        return out


# a projector: 1024×768 at 150 % browser zoom is a 683×512 CSS px viewport at 1.5 px per px
PROJECTOR = {"viewport": {"width": 683, "height": 512}, "device_scale_factor": 1.5}


def new_context(browser, server: JupyterServer, viewport=None, device_scale_factor=None):
    """A browser context for `server` (VIEWPORT unless told; PROJECTOR's size for the
    presentation tests), watched by a Guard."""
    extra = {} if device_scale_factor is None else {"device_scale_factor": device_scale_factor}
    context = browser.new_context(
        viewport=viewport or VIEWPORT, accept_downloads=True, service_workers="block", **extra
    )
    guard = Guard(context, server.url)
    return context, guard


# the notebook driver lives in notebook.py; harness.Notebook stays the name callers use
from .notebook import Notebook, NotebookError  # noqa: E402,F401
