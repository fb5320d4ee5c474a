"""The offline generator's answer: an explanation, then every file in the tagged format a
model uses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from generator.offline.prompt import SitePlan, plan_site
from generator.offline.writer import Writer


def _explanation(plan: SitePlan, paths: Sequence[str]) -> str:
    components = ", ".join(p.rsplit("/", 1)[-1].removesuffix(".jsx") for p in paths
                           if p.startswith("src/components/"))
    p = plan.palette
    lines = [
        f"Built by Paynto's offline generator (rule-based, not AI): a {plan.topic.label} site "
        f"for “{plan.title}”.",
        f"Components: {components}. Palette: {p.primary} on {p.neutral}, "
        f"{'dark' if p.dark else 'light'}. Only React and Tailwind are used, so nothing needs "
        "installing.",
    ]
    if plan.edit_like:
        lines.append(
            "This looks like a change request. The offline generator cannot edit an existing "
            "site, so it wrote a fresh one that follows the request where it can (colours and "
            "sections). Configure a model for real edits."
        )
    return "\n".join(lines)


class OfflineGenerator:
    """Deterministic, rule-based stand-in for a model (not AI).

    It answers any prompt with a complete multi-component site in the same tagged-file format
    a model uses: an ``<explanation>``, then ``src/index.css``, ``src/App.jsx`` and every
    component App imports.
    """

    name = "offline"

    def plan(self, prompt: str) -> SitePlan:
        """What would be built for ``prompt`` (title, topic, palette, sections)."""
        return plan_site(prompt)

    def render(self, prompt: str) -> str:
        """The full tagged answer for ``prompt``; the same prompt always gives the same text."""
        plan = plan_site(prompt)
        files = Writer(plan).files()
        parts = [f"<explanation>\n{_explanation(plan, [p for p, _ in files])}\n</explanation>"]
        parts += [f'<file path="{path}">\n{content}</file>' for path, content in files]
        return "\n\n".join(parts) + "\n"

    async def stream(self, prompt: str, chunk_size: int = 64) -> AsyncIterator[str]:
        """Yield :meth:`render`'s text in pieces of ``chunk_size`` characters, without delay."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        text = self.render(prompt)
        for start in range(0, len(text), chunk_size):
            yield text[start : start + chunk_size]


def site_files(prompt: str) -> dict[str, str]:
    """Every file the offline generator writes for ``prompt``, path → contents, in the order
    its answer lists them."""
    return dict(Writer(plan_site(prompt)).files())


def render_offline_answer(files: dict[str, str]) -> str:
    """``files`` as a tagged answer, formatted like the offline generator's own output."""
    count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
    parts = [f"Written by Paynto's offline generator (rule-based, not AI): {count}."]
    for path, content in files.items():
        body = content if content.endswith("\n") else content + "\n"
        parts.append(f'<file path="{path}">\n{body}</file>')
    return "\n\n".join(parts) + "\n"
