"""An executed workshop notebook as a self-contained HTML handout, for a projector and paper.

    from handout import write_handout
    write_handout(executed_notebook, out_dir / "01_pull.html", notebook_dir=Path("notebooks"))

nbconvert's `lab` template, with what would reach the network taken out: no require.js,
MathJax, Mermaid or widget manager is loaded and the widget state is not embedded. A
widget's output shows its static fallback instead (the timeline's image/png, the state
machines' image/svg+xml, else its text), and every picture is a `data:` URI, so the page
opens from disk with nothing else. Markdown `<details>` blocks work as in Jupyter (a
blank line after `<summary>` lets Markdown inside) and are opened for printing. Each traced
cell (`%%asynctrace ... --out NAME`) is wrapped in `<section class="avz-traced"
data-out="NAME" data-view="VIEW" id="out-NAME">` with a line linking its exported files.

`external_references(html)` lists whatever the page would load from outside itself; it
is empty for every handout this module writes (write_handout raises otherwise).
"""

from __future__ import annotations

import base64
import copy
import html
import mimetypes
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat

# mime types that need a front-end or run code: never in a handout
DROPPED_MIME = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "application/javascript",
    "text/vnd.mermaid",
)
# what the magic exports for a traced cell, in the order the handout lists them
EXPORTS = (".png", ".svg", ".states.svg", ".dot", ".txt", ".html", ".json", ".avz")

CSS = """
:root {
  --jp-content-font-size1: 17px;
  --jp-code-font-size: 15px;
  --jp-ui-font-size1: 15px;
  --jp-content-line-height: 1.55;
}
body.jp-Notebook {
  max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; overflow: visible;
  font-family: var(--jp-ui-font-family);
}
.jp-Notebook .jp-Cell { padding: 4px 0; }
.jp-RenderedMarkdown { font-size: 18px; line-height: 1.55; }
.jp-RenderedMarkdown h1 { font-size: 2em; }
.jp-RenderedMarkdown :not(pre) > code { white-space: nowrap; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-InputArea-editor { border-radius: 4px; }
details {
  border-left: 4px solid #0072B2; background: #f3f7fa; padding: 6px 14px; margin: 10px 0;
}
details > summary { cursor: pointer; font-weight: 600; color: #0b4f7c; }
details[open] > summary { margin-bottom: 6px; }
.avz-traced { border-left: 4px solid #E69F00; padding-left: 8px; margin: 10px 0; }
.avz-exports { font-size: 13px; color: #555; margin: 2px 0 8px 4px; }
.avz-exports a { color: inherit; }
.avz-colophon { font-size: 13px; color: #666; margin-top: 40px; border-top: 1px solid #ddd; }
.jp-OutputArea-output { overflow-x: auto; }
@media print {
  @page { margin: 14mm; }
  :root { --jp-content-font-size1: 11pt; --jp-code-font-size: 9.5pt; --jp-ui-font-size1: 10pt; }
  body.jp-Notebook { max-width: none; padding: 0; }
  .jp-RenderedMarkdown { font-size: 11pt; }
  .jp-RenderedHTMLCommon table { font-size: 7.5pt; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 2px 5px; }
  .jp-OutputArea-output img { break-inside: avoid; max-height: 24cm; object-fit: contain; }
  .jp-CodeCell, details { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  details > summary { list-style: none; }
  .avz-exports { display: none; }
}
"""

# opens every <details> for printing (paper cannot be clicked) and closes them again after
PRINT_JS = """
(function () {
  var opened = [];
  addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
"""

TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">{{ resources.handout_css }}</style>
{%- endblock html_head_css -%}
{%- macro alt(output, what) -%}
{{ (output.data.get('text/plain') or what) | escape_html }}
{%- endmacro -%}
{% block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" \
alt="{{ alt(output, 'picture') }}"
{%- set width = output | get_metadata('width', 'image/png') -%}
{%- if width is not none %} width={{ width | escape_html }}{% endif -%}
{%- set height = output | get_metadata('height', 'image/png') -%}
{%- if height is not none %} height={{ height | escape_html }}{% endif -%}
>
</div>
{%- endblock data_png %}
{% block data_svg scoped -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
<img src="data:image/svg+xml;base64,\
{{- output.data['image/svg+xml'] | text_base64 | escape_html }}" \
alt="{{ alt(output, 'diagram') }}">
</div>
{%- endblock data_svg %}
{%- block codecell -%}
{%- set avz = cell.metadata.get('asyncviz_handout') -%}
{%- if avz -%}
<section class="avz-traced" id="out-{{ avz.out }}" data-out="{{ avz.out }}" \
data-view="{{ avz.view }}">
{{ super() }}
{%- if avz.exports %}
<div class="avz-exports">exported as {% for name in avz.exports -%}
<a href="{{ name | escape_html }}">{{ name | escape_html }}</a>{{ " · " if not loop.last }}
{%- endfor %}</div>
{%- endif %}
</section>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock codecell -%}
{% block body_footer %}
<div class="avz-colophon">{{ resources.handout_colophon | escape_html }}</div>
</main>
<script>{{ resources.handout_js }}</script>
</body>
{% endblock body_footer %}
"""


def traced_options(source: str) -> dict | None:
    """{'out': NAME or None, 'view': VIEW} for a cell that starts with %%asynctrace, else
    None. Only the two options the handout needs, read as the magic's parser would."""
    first = source.lstrip("\n").split("\n", 1)[0].strip()
    if not first.startswith("%%asynctrace"):
        return None
    try:
        words = shlex.split(first[len("%%asynctrace") :])
    except ValueError:
        words = first.split()[1:]
    found: dict = {"out": None, "view": "timeline"}
    for i, word in enumerate(words):
        key, eq, value = word.partition("=")
        if key in ("--out", "--view"):
            if not eq:
                value = words[i + 1] if i + 1 < len(words) else ""
            if value.strip("'\""):
                found[key[2:]] = value.strip("'\"")
    return found


def static_copy(nb, export_dir: Path | None = None):
    """A copy of `nb` that a page can show without a front-end: widget state and views,
    JavaScript and Mermaid outputs dropped (a widget keeps its static fallback), each
    traced cell marked for the template with its --out name, view and exported files."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("asyncviz_handout", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result"):
                for mime in DROPPED_MIME:
                    out.get("data", {}).pop(mime, None)
                if not out.get("data"):
                    continue
            outputs.append(out)
        cell.outputs = outputs
        options = traced_options(cell.source)
        if options and options["out"]:
            exports = []
            if export_dir is not None:
                exports = [
                    options["out"] + suffix
                    for suffix in EXPORTS
                    if (export_dir / (options["out"] + suffix)).is_file()
                ]
            cell.metadata["asyncviz_handout"] = {**options, "exports": exports}
    return nb


def title_of(nb, default: str) -> str:
    """The text of the first Markdown heading, without its markup, else `default`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.M)
        if m:
            text = re.sub(r"[`*_]|<[^>]+>", "", m.group(1))
            return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip() or default
    return default


def render(nb, *, name: str, notebook_dir: Path | None = None, export_dir: Path | None = None):
    """The handout of executed notebook `nb` as one HTML string."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    shown = static_copy(nb, export_dir)
    shown.metadata["title"] = title_of(shown, name)
    exporter = HTMLExporter(
        template_name="lab",
        template_file="handout.html.j2",
        extra_loaders=[DictLoader({"handout.html.j2": TEMPLATE})],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # not embed_images=True: it re-parses each HTML block alone and so closes a
        # <details> before the Markdown inside it; embed_local_images does it on the page
        theme="light",
    )
    python = shown.metadata.get("language_info", {}).get("version", "?")
    resources = {
        "metadata": {"name": name, "path": str(notebook_dir or Path.cwd())},
        "handout_css": CSS,
        "handout_js": PRINT_JS,
        "handout_colophon": f"{name}.ipynb, executed with Python {python}.",
    }
    body, _ = exporter.from_notebook_node(shown, resources=resources)
    return embed_local_images(body, notebook_dir or Path.cwd())


_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.I | re.S)


def embed_local_images(page: str, base: Path) -> str:
    """Every <img src> that names a file under `base` (Markdown images beside the
    notebook) replaced by a data: URI; other sources are left for external_references."""

    def inline(m: re.Match) -> str:
        src = html.unescape(m.group(3))
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", src, re.I):
            return m.group(0)  # data:, http:, file: ... or a fragment
        path = (base / unquote(src.split("#", 1)[0].split("?", 1)[0])).resolve()
        mime = mimetypes.guess_type(path.name)[0]
        if not (path.is_file() and mime and mime.startswith("image/")):
            return m.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{m.group(1)}{m.group(2)}data:{mime};base64,{data}{m.group(2)}"

    return _IMG_SRC.sub(inline, page)


def write_handout(
    nb, path: Path, *, notebook_dir: Path | None = None, export_dir: Path | None = None
) -> Path:
    """Write the handout of `nb` to `path`; ValueError if it would load anything."""
    page = render(nb, name=path.stem, notebook_dir=notebook_dir, export_dir=export_dir)
    outside = external_references(page)
    if outside:
        shown = ", ".join(sorted(set(outside))[:5])
        raise ValueError(f"{path.name} would load {len(outside)} outside resources: {shown}")
    path.write_text(page, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ checking

# attributes a browser fetches on load (not <a href>: a link is only followed when clicked)
_LOADING = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "image": ("href", "xlink:href"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "source": ("src", "srcset"),
    "track": ("src",),
    "input": ("src",),
    "use": ("href", "xlink:href"),
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I)


def _inside(url: str) -> bool:
    url = url.strip()
    return url == "" or url.startswith(("data:", "#", "about:blank"))


def _srcset(value: str) -> list[str]:
    """The URLs of a srcset (a URL runs to the next space: data: URIs hold commas)."""
    urls, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        j = i
        while j < n and not value[j].isspace():
            j += 1
        url = value[i:j]
        if url.endswith(","):  # no descriptor: the comma ends the candidate
            url = url.rstrip(",")
        else:  # skip the descriptors, to the comma after them
            k = value.find(",", j)
            j = n if k < 0 else k + 1
        if url:
            urls.append(url)
        i = j
    return urls


class _References(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value is None:
                continue
            if key in _LOADING.get(tag, ()):
                urls = _srcset(value) if key == "srcset" else [value]
                self.found += [f"<{tag} {key}={u}>" for u in urls if not _inside(u)]
            elif key == "style":
                self._css(value, f"<{tag} style>")
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self._css(data, "<style>")

    def _css(self, text, where):
        for m in _CSS_URL.finditer(text):
            url = m.group(2) if m.group(2) is not None else m.group(4)
            if not _inside(html.unescape(url)):
                self.found.append(f"{where} {url}")


def external_references(page: str) -> list[str]:
    """Everything `page` would fetch from outside itself on load: scripts, stylesheets,
    images, frames, media and CSS url()/@import that are not data: URIs or fragments."""
    parser = _References()
    parser.feed(page)
    parser.close()
    return parser.found


def read(path: Path):
    return nbformat.read(path, as_version=4)
