"""Write order: dependencies before the files that import them."""

from __future__ import annotations

import itertools
import random

from sandbox_pool.writeorder import order_for_write

SITE = {
    "index.html": '<div id="root"></div><script type="module" src="/src/main.jsx"></script>',
    "src/main.jsx": "import App from './App.jsx'\nimport './index.css'\n",
    "src/App.jsx": (
        "import Hero from './components/Hero'\n"
        "import Footer from './components/Footer.jsx'\n"
        "import { cn } from '@/lib/utils'\n"
        "import { motion } from 'framer-motion'\n"
    ),
    "src/components/Hero.jsx": "import logo from '../assets/logo.svg'\nimport B from './Button'\n",
    "src/components/Button.jsx": "export default function Button() {}\n",
    "src/components/Footer.jsx": "export default function Footer() {}\n",
    "src/lib/utils.js": "export const cn = (...a) => a.join(' ')\n",
    "src/index.css": '@import "tailwindcss";\n@import "./theme.css";\n',
    "src/theme.css": ".hero { background: url('./assets/bg.png') }\n",
    "src/assets/logo.svg": "<svg/>",
}


def _assert_dependencies_first(order: list[str], edges: dict[str, list[str]]) -> None:
    position = {path: i for i, path in enumerate(order)}
    for importer, needed in edges.items():
        for dependency in needed:
            assert position[dependency] < position[importer], (dependency, importer)


def test_styles_first_then_leaves_then_importers() -> None:
    order = order_for_write(SITE)
    assert order == [
        "src/theme.css",
        "src/index.css",
        "src/assets/logo.svg",
        "src/components/Button.jsx",
        "src/components/Footer.jsx",
        "src/components/Hero.jsx",
        "src/lib/utils.js",
        "src/App.jsx",
        "src/main.jsx",
        "index.html",
    ]
    _assert_dependencies_first(
        order,
        {
            "index.html": ["src/main.jsx"],
            "src/main.jsx": ["src/App.jsx", "src/index.css"],
            "src/App.jsx": ["src/components/Hero.jsx", "src/components/Footer.jsx"],
            "src/components/Hero.jsx": ["src/assets/logo.svg", "src/components/Button.jsx"],
            "src/index.css": ["src/theme.css"],
        },
    )


def test_order_does_not_depend_on_input_order() -> None:
    expected = order_for_write(SITE)
    items = list(SITE.items())
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(items)
        assert order_for_write(dict(items)) == expected


def test_extensionless_and_index_imports_resolve() -> None:
    files = {
        "src/App.tsx": (
            "import W from './widgets'\nimport { api } from './api'\nimport d from './data'\n"
        ),
        "src/widgets/index.tsx": "import { Card } from './Card'\n",
        "src/widgets/Card.tsx": "export const Card = 1\n",
        "src/api.ts": "export const api = 1\n",
        "src/data.json": "{}",
    }
    order = order_for_write(files)
    _assert_dependencies_first(
        order,
        {
            "src/App.tsx": ["src/widgets/index.tsx", "src/api.ts", "src/data.json"],
            "src/widgets/index.tsx": ["src/widgets/Card.tsx"],
        },
    )
    assert order[-1] == "src/App.tsx"


def test_dynamic_imports_reexports_and_require_count() -> None:
    files = {
        "src/a.js": "const Page = lazy(() => import('./pages/Page'))\n",
        "src/pages/Page.jsx": "export * from './parts'\n",
        "src/pages/parts.js": "module.exports = require('./util.cjs')\n",
        "src/pages/util.cjs": "module.exports = {}\n",
    }
    assert order_for_write(files) == [
        "src/pages/util.cjs",
        "src/pages/parts.js",
        "src/pages/Page.jsx",
        "src/a.js",
    ]


def test_cycles_are_broken_deterministically() -> None:
    files = {
        "src/a.js": "import { b } from './b'\nexport const a = 1\n",
        "src/b.js": "import { a } from './a'\nexport const b = 2\n",
        "src/c.js": "import { a } from './a'\n",
        "src/leaf.js": "export const leaf = 0\n",
        "src/style.css": "body {}",
    }
    results = {tuple(order_for_write(dict(perm))) for perm in itertools.permutations(files.items())}
    assert len(results) == 1
    order = list(results.pop())
    assert sorted(order) == sorted(files)
    assert order[0] == "src/style.css"
    assert order.index("src/a.js") < order.index("src/c.js")
    assert order == ["src/style.css", "src/leaf.js", "src/a.js", "src/b.js", "src/c.js"]


def test_self_imports_outside_paths_and_packages_are_ignored() -> None:
    files = {
        "src/x.js": "import x from './x'\nimport r from 'react'\nimport o from '../../outside'\n",
        "./src/y.js": "import { x } from './x.js'\n",
    }
    assert order_for_write(files) == ["src/x.js", "./src/y.js"]


def test_empty_batch() -> None:
    assert order_for_write({}) == []


def test_missing_local_imports_are_found_with_the_names_they_need() -> None:
    from sandbox_pool.writeorder import missing_local_imports, placeholder_module

    files = {
        "src/App.jsx": (
            "import Hero from './components/Hero'\n"
            "import { Nav, Logo as L } from './components/Nav.jsx'\n"
            "import Footer from '@/components/Footer'\n"
            "import Ok from './Ok'\n"
            "import './styles.css'\n"
            "import React from 'react'\n"
        ),
        "src/Ok.jsx": "export default () => null\n",
    }
    missing = missing_local_imports(files)
    assert set(missing) == {"src/components/Hero.jsx", "src/components/Nav.jsx",
                            "src/components/Footer.jsx"}
    assert missing["src/components/Nav.jsx"] == ("src/App.jsx", {"Nav", "Logo"})
    module = placeholder_module("src/components/Nav.jsx", "src/App.jsx", {"Nav", "Logo"})
    assert "export default function MissingNav()" in module
    assert "export const Logo = MissingNav" in module and "export const Nav = MissingNav" in \
        module
    assert "Missing file: src/components/Nav.jsx" in module
    # Nothing is missing once the files exist.
    assert missing_local_imports({**files, **{p: "x" for p in missing}}) == {}
