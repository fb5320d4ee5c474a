"""A realistic multi-file site for tests and benchmarks of what goes to the model."""

from __future__ import annotations

SECTIONS = ["Hero", "Features", "Pricing", "Testimonials", "Faq", "Team", "Gallery", "Contact",
            "Blog", "Stats", "Partners", "Newsletter", "Careers", "Timeline", "Awards",
            "Services", "Process", "Clients", "Video", "Map", "Events", "Press", "Download",
            "Support", "Cta", "Banner", "Nav", "Footer"]


def sectioned_site() -> dict[str, str]:
    """30 files: src/App.jsx importing 28 section components (~700 characters each) and
    src/index.css. Each section's lines read ``<Name> line <i> of the copy``."""
    files = {f"src/components/{name}.jsx": (
        f"export default function {name}() {{\n  return (\n    <section className=\"py-16\">\n"
        + "".join(f"      <p className=\"text-gray-600\">{name} line {i} of the copy</p>\n"
                  for i in range(12))
        + "    </section>\n  )\n}\n") for name in SECTIONS}
    imports = "".join(f"import {n} from './components/{n}.jsx'\n" for n in SECTIONS)
    body = "".join(f"<{n} />" for n in SECTIONS)
    files["src/App.jsx"] = f"{imports}export default function App() {{ return <>{body}</> }}\n"
    files["src/index.css"] = '@import "tailwindcss";\n'
    return files
