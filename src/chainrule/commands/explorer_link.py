"""An explorer link read back: the lesson and the numbers a page of ``chainrule serve`` was showing.

A teacher sets the explorer up in the browser, copies the address, and
``chainrule animate --from-url`` makes the film of exactly that. Two pages
hold a backward pass to animate, and their addresses keep their whole state:

* the home page, ``/?i=2&w=0.3&y=1&lr=0.1&tol=1e-6&k=3``: the video's network
  i —w→ a, C = (a − y)² (the lesson ``simplest``) with input i, target y,
  starting weight w, learning rate lr and the stop rule's tolerance tol,
  standing at step k of its descent (``web/static/js/simplest.js``: its
  ``FIELDS`` and ``COUNTER``, which ``HOME_FIELDS`` and ``HOME_STEP`` repeat);
* the step-through, ``/backprop?lesson=wide&forward=1&edge=5``: a lesson's
  network (the page's default is wide), standing at edge 5 of its backward
  pass (``web/static/js/backprop.js``: its ``SPEC``).

Only the path's last part names the page, so a link to the explorer
published under a folder (a static host) reads the same. The page shows a
setting it cannot use with a note and goes on; a file is made once, so here
a setting that cannot be used is refused, in one line that names it and says
what is allowed: an unknown key, a key given twice, a number out of the
lesson's declared bounds (the lesson's own check, ``Param.check_number``), an
exercise's settings (the film shows every answer), the layers folded on the
page (``collapse``: the film draws every layer), the playground (its network
is not a lesson). The static explorer's pages are folders
(``/backprop/?lesson=wide``): their links read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from .. import lessons
from ..errors import InvalidValueError

__all__ = ["Link", "read_link", "HOME_FIELDS", "HOME_STEP", "STEP_THROUGH_KEYS", "EXERCISE_KEYS", "VIEW_KEYS",
           "MAX_LINK"]

# The home page's address keys → the simplest lesson's parameters (simplest.js: FIELDS), and its step counter k.
HOME_FIELDS = {"i": "input", "y": "target", "w": "weight", "lr": "learning_rate", "tol": "tolerance"}
HOME_STEP = ("k", "steps")  # (the key, the declared parameter that bounds it)
# The step-through's keys (backprop.js: SPEC) that a film can follow, and the exercise's, which it cannot.
STEP_THROUGH_KEYS = ("lesson", "forward", "edge")
EXERCISE_KEYS = ("mode", "seed", "marks")
VIEW_KEYS = ("collapse",)  # how the page draws the graph (layers folded into boxes): a film draws every layer
DEFAULT_STEP_THROUGH = "wide"  # the lesson the step-through opens on when its address names none
MAX_LINK = 2000  # characters: a browser's address, with room to spare
HOME_PAGES, STEP_THROUGH_PAGES = ("", "index.html"), ("backprop", "backprop.html")


@dataclass(frozen=True)
class Link:
    """What a link sets up: the lesson, its parameters, where the page stood (``step`` of the descent, ``edge``)."""

    url: str
    page: str  # "home" or "step-through"
    lesson: str
    params: dict = field(default_factory=dict)
    step: int = 0  # the home page: the step of the descent it shows (k)
    edge: int = 0  # the step-through: how many edges of the backward pass it has shown


def _query(url: str, known: tuple[str, ...], page: str) -> dict[str, str]:
    """The address's keys and values; a key this page does not read, or one given twice, refused."""
    values: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key in values:
            raise InvalidValueError(f"{key} is given twice in the link; give it once")
        if key in EXERCISE_KEYS and page == "step-through":
            raise InvalidValueError(f"{key}={value!r} in the link is an exercise's setting: an animation shows the "
                                    "step-through, every answer included; leave mode, seed and marks out")
        if key in VIEW_KEYS and page == "step-through":
            raise InvalidValueError(f"{key}={value!r} in the link folds layers of the graph on the page; an animation "
                                    f"draws every layer: leave {key} out")
        if key not in known:
            raise InvalidValueError(f"{key!r} in the link is not a setting of the {page} page; its settings: "
                                    f"{', '.join(known)}")
        values[key] = value
    return values


def _number(params, name: str, key: str, raw: str):
    """``raw`` as the lesson's parameter ``name`` (its own check: kind, bounds), named by the link's ``key``."""
    param = params[name]
    what = f"{key} in the link ({param.help})"
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValueError(f"{what} = {raw!r} is not a number; allowed: {param.allowed()}") from None
    return param.check_number(value, what)


def _home(url: str) -> Link:
    step_key, step_param = HOME_STEP
    values = _query(url, (*HOME_FIELDS, step_key), "home")
    params = lessons.load("simplest").params
    chosen = {name: _number(params, name, key, values[key]) for key, name in HOME_FIELDS.items() if key in values}
    step = _number(params, step_param, step_key, values[step_key]) if step_key in values else 0
    return Link(url, "home", "simplest", chosen, step=step)


def _step_through(url: str) -> Link:
    values = _query(url, STEP_THROUGH_KEYS, "step-through")
    name = values.get("lesson", DEFAULT_STEP_THROUGH)
    offered = lessons.step_through()
    if name not in offered:
        raise InvalidValueError(f"lesson={name!r} in the link is not a network to step through; allowed: "
                                f"{', '.join(offered)}")
    edge = 0
    if "edge" in values:
        raw = values["edge"].strip()
        if not raw.isdigit() or not raw.isascii():
            raise InvalidValueError(f"edge={values['edge']!r} in the link is not allowed; allowed: a whole number "
                                    "from 0 to the network's edges")
        edge = int(raw)
    if values.get("forward", "0").strip() not in ("0", "1"):
        raise InvalidValueError(f"forward={values['forward']!r} in the link is not allowed; allowed: 0 or 1")
    return Link(url, "step-through", name, edge=edge)


def read_link(url: str) -> Link:
    """The lesson and numbers of an explorer link (see the module docstring); anything else refused in one line."""
    if len(url) > MAX_LINK:
        raise InvalidValueError(f"the link is {len(url)} characters long; allowed: at most {MAX_LINK}")
    if not url.isprintable():
        raise InvalidValueError(f"the link {url!r} holds a character that is not printable; give the address as "
                                "the browser shows it")
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https"):
        raise InvalidValueError(f"the link {url!r} is not an explorer address; allowed: an http(s) address or a "
                                "path such as /?i=2&w=0.3 or /backprop?lesson=wide")
    segments = parts.path.split("/")
    page = segments[-1]
    if page in ("", "index.html") and len(segments) > 2 and segments[-2] in ("backprop", "playground"):
        page = segments[-2]  # the static explorer's pages are folders: /backprop/?lesson=wide
    if parts.path and not parts.path.startswith("/"):
        page = None
    if page in HOME_PAGES:
        return _home(url)
    if page in STEP_THROUGH_PAGES:
        return _step_through(url)
    if page in ("playground", "playground.html"):
        raise InvalidValueError("the link is the playground's: its network is trained with numpy, not a lesson to "
                                "animate; animate the home page (/) or the step-through (/backprop?lesson=…)")
    raise InvalidValueError(f"the link's page {parts.path!r} is not one of the explorer's with a backward pass; "
                            "allowed: / (the video's network) or /backprop?lesson=…")
