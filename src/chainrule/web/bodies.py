"""How big a JSON request body can be in shape, read from its schema, and a check of the raw bytes against it.

A JSON body of 1 MB (the server's size limit) can hold 60,000 keys or
300,000 list items. Parsing that and validating it would cost the event loop
tens of milliseconds, and a list of one error per key or item (what pydantic
builds) another second and megabytes of answer: a few small requests could
then hold up every other one. But no valid request comes near that: the
request models bound every list and name every field, so their schema says
how many keys and list items, how many strings, how many lists and objects
and how deep a nesting a valid body can have at most (``Shape``).

``excess(body, shape)`` counts those in the raw bytes, with a few passes of
bytes methods (no parsing, no Python loop over the body), and names the first
one far over the schema's bound: more than twice the bound and 16 (``slack``),
or nested more than 2 levels deeper. The slack leaves the ordinary mistakes
(a misspelt key beside the right ones, a text or a list where a number goes)
to pydantic, whose message names the field; the bodies that could cost
something are refused. A body refused here never reaches ``json.loads`` or
pydantic; a body that passes is small in every way that costs, so its parsing
and validation are bounded too. The counts are sound lower bounds of what the
body holds, so a valid body is never refused:

* strings: every ``"`` not escaped by a backslash opens or closes one (a key
  is a string);
* keys and list items: each comma outside strings separates two of them;
* lists and objects: each ``[`` or ``{`` outside strings opens one;
* nesting: the brackets outside strings, innermost pairs removed one level
  at a time.

The bytes are read as UTF-8 (the only encoding the explorer takes): in
UTF-8 no byte of a multi-byte character is a quote, a comma or a bracket.
Only the HTTP layer uses this: it knows nothing of what the fields mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Everything but brackets, removed from the text outside strings to see how deep it nests.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
# A schema nests lists and objects this deep at most before it counts as unbounded (a model that refers to itself).
_MAX_SCHEMA_DEPTH = 32


@dataclass(frozen=True)
class Shape:
    """The most a valid body holds: ``items`` keys and list items in all, ``strings`` strings (keys included),
    ``containers`` lists and objects, nested at most ``depth`` deep (a flat object is 1)."""

    items: int
    strings: int
    containers: int
    depth: int


_LEAF = Shape(0, 0, 0, 0)


def slack(bound: int) -> int:
    """How many keys and items (strings, lists and objects) a body may hold before it is refused unread."""
    return 2 * bound + 16


# How much deeper than its schema a body may nest before it is refused unread.
DEPTH_SLACK = 2


def _resolve(schema: dict, spec: dict) -> dict:
    for _ in range(20):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not ref:
            return schema if isinstance(schema, dict) else {}
        name = ref.rsplit("/", 1)[-1]
        schema = spec.get("components", {}).get("schemas", {}).get(name) or spec.get("$defs", {}).get(name, {})
    return {}


def _can_be_string(schema: dict) -> bool:
    kind = schema.get("type")
    if "enum" in schema:
        return any(isinstance(v, str) for v in schema["enum"])
    if "const" in schema:
        return isinstance(schema["const"], str)
    if kind is None:  # no type said: anything, a string included
        return True
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _largest(shapes: list[Shape | None]) -> Shape | None:
    if any(s is None for s in shapes):
        return None
    if not shapes:
        return _LEAF
    return Shape(*(max(getattr(s, f) for s in shapes) for f in ("items", "strings", "containers", "depth")))


def shape_of(schema: dict, spec: dict, _level: int = 0) -> Shape | None:
    """The ``Shape`` of the JSON values ``schema`` accepts (``$ref`` resolved in ``spec``); None if unbounded:
    a list without ``maxItems``, an object that accepts keys it does not name (``additionalProperties`` not
    false: a model without ``extra="forbid"``, a map), a model that contains itself."""
    if _level > _MAX_SCHEMA_DEPTH:
        return None
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _largest([shape_of(option, spec, _level + 1) for option in schema[key]])
    if "allOf" in schema:  # every one of them must hold: the smallest bound would do; the largest is safe
        return _largest([shape_of(part, spec, _level + 1) for part in schema["allOf"]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if schema.get("additionalProperties", True) is not False:  # keys the model does not name are accepted
            return None
        fields = [shape_of(s, spec, _level + 1) for s in schema.get("properties", {}).values()]
        if any(f is None for f in fields):
            return None
        return Shape(items=sum(1 + f.items for f in fields), strings=sum(1 + f.strings for f in fields),
                     containers=1 + sum(f.containers for f in fields), depth=1 + max((f.depth for f in fields), default=0))
    if kind == "array":
        prefix = [shape_of(s, spec, _level + 1) for s in schema.get("prefixItems", [])]
        items = schema.get("items", {})  # absent: any value
        most = schema.get("maxItems")
        if items is False:
            most = len(prefix) if most is None else min(most, len(prefix))
        if most is None:
            return None
        positions = prefix[:most] + [shape_of(items, spec, _level + 1)] * max(0, most - len(prefix))
        if any(p is None for p in positions):
            return None
        return Shape(items=sum(1 + p.items for p in positions), strings=sum(p.strings for p in positions),
                     containers=1 + sum(p.containers for p in positions),
                     depth=1 + max((p.depth for p in positions), default=0))
    return Shape(0, 1 if _can_be_string(schema) else 0, 0, 0)


def looks_like_utf8_json(body: bytes) -> bool:
    """False for bytes that JSON in UTF-8 never holds (a NUL byte: UTF-16 and UTF-32 text, binary data)."""
    return b"\x00" not in body


def excess(body: bytes, shape: Shape) -> tuple[str, str] | None:
    """What the raw JSON ``body`` holds far more of than ``shape`` allows (beyond ``slack``), as (what was found,
    what a valid body holds); None when it is within every limit (it may still be invalid: pydantic says why).

    Linear in the size of the body, in bytes methods; the Python work is bounded by the shape.
    """
    text = body
    if b"\\" in text:  # in JSON a backslash is only ever inside a string: drop escaped backslashes and quotes
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    strings = text.count(b'"') // 2
    if strings > slack(shape.strings):
        return f"{strings:,} strings (keys and text values)", f"at most {shape.strings:,} string{'s' * (shape.strings != 1)}"
    outside = b"".join(text.split(b'"')[0::2])  # at most 2 × slack(shape.strings) + 1 pieces
    commas = outside.count(b",")
    if commas and commas + 1 > slack(shape.items):
        most = shape.items
        return (f"at least {commas + 1:,} keys and list items",
                f"at most {most:,} {'key or list item' if most == 1 else 'keys and list items in all'}")
    opened = outside.count(b"[") + outside.count(b"{")
    if opened > slack(shape.containers):
        most = shape.containers
        return f"{opened:,} lists and objects", f"at most {most:,} {'list or object' if most == 1 else 'lists and objects'}"
    if opened and opened == outside.count(b"]") + outside.count(b"}"):  # unbalanced: json.loads says where
        brackets = outside.translate(None, _NOT_BRACKETS)  # at most 2 × slack(shape.containers) bytes
        for _ in range(shape.depth + DEPTH_SLACK):
            brackets = _INNERMOST.sub(b"", brackets)
            if not brackets:
                break
        if brackets:
            return (f"lists and objects nested more than {shape.depth + DEPTH_SLACK} deep",
                    f"lists and objects nested at most {shape.depth} deep")
    return None
