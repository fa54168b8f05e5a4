"""`peitu mcp` with the MCP SDK's own client: over stdio (the command an agent starts) and streamable HTTP
(a real server on a free port, behind its token): the tools listed, check and plan and illustrate on an
example, refusals as error results that say why, upload only when allowed."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import httpx2
import pytest
import requests
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from pipeline.asgi import AsgiServer
from pipeline.mcp_server import build_server, http_app
from pipeline.tools import Tools

from .conftest import API_TOKEN, EXAMPLES, small_images

FOOD = EXAMPLES / "food-chaoshan-beef-hotpot.md"
TOOLS = {"check", "plan", "illustrate", "library_search", "template_preview"}


async def exercise(client: Client) -> dict:
    """What an agent does first: list the tools, check and plan an example, and ask for a file it may not read."""
    listed = await client.list_tools()
    checked = await client.call_tool("check", {"path": str(FOOD)})
    planned = await client.call_tool("plan", {"path": str(FOOD), "inline": 2})
    refused = await client.call_tool("plan", {"path": "/etc/passwd"})
    invalid = await client.call_tool("plan", {"path": str(FOOD), "inline": 99})
    return {"tools": {t.name: t for t in listed.tools}, "check": checked, "plan": planned, "refused": refused,
            "invalid": invalid}


def assert_exercised(seen: dict) -> None:
    assert set(seen["tools"]) == TOOLS
    plan_tool = seen["tools"]["plan"]
    assert {"path", "text", "type", "style", "inline"} <= set(plan_tool.input_schema["properties"])
    assert "images" in plan_tool.output_schema["properties"] and plan_tool.annotations.read_only_hint
    check = seen["check"]
    assert not check.is_error and check.structured_content["ok"] is True
    plan = seen["plan"].structured_content
    assert plan["article"]["type"] == "food" and [i["key"] for i in plan["images"]][:1] == ["cover"]
    assert sum(i["role"] == "inline" for i in plan["images"]) == 2 and all(i["prompt"] for i in plan["images"])
    assert seen["refused"].is_error and "只能打开文章文件" in seen["refused"].content[0].text
    assert seen["invalid"].is_error and "inline" in seen["invalid"].content[0].text


def test_stdio_lists_the_tools_and_runs_check_and_plan(tmp_path):
    from .conftest import write_config

    config = write_config(tmp_path)
    params = StdioServerParameters(command=sys.executable, cwd=str(tmp_path),
                                   args=["-m", "pipeline", "--config", str(config), "mcp", "--articles", str(EXAMPLES)])

    async def main() -> dict:
        async with Client(params) as client:
            return await exercise(client)

    assert_exercised(anyio.run(main))
    assert not (tmp_path / "out").exists()                   # check and plan write nothing


@pytest.fixture
def mcp_http(cfg):
    tools = Tools(small_images(cfg), [EXAMPLES])
    server = AsgiServer(http_app(build_server(tools), "127.0.0.1", API_TOKEN), "127.0.0.1", 0).start()
    yield server.url + "mcp"
    server.close()
    tools.close()


def test_streamable_http_behind_its_token(mcp_http):
    async def main() -> dict:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=300) as http:
            async with Client(streamable_http_client(mcp_http, http_client=http)) as client:
                seen = await exercise(client)
                seen["illustrate"] = await client.call_tool("illustrate", {"path": str(FOOD), "inline": 1})
                seen["search"] = await client.call_tool("library_search", {"q": "火锅"})
                return seen

    seen = anyio.run(main)
    assert_exercised(seen)
    made = seen["illustrate"].structured_content
    assert made["status"] == "ok" and Path(made["preview_html"]).is_file()
    assert all(Path(f).is_file() for i in made["images"] for f in i["files"])
    assert seen["search"].structured_content["total"] == 2                        # the cover and the inline image
    anonymous = requests.post(mcp_http, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = requests.post(mcp_http, json={}, headers={"Authorization": "Bearer guess"}, timeout=30)
    assert wrong.status_code == 401


def test_upload_is_a_tool_only_when_allowed(cfg):
    async def names(allow: bool) -> set[str]:
        async with Client(build_server(Tools(cfg, allow_upload=allow))) as client:
            return {t.name for t in (await client.list_tools()).tools}

    assert anyio.run(names, False) == TOOLS
    assert anyio.run(names, True) == TOOLS | {"upload"}


def test_peitu_mcp_http_prints_its_address_and_token_and_stops_on_sigterm(tmp_path):
    import os
    import signal
    import subprocess

    (tmp_path / "config.yaml").write_text("paths: {state: state.db}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PEITU_API_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(tmp_path / "config.yaml"), "mcp",
                             "--http", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        url = next(w for w in proc.stdout.readline().split() if w.startswith("http"))
        token = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")

        async def main() -> set[str]:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    return {t.name for t in (await client.list_tools()).tools}

        assert anyio.run(main) == TOOLS
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
