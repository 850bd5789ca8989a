"""One self-contained HTML page that plays an animation offline: the frames inline, play/pause/step buttons.

For slides and course pages (an LMS that takes one file): the page needs
nothing but a browser, and asks nothing of the network. Every frame is a PNG
inside the page itself (a ``data:`` URI), the player a short inline script,
and the page's Content-Security-Policy forbids every fetch, so even a
mistake could not load anything from anywhere.

The frames travel as JSON in the page (``<script type="application/json"
id="chainrule-frames">``): each one's kind, title and caption, and for an edge
of the backward pass the trace's event (its number in the backward order, its
edge, the local derivative, the running product and the sum after it), so a
reader, or a test, can check the film against the step-through's own trace.
The caption is also read out to screen readers as the frames change.

Keys: Space plays or pauses, ← and → step, Home and End go to the ends.
"""

from __future__ import annotations

import base64
import html
import json

from .story import Story

__all__ = ["page", "CSP", "DATA_ID"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
DATA_ID = "chainrule-frames"

STYLE = """
html, body { margin: 0; background: #f5f7fa; color: #1f2933; font: 15px/1.45 system-ui, sans-serif; }
main { max-width: 100%; padding: 12px 16px; box-sizing: border-box; }
h1 { font-size: 17px; margin: 0 0 8px; }
figure { margin: 0; }
img { display: block; max-width: 100%; height: auto; border: 1px solid #d9dee5; border-radius: 6px; background: #fff; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 10px 0 6px; }
button { font: inherit; min-width: 44px; min-height: 36px; padding: 4px 12px; border-radius: 6px;
  border: 1px solid #b8c2cf; background: #fff; color: #1f2933; cursor: pointer; }
button.primary { background: #2f6fdd; border-color: #2f6fdd; color: #fff; }
button:focus-visible, input:focus-visible { outline: 2px solid #2f6fdd; outline-offset: 2px; }
input[type=range] { flex: 1 1 200px; accent-color: #2f6fdd; }
#counter { font-family: ui-monospace, "DejaVu Sans Mono", monospace; min-width: 7em; }
.note { color: #4a5563; font-size: 13px; margin: 4px 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""

SCRIPT = """
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("%(data_id)s").textContent);
  const frames = data.frames;
  const $ = (id) => document.getElementById(id);
  const img = $("frame"), seek = $("seek"), counter = $("counter"), caption = $("caption"), play = $("play");
  let at = 0;
  let timer = null;

  function show(k) {
    at = Math.max(0, Math.min(frames.length - 1, k));
    const f = frames[at];
    img.src = f.image;
    img.alt = `${f.title}. ${f.caption.join(" ")}`;
    caption.textContent = `${f.title}. ${f.caption.join(" ")}`;
    seek.value = String(at);
    counter.textContent = `${at + 1} / ${frames.length}`;
    document.body.dataset.frame = String(at);
    $("back").disabled = $("first").disabled = at === 0;
    $("next").disabled = $("last").disabled = at === frames.length - 1;
  }

  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "▶ Play";
    document.body.dataset.playing = "0";
  }

  function start() {
    if (at >= frames.length - 1) show(0);
    timer = setInterval(() => (at >= frames.length - 1 ? pause() : show(at + 1)), 1000 / data.fps);
    play.textContent = "Pause";
    document.body.dataset.playing = "1";
  }

  const toggle = () => (timer === null ? start() : pause());
  const go = (k) => { pause(); show(k); };
  play.addEventListener("click", toggle);
  $("first").addEventListener("click", () => go(0));
  $("back").addEventListener("click", () => go(at - 1));
  $("next").addEventListener("click", () => go(at + 1));
  $("last").addEventListener("click", () => go(frames.length - 1));
  seek.addEventListener("input", () => go(Number(seek.value)));
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement && e.key !== " ") return;
    const keys = { " ": toggle, ArrowLeft: () => go(at - 1), ArrowRight: () => go(at + 1), Home: () => go(0),
      End: () => go(frames.length - 1) };
    if (keys[e.key] && !(e.target instanceof HTMLButtonElement && e.key === " ")) {
      e.preventDefault();
      keys[e.key]();
    }
  });
  show(data.start);
})();
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def page(story: Story, images: list[bytes], fps: float, start: int = 0, source: str = "") -> str:
    """The page: ``images`` (one PNG per frame of ``story``, in order), played at ``fps``, opening on ``start``.

    ``source``: the command or link the film was made from, said under it.
    """
    if len(images) != len(story.frames):
        raise ValueError(f"{len(images)} images for {len(story.frames)} frames")
    frames = [{**f.to_json(), "image": data_uri(png)} for f, png in zip(story.frames, images)]
    start = max(0, min(start, len(frames) - 1))
    data = {"lesson": story.name, "fps": fps, "start": start, "edges": story.edges, "frames": frames}
    # in a <script> element, "</" would end the element: JSON allows writing it "<\\/"
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    first = story.frames[start]
    title = f"chainrule · {story.name}: the backward pass, edge by edge" + (", then the descent" if story.curves else "")
    made = f"Made with chainrule from {html.escape(source)}. " if source else ""
    return "\n".join([
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{html.escape(title)}</h1>",
        "<figure>",
        f'<img id="frame" src="{frames[start]["image"]}" alt="{html.escape(first.title)}">',
        '<figcaption id="caption" class="sr-only" aria-live="polite"></figcaption>',
        "</figure>",
        '<div class="controls" role="group" aria-label="Playback">',
        '<button id="first" type="button" aria-label="First frame">|◀</button>',
        '<button id="back" type="button" aria-label="Step back">◀</button>',
        '<button id="play" type="button" class="primary">▶ Play</button>',
        '<button id="next" type="button" aria-label="Step forward">▶</button>',
        '<button id="last" type="button" aria-label="Last frame">▶|</button>',
        f'<input id="seek" type="range" min="0" max="{len(frames) - 1}" value="{start}" step="1" aria-label="Frame">',
        f'<span id="counter">{start + 1} / {len(frames)}</span>',
        "</div>",
        f'<p class="note">{made}Space plays or pauses, ← and → step one frame, Home and End go to the ends.</p>',
        "</main>",
        f'<script type="application/json" id="{DATA_ID}">{payload}</script>',
        f"<script>{SCRIPT % {'data_id': DATA_ID}}</script>",
        "</body>",
        "</html>",
        "",
    ])
