// Your own points in the page's address: quantized, packed into bytes, written in base64url.
//
// Every coordinate (and every target value) lies in [-LIMIT, LIMIT] and is kept to STEP = 0.001:
// k = round((v + LIMIT) / STEP) is a whole number from 0 to 20,000, which fits in 15 bits. So a point of two
// classes takes 4 bytes (x's 15 bits and the class in the 16th, then y), a point of up to four classes 4 bytes too
// (the class's two bits in the 16th bits of x and of y), a point with a target value 6 bytes (x, y, value). The first
// byte says which: 0 two classes, 1 values, 2 four classes. 2,000 points are 8,001 bytes, 10,668 characters.
"use strict";

const PointCodec = (() => {
  const LIMIT = 10;
  const STEP = 0.001;
  const SCALE = 1 / STEP;

  /** v kept to the nearest multiple of STEP, as the link will hold it (and nothing else). */
  function quantize(v) {
    return Math.round((v + LIMIT) * SCALE) / SCALE - LIMIT;
  }

  const toInt = (v) => Math.round((v + LIMIT) * SCALE);
  // the same decimal the learner would type: k / 1000 − 10, rounded to 3 decimals
  const fromInt = (k) => Number((k / SCALE - LIMIT).toFixed(3));

  function inRange(v) {
    return Number.isFinite(v) && v >= -LIMIT && v <= LIMIT;
  }

  /** [[x, y, label], ...] → base64url text; kind "classes" (labels 0 to 3) or "values". */
  function encode(points, kind) {
    const width = kind === "values" ? 6 : 4;
    const bytes = new Uint8Array(1 + width * points.length);
    const four = kind !== "values" && points.some((p) => p[2] > 1);
    bytes[0] = kind === "values" ? 1 : four ? 2 : 0;
    const view = new DataView(bytes.buffer);
    points.forEach(([x, y, l], k) => {
      for (const v of [x, y, l].slice(0, kind === "values" ? 3 : 2)) {
        if (!inRange(v)) throw new Error(`a point's number ${v} is outside −${LIMIT} to ${LIMIT}`);
      }
      const at = 1 + width * k;
      if (kind === "values") {
        view.setUint16(at, toInt(x));
        view.setUint16(at + 2, toInt(y));
        view.setUint16(at + 4, toInt(l));
      } else {
        if (!(Number.isInteger(l) && l >= 0 && l <= 3)) throw new Error(`a point's class ${l} is not 0, 1, 2 or 3`);
        view.setUint16(at, toInt(x) | (l & 1 ? 0x8000 : 0));
        view.setUint16(at + 2, toInt(y) | (l & 2 ? 0x8000 : 0));
      }
    });
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** base64url text → { kind, points }; throws an Error saying what is wrong with it. */
  function decode(text) {
    let raw;
    try {
      raw = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    } catch (err) {
      throw new Error("the points in the address are not valid base64");
    }
    const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    if (!bytes.length || bytes[0] > 2) throw new Error("the points in the address have an unknown format");
    const kind = bytes[0] === 1 ? "values" : "classes";
    const width = kind === "values" ? 6 : 4;
    if ((bytes.length - 1) % width) throw new Error("the points in the address are cut short");
    const view = new DataView(bytes.buffer);
    const points = [];
    for (let at = 1; at < bytes.length; at += width) {
      const first = view.getUint16(at);
      const second = view.getUint16(at + 2);
      const k = kind === "values" ? [first, second, view.getUint16(at + 4)] : [first & 0x7fff, bytes[0] === 2 ? second & 0x7fff : second];
      if (k.some((v) => v > 2 * LIMIT * SCALE)) throw new Error("a point in the address is outside the plane");
      const label = (first & 0x8000 ? 1 : 0) + (bytes[0] === 2 && second & 0x8000 ? 2 : 0);
      points.push(kind === "values" ? k.map(fromInt) : [fromInt(k[0]), fromInt(k[1]), label]);
    }
    return { kind, points };
  }

  return { encode, decode, quantize, inRange, LIMIT, STEP };
})();
