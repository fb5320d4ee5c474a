"""The fix loop is bounded: a module that does not compile goes back to the model, and the loop
stops when the fix works, when the same error comes back, when the attempts are used up, or
when the job's token budget is spent, saying which."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from tests.system import completed, create_project, generate, running_system, scripted_model_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BROKEN = "export default function App() {\n  return <div>Tea house\n}\n"
FIX = ("I closed the div.\n<edit path=\"src/App.jsx\">\n<<<<<<< SEARCH\n"
       "  return <div>Tea house\n=======\n  return <div>Tea house</div>\n"
       ">>>>>>> REPLACE\n</edit>")


THROWS = ("export default function App() {\n  const teas = undefined\n"
          "  return <ul>{teas.map((t) => <li key={t}>{t}</li>)}</ul>\n}\n")
THROWS_FIX = ("<edit path=\"src/App.jsx\">\n<<<<<<< SEARCH\n  const teas = undefined\n=======\n"
              "  const teas = [\"Sencha\", \"Assam\"]\n>>>>>>> REPLACE\n</edit>")
BROWSER_ONLY = ("export default function App() {\n"
                "  return <p>{window.innerWidth > 600 ? 'wide' : 'narrow'}</p>\n}\n")


def whole(text: str, path: str = "src/App.jsx") -> str:
    return f'<file path="{path}">\n{text}</file>'


def status_with(events: list[Any], key: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.event == "status" and key in e.data]


async def versions(c: httpx.AsyncClient, project: str) -> list[dict[str, Any]]:
    resp = await c.get(f"/api/projects/{project}/versions")
    assert resp.status_code == 200, resp.text
    return list(reversed(resp.json()))


async def test_fix_loop_fixes_and_stops(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    env = {**scripted_model_env(port), "AUTOFIX_ROUNDS": "2", "AUTOFIX_TOKEN_BUDGET": "50000"}
    with running_system(tmp_path, nats_url, extra_env=env) as system:
        async with ScriptedLLM.running(port) as llm, \
                httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as c:
            # A planted compile error, fixed by the first fix.
            fixed = await create_project(c)
            llm.script(Reply(whole(BROKEN)), Reply(FIX))
            fixed_events = await generate(c, fixed, "a tea house site")
            fix_request = llm.requests[-1]
            fixed_files = (await c.get(f"/api/projects/{fixed}/files")).json()["files"]
            fixed_versions = await versions(c, fixed)

            # The fix changes nothing that matters: the same error comes back.
            same = await create_project(c)
            llm.script(Reply(whole(BROKEN)), Reply(whole(BROKEN.replace("Tea", "Herb"))))
            same_events = await generate(c, same, "a herb shop site")

            # Each fix breaks something else: the attempts run out.
            churn = await create_project(c)
            app = ('import Menu from "./Menu.jsx";\nimport Footer from "./Footer.jsx";\n'
                   "export default function App() {\n  return <><Menu /><Footer /></>\n}\n")
            llm.script(Reply(whole(BROKEN)),
                       Reply(whole(app) + whole(BROKEN, "src/Menu.jsx")),
                       Reply(whole(BROKEN, "src/Footer.jsx")))
            churn_events = await generate(c, churn, "a bakery site")
            requests_after_churn = len(llm.requests)

            # It compiles but throws when it renders: found without a browser, and fixed.
            throws = await create_project(c)
            llm.script(Reply(whole(THROWS)), Reply(THROWS_FIX))
            throws_events = await generate(c, throws, "a tea menu")
            throws_request = llm.requests[-1]["messages"][-1]["content"]
            # Code that needs a browser's globals to render is not an error.
            browser_only = await create_project(c)
            llm.script(Reply(whole(BROWSER_ONLY)))
            browser_events = await generate(c, browser_only, "a wide page")
            requests_before_costly = len(llm.requests)

            # A first answer that already used the budget: no fix is asked for.
            costly = await create_project(c)
            llm.script(Reply(whole(BROKEN), prompt_tokens=60000))
            costly_events = await generate(c, costly, "a florist site")
            requests_after_costly = len(llm.requests)

    done = completed(fixed_events).data
    assert done["autofix"] == {"rounds": 1, "fixed": True}, done
    assert done["preview_errors"] == 0
    assert [e.data["path"] for e in fixed_events if e.event == "preview_error"] == ["src/App.jsx"]
    assert [n["autofix"] for n in status_with(fixed_events, "autofix")] == [1, 1]
    assert "<div>Tea house</div>" in fixed_files["src/App.jsx"]
    # The broken answer and its fix are each a version.
    assert [v["number"] for v in fixed_versions] == [1, 2]
    # The model got the error as data, and the file it is in.
    sent = fix_request["messages"][-1]["content"]
    assert '<data kind="compile error" path="src/App.jsx">' in sent
    assert "Tea house" in sent and "the request that change answered" in sent

    done = completed(same_events).data
    assert done["autofix"]["fixed"] is False
    assert done["autofix"]["stopped"] == "the same error came back after a fix", done
    assert done["autofix"]["rounds"] == 1

    done = completed(churn_events).data
    assert done["autofix"]["rounds"] == 2 and done["autofix"]["fixed"] is False, done
    assert done["autofix"]["stopped"].startswith("gave up after 2 fix attempts"), done
    assert len([e for e in churn_events if e.event == "preview_error"]) == 3

    done = completed(costly_events).data
    assert done["autofix"]["rounds"] == 0 and "token budget is spent" in \
        done["autofix"]["stopped"], done
    # Stopping on the budget asked the model nothing more.
    assert requests_after_costly == requests_before_costly + 1
    assert requests_before_costly == requests_after_churn + 3

    done = completed(throws_events).data
    assert done["autofix"] == {"rounds": 1, "fixed": True}, done
    (thrown,) = [e.data for e in throws_events if e.event == "preview_error"]
    assert thrown["kind"] == "runtime" and thrown["path"] == "src/App.jsx", thrown
    assert "TypeError" in thrown["message"] and "map" in thrown["message"]
    assert '<data kind="runtime error" path="src/App.jsx">' in throws_request

    done = completed(browser_events).data
    assert done["preview_errors"] == 0 and "autofix" not in done, done
