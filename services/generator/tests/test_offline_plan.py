"""The offline plan: the offline generator's site cut into tickets, and each ticket built
without a model."""

from __future__ import annotations

import json

import pytest

from generator.offline import (
    offline_plan,
    offline_ticket_files,
    plan_site,
    render_offline_answer,
    site_files,
)
from generator.planning import parse_plan
from paynto_common.answer import parse_answer

# --- the offline plan ----------------------------------------------------------------------------

OFFLINE_PROMPTS = [
    "a bakery in Lyon",
    "portfolio for a photographer",
    "a SaaS tool for invoices with pricing and a FAQ",
]


@pytest.mark.parametrize("prompt", OFFLINE_PROMPTS)
def test_offline_plan_covers_exactly_the_offline_files(prompt: str) -> None:
    plan = offline_plan(prompt)
    written = list(site_files(prompt))

    planned = [path for t in plan.tickets for path in t.files]
    assert sorted(planned) == sorted(written)
    assert len(planned) == len(set(planned))

    first, *rest = plan.tickets
    assert (first.key, first.title, first.type) == ("T1", "Page shell and theme", "setup")
    assert first.files == [
        "src/index.css", "src/App.jsx", "src/components/Icon.jsx", "src/components/Header.jsx",
        "src/components/Footer.jsx",
    ]
    assert first.depends_on == []
    assert [t.key for t in plan.tickets] == [f"T{n}" for n in range(1, len(plan.tickets) + 1)]
    assert rest[0].files == ["src/components/Hero.jsx"]
    assert rest[-1].files == ["src/components/Contact.jsx"]
    for ticket in rest:
        assert ticket.depends_on == ["T1"]
        assert ticket.type == "component"
        assert ticket.priority == ("high" if ticket.files == ["src/components/Hero.jsx"] else
                                   "medium")
        assert ticket.complexity in ("S", "M")
        assert len(ticket.files) == 1
    assert plan.order()[0] == "T1"


@pytest.mark.parametrize("prompt", OFFLINE_PROMPTS)
def test_offline_plan_blueprint_follows_the_site_plan(prompt: str) -> None:
    site = plan_site(prompt)
    blueprint = offline_plan(prompt).blueprint

    assert blueprint["title"] == site.title
    assert blueprint["theme"]["primary"] == site.palette.primary
    assert blueprint["theme"]["neutral"] == site.palette.neutral
    assert blueprint["routes"] == ["/"]
    assert blueprint["entities"] == []
    assert blueprint["data_mode"] == "mock-first"
    assert site.topic.label in blueprint["summary"]
    assert blueprint["navigation"]
    assert all(isinstance(label, str) and label for label in blueprint["navigation"])


def test_offline_plans_differ_by_prompt_and_repeat_exactly() -> None:
    bakery, photographer = offline_plan("a bakery in Lyon"), offline_plan(
        "portfolio for a photographer"
    )

    assert offline_plan("a bakery in Lyon") == bakery
    assert bakery != photographer
    assert "src/components/Menu.jsx" in [p for t in bakery.tickets for p in t.files]
    assert "src/components/Gallery.jsx" in [p for t in photographer.tickets for p in t.files]


def test_an_offline_plan_survives_its_own_parser() -> None:
    plan = offline_plan("a bakery in Lyon")
    text = json.dumps(
        {"blueprint": plan.blueprint, "tickets": [vars(t) for t in plan.tickets]}
    )

    assert parse_plan(text) == plan


# --- building offline tickets --------------------------------------------------------------------


@pytest.mark.parametrize("prompt", OFFLINE_PROMPTS)
def test_offline_ticket_answers_round_trip_through_the_answer_parser(prompt: str) -> None:
    everything = site_files(prompt)
    for ticket in offline_plan(prompt).tickets:
        files = offline_ticket_files(prompt, ticket.files)
        assert list(files) == ticket.files
        assert files == {path: everything[path] for path in ticket.files}

        parsed = parse_answer(render_offline_answer(files))

        assert {f.path: f.content for f in parsed.files} == files
        assert all(f.complete for f in parsed.files)
        assert parsed.truncated == []
        assert parsed.warnings == []


def test_render_offline_answer_matches_the_offline_format() -> None:
    answer = render_offline_answer({"src/a.js": "export const a = 1;\n", "src/b.js": "x"})

    assert answer.endswith(
        '<file path="src/a.js">\nexport const a = 1;\n</file>\n\n'
        '<file path="src/b.js">\nx\n</file>\n'
    )
    intro = answer.split("\n\n", 1)[0]
    assert "<" not in intro
    assert intro.endswith(".")


def test_offline_ticket_files_refuses_a_path_it_does_not_write() -> None:
    with pytest.raises(KeyError) as err:
        offline_ticket_files("a bakery in Lyon", ["src/App.jsx", "src/components/Blog.jsx"])

    assert err.value.args == ("src/components/Blog.jsx",)
