"""Path confinement: textual rules and symlinks planted in the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paynto_common.safety.paths import UnsafePathError, confine, is_forbidden


@pytest.mark.parametrize(
    "rel",
    [
        "index.html",
        "src/App.jsx",
        "src/components/Hero.tsx",
        "./src/main.jsx",
        "src/index.css",
        "public/favicon.svg",
        "src/.hidden-but-fine.js",
        ".env",
        "src/package.jsonish.js",
    ],
)
def test_good_paths_are_confined(tmp_path: Path, rel: str) -> None:
    target = confine(tmp_path, rel)
    assert target.is_relative_to(tmp_path)
    assert target == tmp_path / rel.removeprefix("./")
    assert is_forbidden(rel) is None


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "empty"),
        ("../../etc/x", ".."),
        ("src/../../x", ".."),
        ("src/../App.jsx", ".."),  # would stay inside, still refused
        ("/abs/path", "absolute"),
        ("/etc/passwd", "absolute"),
        ("C:\\Windows\\x", "backslash"),
        ("C:/Windows/x", "drive letter"),
        ("\\\\server\\share\\x", "backslash"),
        ("src\\App.jsx", "backslash"),
        ("src/a\x00.js", "NUL"),
        ("src/a\nb.js", "control"),
        ("node_modules/react/index.js", "node_modules"),
        ("src/node_modules/x.js", "node_modules"),
        (".git/config", ".git"),
        ("src/.git/hooks/pre-commit", ".git"),
        ("package.json", "owns"),
        ("package-lock.json", "owns"),
        ("vite.config.js", "owns"),
        ("vite.config.ts", "owns"),
        ("tailwind.config.js", "owns"),
        ("postcss.config.cjs", "owns"),
        ("tsconfig.json", "owns"),
        ("tsconfig.app.json", "owns"),
        (".npmrc", "owns"),
        ("serve.mjs", "owns"),
        (".vite.sock", "owns"),
        (".paynto", "owns"),
        (".paynto-state.json", "owns"),
        ("src/", "directory"),
        ("a" * 300 + ".js", "longer"),
    ],
)
def test_bad_paths_are_refused(tmp_path: Path, rel: str, why: str) -> None:
    reason = is_forbidden(rel)
    assert reason is not None and why in reason
    with pytest.raises(UnsafePathError) as caught:
        confine(tmp_path, rel)
    assert why in str(caught.value)
    assert caught.value.path == rel


def test_symlinked_directory_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "src").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="src is a symlink"):
        confine(root, "src/App.jsx")
    with pytest.raises(UnsafePathError, match="src is a symlink"):
        confine(root, "src/deeper/new/file.js")


def test_symlinked_file_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("keep")
    (root / "src" / "App.jsx").symlink_to(secret)
    with pytest.raises(UnsafePathError, match="symlink"):
        confine(root, "src/App.jsx")
    assert secret.read_text() == "keep"


def test_symlink_pointing_inside_is_refused_too(tmp_path: Path) -> None:
    # A link that points inside today can be re-pointed tomorrow: refuse all links.
    root = tmp_path / "ws"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        confine(root, "alias/x.js")


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "App.jsx").symlink_to("/nonexistent/target")
    with pytest.raises(UnsafePathError, match="symlink"):
        confine(root, "App.jsx")


def test_file_in_the_middle_of_a_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").write_text("not a directory")
    with pytest.raises(UnsafePathError, match="not a directory"):
        confine(tmp_path, "src/App.jsx")


def test_existing_directory_as_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(UnsafePathError, match="directory"):
        confine(tmp_path, "src")


def test_missing_components_are_fine(tmp_path: Path) -> None:
    target = confine(tmp_path, "src/new/deep/Thing.jsx")
    assert target == tmp_path / "src" / "new" / "deep" / "Thing.jsx"
    assert not os.path.lexists(target.parent)


def test_relative_root_gives_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert confine(Path("ws"), "src/a.js") == tmp_path / "ws" / "src" / "a.js"
