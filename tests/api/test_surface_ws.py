import json
import threading
import time

import numpy as np

from app.services.frames import decode_frame

SPEC = {
    "surface": {"name": "rosenbrock"},
    "steps": 200,
    "runs": [
        {"optimizer": "adam", "hyperparameters": {"learning_rate": 0.05}},
        {"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.001}},
    ],
}


def send(ws, **message):
    ws.send_text(json.dumps(message))


def receive_frame(ws):
    message = ws.receive()
    assert "bytes" in message, message
    return decode_frame(message["bytes"])


def receive_json(ws):
    message = ws.receive()
    assert "text" in message, message
    return json.loads(message["text"])


def paths(header, payload):
    """Split a paths payload into per-run (length, 4) arrays."""
    out, offset = [], 0
    for run in header["runs"]:
        n = run["length"] * len(header["fields"])
        out.append(payload[offset : offset + n].reshape(run["length"], -1))
        offset += n
    return out


def test_start_sends_whole_paths_equal_to_the_rest_answer(client):
    rest = client.post("/api/v1/trajectories", json=SPEC).json()
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        header, payload = receive_frame(ws)
        assert header["type"] == "paths" and header["seq"] == 1 and header["cursor"] == 0
        assert header["fields"] == ["x", "y", "loss", "grad_norm"]
        for run, rest_run, arr in zip(header["runs"], rest["runs"], paths(header, payload), strict=True):
            assert run["length"] == len(rest_run["points"]) == 201
            np.testing.assert_allclose(arr[:, :2], rest_run["points"], rtol=1e-6)
            np.testing.assert_allclose(arr[:, 2], rest_run["loss"], rtol=1e-6)


def test_update_answers_at_once_with_recomputed_paths(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        header, payload = receive_frame(ws)
        before = paths(header, payload)
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="update", run=0, hyperparameters={"learning_rate": 0.01})
        header, payload = receive_frame(ws)
        after = paths(header, payload)
        assert header["version"] == 2
        assert header["runs"][0]["hyperparameters"]["learning_rate"] == 0.01
        assert header["runs"][0]["hyperparameters"]["b1"] == 0.9
        assert not np.allclose(before[0], after[0])
        np.testing.assert_array_equal(before[1], after[1])
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="update", start=[0.5, -0.5])
        header, payload = receive_frame(ws)
        assert header["start"] == [0.5, -0.5]
        assert all(arr[0, 0] == 0.5 and arr[0, 1] == -0.5 for arr in paths(header, payload))


def test_bad_messages_get_an_error_frame_and_the_session_stays_open(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="update", run=0, hyperparameters={"learning_rate": 0.01})
        assert "start" in receive_json(ws)["message"]
        send(ws, type="start", spec=SPEC)
        header, _ = receive_frame(ws)
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="update", run=0, hyperparameters={"learning_rate": 99})
        error = receive_json(ws)
        assert error["type"] == "error" and "learning_rate" in error["message"] and "10" in error["message"]
        send(ws, type="update", run=5, hyperparameters={"learning_rate": 0.1})
        assert "run 5 does not exist" in receive_json(ws)["message"]
        send(ws, type="jump")
        assert "type" in receive_json(ws)["message"]
        ws.send_text("not json")
        assert receive_json(ws)["type"] == "error"
        ws.send_bytes(b"\x00\x01")
        assert "JSON text" in receive_json(ws)["message"]
        send(ws, type="update", run=1, hyperparameters={"learning_rate": 0.002})
        header, _ = receive_frame(ws)
        assert header["version"] == 2 and header["runs"][1]["hyperparameters"]["learning_rate"] == 0.002


def test_playback_stays_within_the_credit_window(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        receive_frame(ws)  # paths, seq 1: not acknowledged
        send(ws, type="speed", steps_per_second=5000)
        assert receive_json(ws)["steps_per_second"] == 5000
        send(ws, type="resume")
        assert receive_json(ws)["playing"] is True
        time.sleep(0.4)  # unpaced, ~24 ticks would be sent by now
        send(ws, type="pause")
        binary = 0
        while True:
            message = ws.receive()
            if "text" in message:
                assert json.loads(message["text"])["playing"] is False
                break
            binary += 1
        assert binary == 2  # credit window 3, the unacknowledged paths frame holds one


def test_ticks_follow_the_cursor_and_acks_release_more(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        header, payload = receive_frame(ws)
        full = paths(header, payload)
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="step", count=5)
        tick, data = receive_frame(ws)
        assert tick["type"] == "tick" and tick["from"] == 5 and tick["cursor"] == 5
        np.testing.assert_allclose(data.reshape(2, 1, 3)[0, 0], full[0][5, :3])
        send(ws, type="ack", seq=tick["seq"])
        send(ws, type="step", count=-2)
        assert receive_frame(ws)[0]["cursor"] == 3
        send(ws, type="seek", step=150)
        assert receive_frame(ws)[0]["cursor"] == 150
        send(ws, type="speed", steps_per_second=2000)
        receive_json(ws)
        send(ws, type="resume")
        receive_json(ws)
        cursor, seen = 150, 0
        while True:
            message = ws.receive()
            if "text" in message:
                state = json.loads(message["text"])
                if state.get("at_end"):
                    break
                continue
            tick, data = decode_frame(message["bytes"])
            assert tick["from"] == cursor + 1 and tick["cursor"] > cursor
            assert data.size == 2 * 3 * (tick["cursor"] - tick["from"] + 1)
            cursor, seen = tick["cursor"], seen + 1
            send(ws, type="ack", seq=tick["seq"])
        assert cursor == 200 and seen >= 1 and state["playing"] is False


def test_a_tick_past_a_diverged_runs_end_repeats_its_last_point(client):
    spec = {**SPEC, "runs": [SPEC["runs"][1], {"optimizer": "sgd", "hyperparameters": {"learning_rate": 5.0}}]}
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=spec)
        header, payload = receive_frame(ws)
        good, diverged = paths(header, payload)
        assert header["runs"][1]["status"] == "diverged" and len(diverged) < 20 < len(good)
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="speed", steps_per_second=2000)
        receive_json(ws)
        send(ws, type="resume")
        receive_json(ws)
        ticks = 0
        while "bytes" in (message := ws.receive()):
            tick, data = decode_frame(message["bytes"])
            send(ws, type="ack", seq=tick["seq"])
            rows = data.reshape(2, tick["cursor"] - tick["from"] + 1, 3)
            np.testing.assert_allclose(rows[0], good[tick["from"] : tick["cursor"] + 1, :3])
            steps = np.arange(tick["from"], tick["cursor"] + 1)
            np.testing.assert_allclose(rows[1], diverged[np.minimum(steps, len(diverged) - 1), :3])
            ticks += 1
        assert json.loads(message["text"])["at_end"] and ticks >= 1


def test_stepping_or_seeking_while_playing_pauses_and_says_so(client):
    def messages_until_speed(marker: int) -> tuple[list[dict], int]:
        """The state messages before the answer to a speed change to ``marker``, and the last tick's cursor."""
        states, cursor = [], None
        while True:
            message = ws.receive()
            if "bytes" in message:
                tick = decode_frame(message["bytes"])[0]
                cursor = tick["cursor"]
                send(ws, type="ack", seq=tick["seq"])
                continue
            state = json.loads(message["text"])
            if state["steps_per_second"] == marker:
                return states, cursor
            states.append(state)

    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        send(ws, type="ack", seq=receive_frame(ws)[0]["seq"])
        for move in ({"type": "step", "count": 1}, {"type": "seek", "step": 40}):
            send(ws, type="speed", steps_per_second=5)
            send(ws, type="resume")
            messages_until_speed(5)
            send(ws, **move)
            send(ws, type="speed", steps_per_second=7)  # a marker: its answer ends what the move caused
            states, cursor = messages_until_speed(7)
            assert [s["playing"] for s in states][-1] is False
            assert states[-1]["cursor"] == cursor
        assert cursor == 40
        send(ws, type="step", count=1)  # already paused: the tick alone answers
        send(ws, type="speed", steps_per_second=9)
        states, cursor = messages_until_speed(9)
        assert states == [] and cursor == 41


def test_stop_closes_and_abrupt_disconnects_leak_no_threads(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        receive_frame(ws)
        send(ws, type="stop")
        assert receive_json(ws) == {"type": "stopped"}
        assert ws.receive()["type"] == "websocket.close"
    baseline = threading.active_count()
    for _ in range(20):
        with client.websocket_connect("/ws/v1/surface") as ws:
            send(ws, type="start", spec=SPEC, play=True)
            receive_frame(ws)
    time.sleep(0.5)
    assert threading.active_count() <= baseline + 2
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        assert receive_frame(ws)[0]["type"] == "paths"


def test_playback_time_does_not_pass_while_paths_are_computed(client, monkeypatch):
    """Play pressed while the paths compute (a first compile can take a second): the animation starts at
    the beginning when they arrive instead of jumping ahead by the computing time × speed."""
    import app.services.surface_session as surface_session

    real = surface_session.simulate_spec

    def slow(spec):
        time.sleep(0.5)  # stands in for a compilation
        return real(spec)

    monkeypatch.setattr(surface_session, "simulate_spec", slow)
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=SPEC)
        send(ws, type="speed", steps_per_second=400)
        send(ws, type="resume")
        while True:
            message = ws.receive()
            if "bytes" in message:
                header, _ = decode_frame(message["bytes"])
                break
        assert header["type"] == "paths"
        assert header["cursor"] <= 20  # 0.5 s at 400 steps/s would be 200


def test_a_run_whose_start_cannot_be_evaluated_plays_without_breaking_the_session(client):
    spec = {"surface": {"name": "beale"}, "start": [1.0, 1e4], "steps": 5, "runs": [{"optimizer": "sgd"}]}
    with client.websocket_connect("/ws/v1/surface") as ws:
        send(ws, type="start", spec=spec)
        header, payload = receive_frame(ws)
        assert header["runs"][0]["length"] == 0 and header["runs"][0]["diverged_at"] == 0 and payload.size == 0
        send(ws, type="ack", seq=header["seq"])
        send(ws, type="step", count=2)
        tick, data = receive_frame(ws)
        assert tick["cursor"] == 2 and data.tolist() == [0.0, 0.0, 0.0]
