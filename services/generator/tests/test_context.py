"""Only the files a request concerns go to the model."""

from __future__ import annotations

from generator.context import SMALL_PROJECT_CHARS, select_files
from generator.prompts import build_messages
from paynto_common.testing.sites import sectioned_site


def big_site() -> dict[str, str]:
    return sectioned_site()


def test_a_small_project_is_sent_whole() -> None:
    files = {"src/App.jsx": "export default () => null\n", "src/index.css": "x"}
    chosen = select_files("make the title bigger", files)
    assert chosen.sent == files and chosen.left_out == []


def test_a_one_line_edit_sends_the_file_it_names() -> None:
    files = big_site()
    assert sum(map(len, files.values())) > SMALL_PROJECT_CHARS
    chosen = select_files("Change the footer copy to say 'Made in Lisbon'", files)
    assert list(chosen.sent) == ["src/components/Footer.jsx"]
    assert len(chosen.left_out) == 29 and "src/App.jsx" in chosen.left_out


def test_content_matches_count_too() -> None:
    files = big_site()
    files["src/components/Hero.jsx"] += "// the kombucha tagline lives here\n"
    chosen = select_files("reword the kombucha tagline", files)
    assert list(chosen.sent) == ["src/components/Hero.jsx"]


def test_style_requests_bring_the_stylesheet() -> None:
    chosen = select_files("use a darker color theme on the pricing cards", big_site())
    assert "src/index.css" in chosen.sent and "src/components/Pricing.jsx" in chosen.sent


def test_with_nothing_to_match_the_entry_and_its_imports_go_within_budget() -> None:
    files = big_site()
    chosen = select_files("zzzz qqqq", files, budget=5_000)
    assert next(iter(chosen.sent)) == "src/App.jsx"
    assert sum(map(len, chosen.sent.values())) <= 5_000 + len(files["src/App.jsx"])
    assert chosen.left_out


def test_left_out_files_are_named_but_not_shown() -> None:
    files = big_site()
    chosen = select_files("Change the footer copy", files)
    (_system, user) = build_messages("Change the footer copy", chosen.sent, chosen.left_out)
    assert "Footer line 3" in user["content"]
    assert "src/components/Pricing.jsx" in user["content"]
    assert "Pricing line 3" not in user["content"]
    everything = build_messages("Change the footer copy", files)[1]["content"]
    # The measure the README reports: characters sent for this edit against all files.
    assert len(user["content"]) * 10 < len(everything)


def test_path_words_match_whole_parts_only() -> None:
    files = sectioned_site()
    # "line" is not "Timeline"; "cards" names PricingCards.
    files["src/components/PricingCards.jsx"] = files.pop("src/components/Pricing.jsx")
    assert list(select_files("change the footer line", files).sent) == \
        ["src/components/Footer.jsx"]
    assert "src/components/PricingCards.jsx" in select_files("round the card corners", files).sent
