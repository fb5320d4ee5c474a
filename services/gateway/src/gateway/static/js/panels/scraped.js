// A site as the scraper read it, for the home page's clone card and a clone's turn: its
// palette as swatches (each colour's hex beside it as text) and its screenshot.

import { make, str } from "../core/dom.js";

const HEX = /^#[0-9a-f]{6}$/i;

// A site's host without "www.", as the gateway names a clone's project; the text itself when
// it is no URL.
export function hostOf(url) {
  try {
    return new URL(url).hostname.replace(/^www\./, "") || str(url);
  } catch {
    return str(url);
  }
}

// One colour, painted on a canvas: the page's CSP allows no style attribute, and a site's
// colour is no class of ours.
function chip(hex) {
  const canvas = make("canvas", "chip");
  canvas.width = 1;
  canvas.height = 1;
  canvas.setAttribute("aria-hidden", "true");
  const paint = canvas.getContext("2d");
  if (paint) {
    paint.fillStyle = hex;
    paint.fillRect(0, 0, 1, 1);
  }
  return canvas;
}

// The colours (`{hex, role}` objects or "#rrggbb" strings, most prominent first) as a list of
// swatches named `label`; anything that is not a #rrggbb colour is left out.
export function palette(colors, label) {
  const list = make("ul", "palette");
  list.setAttribute("aria-label", label);
  for (const color of Array.isArray(colors) ? colors : []) {
    const hex = str(typeof color === "string" ? color : color && color.hex).toLowerCase();
    if (!HEX.test(hex)) continue;
    const item = make("li");
    item.append(chip(hex), make("span", "hex", hex));
    const role = color && typeof color === "object" ? str(color.role) : "";
    if (role && role !== "other") item.append(make("span", "role", role));
    list.append(item);
  }
  return list;
}

// The screenshot at `url` as an image of `title`; null unless `url` is the gateway's own (a
// confused server's address elsewhere is not loaded).
export function screenshot(url, title, className) {
  if (!str(url)) return null;
  let resolved;
  try { resolved = new URL(url, location.href); } catch { return null; }
  if (resolved.origin !== location.origin) return null;
  const image = make("img", className);
  image.src = resolved.pathname + resolved.search;
  image.alt = `Screenshot of ${title}`;
  image.decoding = "async";
  return image;
}
