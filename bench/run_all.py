"""Run every benchmark and print a Markdown table (copy the numbers into docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import browser_fps, follow, mlp_training, slider_latency, streaming, sweep, trajectories


def main() -> None:
    results = {
        "trajectories": trajectories.main(),
        "slider_latency": slider_latency.main(),
        "sweep": sweep.main(),
        "mlp_training": mlp_training.main(),
        "streaming": streaming.main(),
        "browser_fps": browser_fps.main(),
        "follow": follow.main(),
    }
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    t, s = results["trajectories"], results["slider_latency"]
    print("| benchmark | result |\n|---|---|")
    print(f"| {t['runs']} runs × {t['steps']} Adam steps, engine | {t['engine_ms']:.1f} ms |")
    print(f"| same, vectorized NumPy | {t['numpy_ms']:.1f} ms ({t['speedup_vs_numpy']:.2f}×) |")
    print(
        f"| NumPy without the divergence bookkeeping (less work) | {t['numpy_unchecked_ms']:.1f} ms "
        f"({t['speedup_vs_numpy_unchecked']:.2f}×) |"
    )
    if "torch_ms" in t:
        print(f"| same, PyTorch CPU | {t['torch_ms']:.1f} ms ({t['speedup_vs_torch']:.2f}×) |")
    print(f"| slider update → paths frame, p50 / p95 | {s['p50_ms']:.2f} / {s['p95_ms']:.2f} ms |")
    print(f"| compilations during {s['updates']} updates | {s['compilations']} |")
    w = results["sweep"]
    print(
        f"| sweep {w['cells']} cells × {w['steps']} steps, engine / POST /api/v1/sweep over loopback | "
        f"{w['engine_ms']:.1f} / {w['http_ms']:.1f} ms, {w['compilations']} compilations |"
    )
    for run in results["streaming"].values():
        print(
            f"| tick frames/s with {run['clients']} playing client(s), median / min | "
            f"{run['frames_per_s_median']:.1f} / {run['frames_per_s_min']:.1f}, errors {run['errors']} |"
        )
    fo = results["follow"]
    print(
        f"| follow: change → {fo['followers']} followers have the view, p50 / p95 | "
        f"{fo['relay_p50_ms']:.1f} / {fo['relay_p95_ms']:.1f} ms |"
    )
    print(
        f"| follow: change → followers have the new paths, p50 / p95 | "
        f"{fo['paths_p50_ms']:.1f} / {fo['paths_p95_ms']:.1f} ms; "
        f"{fo['groups_computed_per_change']:.2f} groups computed a change, errors {fo['errors']} |"
    )
    if fps := results["browser_fps"]:
        print(
            f"| surface page, {fps['paths']} paths playing: frames/s, draw median / p95 | "
            f"{fps['frames_per_s']:.1f}, {fps['draw_ms_median']:.1f} / {fps['draw_ms_p95']:.1f} ms |"
        )
    m = results["mlp_training"]
    print(f"| MLP {m['network']}, engine with all statistics | {m['engine_steps_per_s']:.0f} steps/s |")
    print(f"| same, bare exact JAX scan (floor) | {m['floor_steps_per_s']:.0f} steps/s ({m['share_of_floor']:.0%}) |")
    for name, row in m["padding"].items():
        print(
            f"| padding cost {name}: bucketed steps / exact scan | {row['bucketed']:.0f} / {row['exact']:.0f} steps/s |"
        )
    if "torch_steps_per_s" in m:
        print(f"| same, PyTorch CPU | {m['torch_steps_per_s']:.0f} steps/s ({m['speedup_vs_torch']:.2f}×) |")


if __name__ == "__main__":
    main()
