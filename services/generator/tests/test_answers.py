"""Reading answers: finished or not, told short, and found again on the job's row; and the
errors of a fix round as the model reads them."""

from __future__ import annotations

from generator.answers import stored_answer, unfinished
from generator.llm import Usage
from generator.prompts import fix_prompt
from paynto_common.answer import summarize_answer
from paynto_common.db import Job
from paynto_common.messages import PreviewError

WHOLE = '<file path="src/App.jsx">\nexport default () => null\n</file>\n'


def test_a_whole_answer_is_finished() -> None:
    assert unfinished(WHOLE, Usage(10, 5, 0.0, "stop")) is None


def test_a_cut_answer_asks_to_continue_where_it_stopped() -> None:
    ask, glue = unfinished('<file path="src/App.jsx">\nexport default', None) or ("", "?")

    assert ask.startswith("cut off inside src/App.jsx:") and glue == ""
    ask, _ = unfinished(WHOLE, Usage(10, 5, 0.0, "length")) or ("", "")
    assert ask.startswith("cut off:")


def test_an_answer_with_placeholders_asks_for_the_files_again() -> None:
    elided = '<file path="src/App.jsx">\nfunction App() {\n  // ...\n}\n</file>\n'

    ask, glue = unfinished(elided, None) or ("", "")

    assert ask.startswith("code left out of src/App.jsx:") and glue == "\n"


def test_summary_keeps_the_words_and_names_the_files() -> None:
    answer = ("I made the header sticky.\n" + WHOLE + '<edit path="src/index.css">\n'
              "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</edit>\n")

    assert summarize_answer(answer) == \
        "I made the header sticky. (wrote src/App.jsx; edited src/index.css)"
    assert summarize_answer("") == "(done)"


def test_the_stored_answer_of_each_round() -> None:
    job = Job(project_id="p", kind="generate", response="first", model=None, result={
        "fixes": {"1": {"response": "fixed", "model": "openai/m", "reason": "r"}}})

    assert stored_answer(job, 0) == ("first", "offline")
    assert stored_answer(job, 1) == ("fixed", "openai/m")
    assert stored_answer(job, 2) is None
    assert stored_answer(Job(project_id="p", kind="generate"), 0) is None


def test_fix_prompt_fences_each_error_as_data() -> None:
    errors = [PreviewError(message="Unexpected ``` token", path="src/App.jsx"),
              PreviewError(kind="runtime", message="x is not defined")]

    text = fix_prompt(errors, "make it <b>bold</b>")

    assert '<data kind="compile error" path="src/App.jsx">\n````\nUnexpected ``` token\n````' \
        in text
    assert '<data kind="runtime error" path="unknown file">' in text
    assert '<data kind="the request that change answered">\nmake it <b>bold</b>' in text
