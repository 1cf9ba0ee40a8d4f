"""Follow the teacher across worker processes (``descentlab serve --workers N``): the rooms are shared
through a directory, so a follower whose socket reached another process still follows its leader."""

import json
import time
from contextlib import ExitStack

import anyio
from websockets.sync.client import connect

from app.services.follow import FollowHub, RemoteRoom, SharedRooms
from bench.server import server_process

VIEW = {"page": "surface", "hash": "surface=beale", "playing": False, "cursor": 0, "speed": 100}


def test_a_room_opened_in_one_process_is_followed_from_another(tmp_path):
    leader_side, other_side = FollowHub(SharedRooms(tmp_path)), FollowHub(SharedRooms(tmp_path))
    seen = []

    async def main():
        room = leader_side.open()
        assert other_side.join("nosuchroom") is None
        remote = other_side.join(room.id)
        assert isinstance(remote, RemoteRoom)
        assert room.follower_count == 1  # the leader's process counts followers in every process
        room.publish(VIEW)
        first = await remote.next_view(0)
        room.publish({**VIEW, "cursor": 40})
        second = await remote.next_view(first["version"])
        seen.extend([first, second])
        other_side.leave(remote)
        assert room.follower_count == 0
        leader_side.close(room)
        with anyio.fail_after(2):
            assert await remote.next_view(second["version"]) is None  # the leader went away
        assert other_side.join(room.id) is None

    anyio.run(main)
    assert [v["version"] for v in seen] == [1, 2] and seen[1]["cursor"] == 40 and seen[0]["type"] == "view"
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_serve_with_two_workers_relays_a_room_to_followers_on_both(tmp_path):
    env = {"DESCENTLAB_WARM_UP": "false", "DESCENTLAB_MAX_WS_PER_CLIENT": "0", "DESCENTLAB_FOLLOW_DIR": str(tmp_path)}
    with server_process(env, ("--workers", "2")) as (address, _), ExitStack() as stack:
        with connect(f"ws://{address}/ws/v1/follow/lead") as lead:
            room = json.loads(lead.recv(timeout=30))["id"]
            lead.send(json.dumps({"type": "view", **VIEW}))
            time.sleep(0.2)
            # Which worker accepts a connection is the kernel's choice, often the same one many times over:
            # connect followers until both workers hold some.
            marks, followers = tmp_path / f"{room}.followers", []
            while len(followers) < 12 or not (marks.exists() and 0 < len(list(marks.iterdir())) < len(followers)):
                assert len(followers) < 200, "every follower reached the same worker"
                followers.append(stack.enter_context(connect(f"ws://{address}/ws/v1/follow/{room}")))
                assert json.loads(followers[-1].recv(timeout=30))["hash"] == VIEW["hash"]
            lead.send(json.dumps({"type": "view", **VIEW, "cursor": 7}))
            for follower in followers:
                assert json.loads(follower.recv(timeout=30))["cursor"] == 7
            deadline = time.monotonic() + 10
            while (count := json.loads(lead.recv(timeout=10))).get("count") != len(followers):
                assert time.monotonic() < deadline, count
