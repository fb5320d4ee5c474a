"""The offline generator's icons: SVG path data, and the ``Icon`` component a site gets.

Emoji render as empty boxes where the viewer has no emoji font, so the sites draw their icons.
Each icon was drawn for Paynto on a 24×24 grid, to be stroked (round caps and joins) with
simple geometry: lines, arcs and a few curves. Topics and sections name icons; glyphs that
mean the same thing share a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from generator.offline.jsx import js

# Circles are two half arcs, since a path cannot draw a full circle in one arc.
ICONS: Mapping[str, tuple[str, ...]] = {
    # user interface
    "arrow-return": ("M9 14l-5-5 5-5", "M4 9h10a6 6 0 0 1 0 12h-3"),
    "calendar": ("M4 6h16v14H4z", "M4 10h16", "M8 3v5M16 3v5"),
    "check": ("M5 12.5l4.5 4.5L19 7",),
    "clock": ("M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0", "M12 7v5l3.5 2"),
    "mail": ("M3 6h18v12H3z", "M3 7l9 6 9-6"),
    "map-pin": (
        "M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21z",
        "M9.5 9.5a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0",
    ),
    "menu": ("M4 6h16", "M4 12h16", "M4 18h16"),
    "message": ("M4 5h16v11H10l-5 4v-4H4z", "M8 9h8M8 12h5"),
    "phone": (
        "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 "
        "1 2-2z",
    ),
    "star": ("M12 3l2.4 6.3 6.6.3-5.2 4.1 1.8 6.5-5.6-3.7-5.6 3.7 1.8-6.5-5.2-4.1 6.6-.3z",),
    "x": ("M6 6l12 12", "M18 6L6 18"),
    # topics
    "camera": ("M3 8h4l2-3h6l2 3h4v11H3z", "M8.5 13a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0"),
    "coffee": (
        "M4 9h12v5a5 5 0 0 1-5 5H9a5 5 0 0 1-5-5z",
        "M16 10h1.5a2.5 2.5 0 0 1 0 5H16",
        "M8 3v3M12 3v3",
    ),
    "croissant": (
        "M3 16a9 9 0 0 1 18 0",
        "M3 16c3-2 15-2 18 0",
        "M8 9.5l1.5 5M12 7v7M16 9.5l-1.5 5",
    ),
    "dumbbell": ("M6 7v10M18 7v10", "M3 10v4M21 10v4", "M6 12h12"),
    "graduation-cap": ("M2 9l10-5 10 5-10 5z", "M6 11v5c2 2 10 2 12 0v-5", "M22 9v5"),
    "guitar": (
        "M3 16a5 5 0 1 0 10 0a5 5 0 1 0-10 0",
        "M7 16a1 1 0 1 0 2 0a1 1 0 1 0-2 0",
        "M11.5 12.5L16.5 7.5",
        "M17 4l3 3-2 2-3-3z",
    ),
    "handshake": (
        "M2 10l4-3h4l3 2",
        "M22 10l-4-3h-3l-5 4a1.5 1.5 0 0 0 2 2l3-2 4 4",
        "M6 7v7l5 5a1.5 1.5 0 0 0 2-2",
        "M18 14l-3 4",
    ),
    "home": ("M3 11l9-8 9 8", "M5 9.5V21h14V9.5", "M10 21v-6h4v6"),
    "landmark": ("M3 9l9-5 9 5z", "M5 9v9M9.5 9v9M14.5 9v9M19 9v9", "M4 18h16M3 21h18"),
    "lotus": (
        "M12 4c2.5 2.5 3 6 0 12-3-6-2.5-9.5 0-12z",
        "M12 16c-4 0-8-2-9-6 3 0 6 1.5 9 6z",
        "M12 16c4 0 8-2 9-6-3 0-6 1.5-9 6z",
        "M5 19h14",
    ),
    "plane": (
        "M12 2c1 0 1.5 1 1.5 2.5V9l7.5 4.5v2L13.5 13v5l2.5 2v1.5L12 20.5 8 21.5V20l2.5-2v-5L3 "
        "15.5v-2L10.5 9V4.5C10.5 3 11 2 12 2z",
    ),
    "rocket": (
        "M12 2c3 2.5 4.5 6 4.5 10v5h-9v-5C7.5 8 9 4.5 12 2z",
        "M7.5 13L5 16v3h2.5M16.5 13l2.5 3v3h-2.5",
        "M10.5 9a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0",
        "M10.5 20l1.5 2 1.5-2",
    ),
    "shopping-bag": ("M5 8h14l-1 13H6z", "M9 10V6a3 3 0 0 1 6 0v4"),
    "sparkle": ("M12 3c.8 5 4 8.2 9 9-5 .8-8.2 4-9 9-.8-5-4-8.2-9-9 5-.8 8.2-4 9-9z",),
    "sparkles": (
        "M10 6c.6 3.8 3.2 6.4 7 7-3.8.6-6.4 3.2-7 7-.6-3.8-3.2-6.4-7-7 3.8-.6 6.4-3.2 7-7z",
        "M18 2v4M16 4h4",
        "M19 17v4M17 19h4",
    ),
    "stethoscope": (
        "M6 3v6a5 5 0 0 0 10 0V3",
        "M5 3h2M15 3h2",
        "M11 14v2a4 4 0 0 0 8 0v-3",
        "M17 11a2 2 0 1 0 4 0a2 2 0 1 0-4 0",
    ),
    "utensils": ("M6 3v6a2 2 0 0 0 4 0V3", "M8 3v18", "M17 21V3c-2 1.5-3 4-3 8h3"),
    "zap": ("M13 2L4 14h7l-1 8 9-12h-7z",),
    # content
    "accessibility": (
        "M10.5 4a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0",
        "M5 8l7 1 7-1",
        "M12 9v5l-3 7M12 14l3 7",
    ),
    "award": ("M6 9a6 6 0 1 0 12 0a6 6 0 1 0-12 0", "M8.5 14L7 22l5-3 5 3-1.5-8"),
    "bath": (
        "M3 12h18v3a5 5 0 0 1-5 5H8a5 5 0 0 1-5-5z",
        "M6 12V5a2 2 0 0 1 4 0",
        "M7 20l-1 2M17 20l1 2",
    ),
    "bike": (
        "M2 16a4 4 0 1 0 8 0a4 4 0 1 0-8 0M14 16a4 4 0 1 0 8 0a4 4 0 1 0-8 0",
        "M6 16l3.5-7h6L18 16",
        "M9.5 9l3.5 7H6",
        "M8 6h3M15.5 9l-1-3h2",
    ),
    "book": (
        "M12 6c-2-1.5-5-2-9-2v14c4 0 7 .5 9 2 2-1.5 5-2 9-2V4c-4 0-7 .5-9 2z",
        "M12 6v14",
    ),
    "brush": (
        "M21 3L11 13",
        "M11 13c-3-1-6 1-6 4 0 2-1 3-2 4 4 0 8 0 9-3.5.5-2-.5-3.5-1-4.5z",
    ),
    "building": (
        "M5 21V4h10v17",
        "M15 9h4v12",
        "M3 21h18",
        "M8 7h1M11 7h1M8 11h1M11 11h1M8 15h1M11 15h1",
    ),
    "cake": (
        "M5 21v-8h14v8",
        "M4 21h16",
        "M5 16c2 1.5 4.5 1.5 7 0s5-1.5 7 0",
        "M9 13V9M12 13V9M15 13V9M9 6h.01M12 6h.01M15 6h.01",
    ),
    "chart-bar": ("M6 11h3v6H6zM11 6h3v11h-3zM16 9h3v8h-3z", "M4 20h16"),
    "compass": ("M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0", "M15.5 8.5l-2 5-5 2 2-5z"),
    "disc": (
        "M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0",
        "M9.5 12a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0",
        "M12 6.5a5.5 5.5 0 0 1 5.5 5.5",
    ),
    "file-text": ("M6 3h8l4 4v14H6z", "M14 3v4h4", "M9 12h6M9 16h6"),
    "flame": ("M12 2c0 4 6 6 6 12a6 6 0 0 1-12 0c0-3 1.5-5 3-6 0 2 1 3.5 2.5 4C11 9 11 5 12 2z",),
    "flask": (
        "M9 3h6",
        "M10 3v6L4.5 19a1.5 1.5 0 0 0 1.3 2h12.4a1.5 1.5 0 0 0 1.3-2L14 9V3",
        "M7 15h10",
    ),
    "gem": ("M6 4h12l4 5-10 12L2 9z", "M2 9h20", "M8 9l4 12 4-12M9 4l3 5 3-5"),
    "gift": (
        "M3 8h18v4H3z",
        "M5 12v9h14v-9",
        "M12 8v13",
        "M12 8C10 8 7 7 8 5s4 1 4 3zM12 8c2 0 5-1 4-3s-4 1-4 3z",
    ),
    "globe": (
        "M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0",
        "M3 12h18",
        "M12 3c-3 3-3 15 0 18M12 3c3 3 3 15 0 18",
    ),
    "hammer": ("M5 11l6-6 3 3-6 6z", "M12.5 9.5l8 8-2 2-8-8"),
    "headphones": (
        "M3 18v-6a9 9 0 0 1 18 0v6",
        "M21 19a2 2 0 0 1-2 2h-1v-7h3zM3 19a2 2 0 0 0 2 2h1v-7H3z",
    ),
    "hourglass": ("M6 3h12M6 21h12", "M7 3v2c0 3 5 5 5 7s-5 4-5 7v2M17 3v2c0 3-5 5-5 7s5 4 5 7v2"),
    "image": (
        "M3 5h18v14H3z",
        "M3 17l5-5 4 4 3-3 6 6",
        "M14 9.5a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0",
    ),
    "laptop": ("M5 5h14v10H5z", "M2 18h20"),
    "leaf": ("M4 20C4 10 10 4 20 4c0 10-6 16-16 16z", "M4 20L14 10"),
    "lock": ("M5 11h14v10H5z", "M8 11V7a4 4 0 0 1 8 0v4", "M12 15v2"),
    "map": ("M3 6l6-3 6 3 6-3v15l-6 3-6-3-6 3z", "M9 3v15M15 6v15"),
    "mic": (
        "M9 5a3 3 0 0 1 6 0v6a3 3 0 0 1-6 0z",
        "M5 11a7 7 0 0 0 14 0",
        "M12 18v3M9 21h6",
    ),
    "mountain": ("M2 20l7-12 4 6 3-4 6 10z", "M7.5 10.5l1.5 1 1.5-1"),
    "music": (
        "M9 18V5l11-2v13",
        "M3 18a3 3 0 1 0 6 0a3 3 0 1 0-6 0M14 16a3 3 0 1 0 6 0a3 3 0 1 0-6 0",
    ),
    "package": ("M3 7l9-4 9 4v10l-9 4-9-4z", "M3 7l9 4 9-4", "M12 11v10"),
    "palette": (
        "M12 3a9 9 0 0 0 0 18c1.5 0 2-1 2-2s-1-1.5-1-2.5 1-1.5 2-1.5h2a4 4 0 0 0 4-4C21 6.5 17 3 "
        "12 3z",
        "M7 11.5a1 1 0 1 0 2 0a1 1 0 1 0-2 0M10 7.5a1 1 0 1 0 2 0a1 1 0 1 0-2 0M15 7.5a1 1 0 1 0 "
        "2 0a1 1 0 1 0-2 0",
    ),
    "palm-tree": (
        "M11 22c1-4 1.5-8 1-12",
        "M12 10C10 6 6 5 3 7c3 0 6 1 9 3zM12 10c2-4 6-5 9-3-3 0-6 1-9 3z",
        "M12 10c-1-3 0-6 3-7-1 2-2 4-3 7z",
        "M6 22h12",
    ),
    "party": ("M3 21l4.5-12 7.5 7.5z", "M13 3v2M19 9h2M17 5l1.5-1.5", "M14 9c1-2 3-3 5-3"),
    "pencil": ("M4 20l1-5L16 4l4 4L9 19z", "M14 6l4 4", "M5 15l4 4"),
    "plug": ("M9 2v5M15 2v5", "M6 7h12v4a6 6 0 0 1-12 0z", "M12 17v5"),
    "puzzle": ("M5 6h4a2 2 0 1 1 4 0h4v4a2 2 0 1 1 0 4v4H5v-4a2 2 0 1 0 0-4z",),
    "radio": (
        "M3 8h18v12H3z",
        "M7 8l10-5",
        "M5.5 14a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0",
        "M14 12h4M14 16h4",
    ),
    "receipt": (
        "M5 3h14v18l-2.5-1.5L14 21l-2-1.5-2 1.5-2.5-1.5L5 21z",
        "M9 8h6M9 12h6M9 16h3",
    ),
    "refresh": (
        "M20 11a8 8 0 0 0-14.5-4.5L4 8",
        "M4 4v4h4",
        "M4 13a8 8 0 0 0 14.5 4.5L20 16",
        "M20 20v-4h-4",
    ),
    "ruler": ("M3 17L17 3l4 4L7 21z", "M7 13l2 2M10 10l2 2M13 7l2 2"),
    "salad": (
        "M3 11h18a9 9 0 0 1-18 0z",
        "M8 11c-1-3 0-5 3-6 0 3-1 5-3 6zM13 11c0-3 2-5 5-5-1 3-2 4-5 5z",
    ),
    "shirt": ("M8 3L3 6l2 4 2-1v12h10V9l2 1 2-4-5-3c-.5 1.5-2 2.5-4 2.5S8.5 4.5 8 3z",),
    "shoe": ("M3 7h5l1 3 5 2c4 .5 7 2 7 5v1H3z", "M3 15h18"),
    "smartphone": (
        "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z",
        "M11 18h2",
    ),
    "snowflake": (
        "M12 2v20",
        "M3.3 7l17.4 10M3.3 17L20.7 7",
        "M9 4l3 2 3-2M9 20l3-2 3 2",
    ),
    "sprout": (
        "M12 21v-9",
        "M12 12C12 8 9 6 5 6c0 4 3 6 7 6z",
        "M12 10c0-3 2.5-5 6-5 0 3-2.5 5-6 5z",
        "M7 21h10",
    ),
    "sun": (
        "M8 12a4 4 0 1 0 8 0a4 4 0 1 0-8 0",
        "M12 2v2M12 20v2M2 12h2M20 12h2",
        "M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4",
    ),
    "target": (
        "M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0",
        "M7 12a5 5 0 1 0 10 0a5 5 0 1 0-10 0",
        "M10.5 12a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0",
    ),
    "ticket": (
        "M3 7h18v3a2 2 0 0 0 0 4v3H3v-3a2 2 0 0 0 0-4z",
        "M15 7v2M15 11v2M15 15v2",
    ),
    "tree": (
        "M12 3a6 6 0 0 1 5.5 8.4A4 4 0 0 1 15 18H9a4 4 0 0 1-2.5-6.6A6 6 0 0 1 12 3z",
        "M12 21v-8",
        "M12 15l-2.5-2M12 13l2.5-2",
    ),
    "trending-up": ("M3 17l6-6 4 4 8-8", "M15 7h6v6"),
    "trophy": (
        "M7 3h10v6a5 5 0 0 1-10 0z",
        "M7 5H4a3 3 0 0 0 3 5M17 5h3a3 3 0 0 1-3 5",
        "M12 14v4",
        "M8 21l1-3h6l1 3z",
    ),
    "truck": (
        "M2 6h12v10H2z",
        "M14 9h4l3 4v3h-7",
        "M4 18a2 2 0 1 0 4 0a2 2 0 1 0-4 0M15 18a2 2 0 1 0 4 0a2 2 0 1 0-4 0",
    ),
    "users": (
        "M5.5 8a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0",
        "M2 20c0-4 3-6 7-6s7 2 7 6",
        "M16 4.5a3.5 3.5 0 0 1 0 7",
        "M18 14c2.5.5 4 2.5 4 6",
    ),
    "waves": (
        "M2 7c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0",
        "M2 12c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0",
        "M2 17c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0",
    ),
    "wheat": (
        "M12 22V8",
        "M12 7c-1-1-1-3 0-4 1 1 1 3 0 4z",
        "M12 12c-3 0-5-2-5-4 3 0 5 2 5 4zM12 12c3 0 5-2 5-4-3 0-5 2-5 4z",
        "M12 17c-3 0-5-2-5-4 3 0 5 2 5 4zM12 17c3 0 5-2 5-4-3 0-5 2-5 4z",
    ),
    "wine": ("M7 3h10l-.5 5a4.5 4.5 0 0 1-9 0z", "M12 13v8", "M8 21h8"),
}

_COMPONENT = """\
export default function Icon({ name, className = "h-6 w-6", filled = false }) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill={filled ? "currentColor" : "none"}
      stroke="currentColor"
      strokeWidth="1.75"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className={className}
    >
      {(PATHS[name] ?? []).map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  );
}
"""


def _key(name: str) -> str:
    return name if name.isidentifier() else js(name)


def icon_module(names: Iterable[str]) -> str:
    """``src/components/Icon.jsx`` holding exactly ``names``, sorted.

    Raises KeyError for a name that is not in :data:`ICONS`.
    """
    rows = []
    for name in sorted(set(names)):
        paths = ", ".join(js(d) for d in ICONS[name])
        one = f"  {_key(name)}: [{paths}],"
        if len(one) <= 100:
            rows.append(one)
        else:
            inner = "".join(f"    {js(d)},\n" for d in ICONS[name])
            rows.append(f"  {_key(name)}: [\n{inner}  ],")
    consts = (
        "// Icons drawn on a 24×24 grid; only those this site uses.\n"
        "const PATHS = {\n" + "\n".join(rows) + "\n};\n"
    )
    return consts + "\n" + _COMPONENT
