"""npm package names and the imports that name packages (paynto_common.packages)."""

from __future__ import annotations

import pytest

from paynto_common.packages import (
    detect_imports,
    package_name,
    template_dependencies,
    validate_package_name,
)

# ----- names -----


@pytest.mark.parametrize(
    ("spec", "normalized"),
    [
        ("react", "react"),
        ("lodash.debounce", "lodash.debounce"),
        ("a_b-c.d", "a_b-c.d"),
        ("@radix-ui/react-dialog", "@radix-ui/react-dialog"),
        ("framer-motion@^11.0.0", "framer-motion@^11.0.0"),
        ("@tanstack/react-query@5.59.0", "@tanstack/react-query@5.59.0"),
        ("lucide-react@latest", "lucide-react@latest"),
        ("zod@>=3.22 <4", "zod@>=3.22 <4"),
        ("date-fns@2.x || 3.x", "date-fns@2.x || 3.x"),
        ("  clsx  ", "clsx"),
        ("x" * 214, "x" * 214),
    ],
)
def test_valid_package_specs(spec: str, normalized: str) -> None:
    assert validate_package_name(spec) == normalized


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("", "empty"),
        ("React", "lowercase"),
        ("@Scope/pkg", "lowercase"),
        (".hidden", "invalid package name"),
        ("_private", "invalid package name"),
        ("--registry=http://evil.example", "invalid package name"),
        ("-rf", "invalid package name"),
        ("@scope", "invalid package name"),
        ("@scope/", "invalid package name"),
        ("@/components", "invalid package name"),
        ("a/b", "invalid package name"),
        ("../x", "invalid package name"),
        ("has space", "invalid package name"),
        ("pkg;rm -rf /", "invalid package name"),
        ("café", "invalid package name"),
        ("node_modules", "not a valid"),
        ("x" * 215, "longer than 214"),
        ("pkg@", "invalid version"),
        ("pkg@git+https://github.com/a/b.git", "invalid version"),
        ("pkg@file:../x", "invalid version"),
        ("pkg@https://evil.example/x.tgz", "invalid version"),
        ("pkg@github:user/repo", "invalid version"),
        ("pkg@npm:other@1", "invalid version"),
        ("pkg@-1", "invalid version"),
        ("pkg@1.0.0;rm", "invalid version"),
        ("pkg@1\t2", "invalid version"),
    ],
)
def test_invalid_package_specs(spec: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        validate_package_name(spec)


def test_package_name_strips_the_version() -> None:
    assert package_name("react") == "react"
    assert package_name("react@^19") == "react"
    assert package_name("@scope/pkg") == "@scope/pkg"
    assert package_name("@scope/pkg@1.2.3") == "@scope/pkg"


# ----- import detection -----


APP = """
import React, { useState } from 'react'
import { createRoot } from "react-dom/client"
import {
  motion,
  AnimatePresence,
} from 'framer-motion'
import * as Icons from 'lucide-react'
import Default, { named as alias } from '@radix-ui/react-dialog/dist/index.mjs'
import 'swiper/css'
import './App.css'
import Hero from './components/Hero'
import Footer from '../Footer.jsx'
import { cn } from '@/lib/utils'
import logo from '/src/assets/logo.svg'
import fs from 'node:fs'
import path from 'path'
import virtualThing from 'virtual:pwa-register'
import fp from 'lodash/fp'
import Raw from 'some-pkg/file.svg?react'
export * from 'zustand/middleware'
export { default as Chart } from "recharts"
const axios = require('axios')
const lazy = () => import('chart.js/auto')
const later = await import("@tanstack/react-query/devtools")
import Bad from 'Invalid_Name'
// import ignored from 'commented-out'
/* import alsoIgnored from 'block-comment'
   import stillIgnored from 'block-comment-2' */
export default function App() {
  return <p>A quote from 'Bob' and import from "prose"</p>
}
"""

TYPES = """
import type { Config } from 'zod'
import { type Other } from "valibot"
"""


def test_detect_imports_finds_packages_and_skips_the_rest() -> None:
    found = detect_imports(
        {
            "src/App.jsx": APP,
            "src/types.ts": TYPES,
            "src/styles.css": "@import 'not-a-js-import';",
            "README.md": "import x from 'markdown-is-ignored'",
        }
    )
    assert found == {
        "framer-motion",
        "lucide-react",
        "@radix-ui/react-dialog",
        "swiper",
        "lodash",
        "some-pkg",
        "zustand",
        "recharts",
        "axios",
        "chart.js",
        "@tanstack/react-query",
        "zod",
        "valibot",
    }


def test_detect_imports_skips_template_packages_unless_told_otherwise() -> None:
    files = {"src/main.jsx": "import { createRoot } from 'react-dom/client'\nimport 'tailwindcss'"}
    assert detect_imports(files) == set()
    assert detect_imports(files, ignore=()) == {"react-dom", "tailwindcss"}


def test_template_dependencies_hold_the_stack() -> None:
    deps = template_dependencies()
    assert {"react", "react-dom", "vite", "tailwindcss", "@tailwindcss/vite"} <= set(deps)
    assert "@vitejs/plugin-react" in deps
    assert deps["vite"].startswith("^8")
