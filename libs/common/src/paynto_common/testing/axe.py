"""Accessibility checks in a real page with axe-core, offline and under a strict CSP.

axe-core's script comes from the ``axe-playwright-python`` wheel (a dev dependency), which ships
``axe.min.js``; only that file is used. It goes into the page with ``page.evaluate``, which runs
through the DevTools protocol, not as a ``<script>`` element: ``add_script_tag(content=...)``
would be an inline script, which a page under ``script-src 'self'`` (the studio's CSP) refuses.
Nothing is downloaded and the gateway never serves axe.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

__all__ = ["assert_accessible", "axe_source", "axe_violations", "describe"]

DEFAULT_EXCLUDE = ("#preview",)
"""The studio's preview frame holds the generated site, which is not the studio's to fix."""
DEFAULT_IMPACTS = ("serious", "critical")


@functools.cache
def axe_source() -> str:
    """axe-core's script (``axe.min.js``), read once from the installed wheel."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


# axe.run's own options: no descent into frames (the preview is another origin's), and only
# the violations, which is all that is reported.
_RUN = """async (o) => {
    const result = await axe.run({exclude: o.exclude.map((s) => [s])},
                                 {iframes: false, resultTypes: ["violations"]});
    return result.violations.filter((v) => o.impacts.includes(v.impact)).map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target, html: n.html,
                                    summary: n.failureSummary})),
    }));
}"""


async def axe_violations(
    page: Page | Frame,
    exclude: Iterable[str] = DEFAULT_EXCLUDE,
    impacts: Iterable[str] = DEFAULT_IMPACTS,
) -> list[dict[str, Any]]:
    """Run axe-core on ``page`` as it is now; return its violations of the given impacts.

    ``exclude`` lists CSS selectors of parts to leave out. Each violation is a dict with
    ``id`` (the rule), ``impact``, ``help``, ``helpUrl`` and ``nodes`` (each with ``target``,
    the selectors of an offending element, its ``html`` and a ``summary`` of what to fix).
    """
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # A script, not a function: evaluated as it is, it defines window.axe.
        await page.evaluate(axe_source() + "\n;undefined")
    violations: list[dict[str, Any]] = await page.evaluate(
        _RUN, {"exclude": list(exclude), "impacts": list(impacts)})
    return violations


def describe(violations: Sequence[dict[str, Any]]) -> str:
    """Violations as readable lines: rule, impact, help, and each offending element."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
    return "\n".join(lines)


async def assert_accessible(page: Page | Frame, **options: Any) -> None:
    """Fail when axe-core finds a violation (by default a serious or critical one) on ``page``;
    the message names each rule, its impact and help, and the elements at fault. Takes
    :func:`axe_violations`' keyword arguments."""
    violations = await axe_violations(page, **options)
    if violations:
        raise AssertionError(f"{len(violations)} accessibility violation(s):\n"
                             + describe(violations))
