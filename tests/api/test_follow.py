"""Follow the teacher over WebSockets: a room, its views relayed to every follower, the end."""

import json

from fastapi.testclient import TestClient

VIEW = {"type": "view", "page": "surface", "hash": "surface=beale", "playing": False, "cursor": 0, "speed": 100}


def receive(ws) -> dict:
    return json.loads(ws.receive_text())


def test_every_follower_gets_the_newest_view_now_and_each_change_after(client: TestClient):
    with client.websocket_connect("/ws/v1/follow/lead") as lead:
        room = receive(lead)
        assert room["type"] == "room" and len(room["id"]) >= 6
        assert receive(lead) == {"type": "followers", "count": 0}
        lead.send_text(json.dumps(VIEW))
        with (
            client.websocket_connect(f"/ws/v1/follow/{room['id']}") as one,
            client.websocket_connect(f"/ws/v1/follow/{room['id']}") as two,
        ):
            for follower in (one, two):
                first = receive(follower)
                assert first["type"] == "view" and first["hash"] == VIEW["hash"] and first["version"] == 1
            lead.send_text(json.dumps({**VIEW, "hash": "surface=beale&steps=300", "playing": True, "cursor": 40}))
            for follower in (one, two):
                view = receive(follower)
                assert view["version"] == 2 and view["hash"].endswith("steps=300")
                assert view["playing"] is True and view["cursor"] == 40
            assert receive(lead) == {"type": "followers", "count": 2}
    # the leader left: a new follower of that room is told there is nothing to follow


def test_a_bad_view_is_refused_and_changes_nothing(client: TestClient):
    with client.websocket_connect("/ws/v1/follow/lead") as lead:
        room = receive(lead)["id"]
        receive(lead)
        lead.send_text(json.dumps(VIEW))
        lead.send_text(json.dumps({**VIEW, "cursor": -1}))
        error = receive(lead)
        assert error["type"] == "error" and "cursor" in error["message"]
        with client.websocket_connect(f"/ws/v1/follow/{room}") as follower:
            assert receive(follower)["version"] == 1


def test_following_an_unknown_or_ended_room_says_so(client: TestClient):
    with client.websocket_connect("/ws/v1/follow/nosuchroom") as follower:
        message = receive(follower)
        assert message["type"] == "error" and "nosuchroom" in message["message"]
    with client.websocket_connect("/ws/v1/follow/lead") as lead:
        room = receive(lead)["id"]
        receive(lead)
        lead.send_text(json.dumps(VIEW))
        follower_cm = client.websocket_connect(f"/ws/v1/follow/{room}")
        follower = follower_cm.__enter__()
        assert receive(follower)["type"] == "view"
    assert receive(follower) == {"type": "ended"}
    follower_cm.__exit__(None, None, None)
