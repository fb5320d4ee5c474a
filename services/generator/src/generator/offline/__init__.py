"""The built-in offline generator: a rule-based site writer, not AI.

When no model is configured Paynto still has to produce something worth previewing. This package
reads the prompt with plain rules (a keyword table for the topic, a few patterns for the name,
colour words for the palette) and writes a complete Vite + React + Tailwind 4 app: ``index.css``,
``App.jsx`` and every component App imports. It answers in exactly the tagged-file format a
model uses, so the rest of the pipeline cannot tell the difference except by the label.

Everything is deterministic: the same prompt gives byte-identical output. Where there is a
choice between variants, a hash of the prompt decides, never a clock or a random generator.
Only ``react`` is used, so nothing needs installing; icons are inline SVG drawn for Paynto.

- ``topics``, ``sections``, ``icons``: what it knows (data only);
- ``prompt``: reading a prompt into a :class:`SitePlan`;
- ``palette``, ``jsx``, ``writer``: writing the plan's files;
- ``answer``: the whole answer, as a model would send it;
- ``tickets``: a build plan of the same site, and each ticket's files, without a model.
"""

from generator.offline.answer import (
    OfflineGenerator,
    render_offline_answer,
    site_files,
)
from generator.offline.palette import Palette
from generator.offline.prompt import SitePlan, plan_site
from generator.offline.tickets import offline_plan, offline_ticket_files

__all__ = [
    "OfflineGenerator",
    "Palette",
    "SitePlan",
    "offline_plan",
    "offline_ticket_files",
    "plan_site",
    "render_offline_answer",
    "site_files",
]
