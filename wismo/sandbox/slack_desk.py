"""The sandbox Slack's desk page: the support channel in a browser, where a person replies in
a case's thread and presses its buttons as they would in Slack (``wismo up`` prints its URL).

The page (slack_desk.html) polls ``/_desk/state`` and posts to ``/_desk/reply`` and
``/_desk/click``; those act through the workspace's own ``agent_reply`` and ``click``, so the
app receives exactly the events a person's action in Slack would send.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wismo.sandbox.slack_payloads import BOT_USER_ID, TEAM_NAME, Json

if TYPE_CHECKING:
    from wismo.sandbox.slack import SlackWorkspace

DESK_PAGE = Path(__file__).with_name("slack_desk.html")


def desk_routes(workspace: SlackWorkspace) -> list[web.RouteDef]:
    """The page and its three endpoints, served beside the workspace's Web API."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=DESK_PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def state(request: web.Request) -> web.Response:
        top = [m for m in workspace.messages() if m.get("thread_ts", m["ts"]) == m["ts"]]
        for message in top:
            message["replies"] = workspace.thread(message["ts"])
        return web.json_response({
            "team": TEAM_NAME,
            "channel": {"id": workspace.channel_id, "name": workspace.channel_name},
            "bot": {"id": BOT_USER_ID, "name": "Wismo"},
            "agents": [{"id": k, "name": v} for k, v in workspace.agents.items()],
            **workspace.status(),
            "messages": top,
        })

    async def reply(request: web.Request) -> web.Response:
        return await _act(request, lambda body: workspace.agent_reply(
            str(body["thread_ts"]), str(body["text"]), str(body["user"])))

    async def click(request: web.Request) -> web.Response:
        return await _act(request, lambda body: workspace.click(
            str(body["message_ts"]), str(body["action_id"]), str(body["user"])))

    return [web.get("/", page), web.get("/_desk/state", state),
            web.post("/_desk/reply", reply), web.post("/_desk/click", click)]


async def _act(request: web.Request, act: Callable[[Json], Any]) -> web.Response:
    """Do what a person asked on the page; a bad request is a 400 naming what was wrong."""
    try:
        act(await request.json())
    except (KeyError, TypeError, ValueError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"ok": True})
