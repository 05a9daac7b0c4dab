#!/usr/bin/env python3
"""Renders BENCHMARKS.md from bench/run.sh's results (one JSON object per
line) and machine description, judging each figure against the targets of
issue 7, then appends bench/analysis.md (what bounds the figures, written by
hand after looking at them and at profiles).

    report.py results.jsonl machine.json > BENCHMARKS.md
"""

import json
import pathlib
import sys


def load(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def cpu(row):
    used = row.get("cpu") or {}
    if not used:
        return "–"
    return " / ".join(fmt(used.get(name), 2) for name in ("enrolments", "courses", "machine"))


def verdict(ok):
    return "**met**" if ok else "**missed**"


def main():
    results = load(sys.argv[1])
    machine = json.loads(pathlib.Path(sys.argv[2]).read_text(encoding="utf-8"))
    by = {r["label"]: r for r in results}
    out = []
    w = out.append

    w("# Benchmarks")
    w("")
    w("Figures from one run of `bench/run.sh` on one machine, everything on one host: "
      "PostgreSQL, the five services (release build, each its own process, JSON logs at "
      "`info`), and the load generators. Nothing here is asserted by a test; rerun the "
      "command to reproduce, and expect other machines to differ.")
    w("")
    w("```sh")
    w("bench/run.sh            # builds in release, measures, rewrites this file")
    w("```")
    w("")
    w("| machine | |")
    w("|---|---|")
    w(f"| CPU | {machine['cpu']} |")
    w(f"| cores | {machine['cores']} |")
    w(f"| memory | {machine['memory']} |")
    w(f"| PostgreSQL | {machine['postgres']} (local, default settings) |")
    w(f"| Rust | {machine['rustc']} ({machine['profile']} build) |")
    w(f"| run | {machine['date']}, commit `{machine['commit']}`, {machine['duration']} per measurement |")
    w("")

    targets = []

    # --- enrol -------------------------------------------------------------
    spread, hot = by.get("ceiling-spread", {}), by.get("ceiling-hot", {})
    w("## Enrol: the ceiling and the service")
    w("")
    w("**The ceiling** is pgbench running the enrol transaction's own SQL against the same "
      "schema: the statements PostgreSQL logged for one real `Enrol` call (BEGIN, the "
      "session's seat row, one statement that checks quotas, waitlist and the trainee's "
      "existing enrolment and, the enrolment being typical, takes the seat and writes the "
      "enrolment, its history, its notice and the idempotency key with its answer, COMMIT), "
      "replayed by 8 clients "
      "(`bench/ceiling.py` makes the script from the capture; `target/bench/enrol-*.sql`). "
      "*Spread*: over 200 sessions; *hot*: every transaction on one session's seat row. "
      "*Minimal*: what an enrolment must do at least (`bench/enrol-minimal.sql`: the seat "
      "guard, the enrolment row and an outbox row in one transaction), same clients.")
    w("")
    w("| ceiling | transactions/s | mean latency ms | failed |")
    w("|---|---:|---:|---:|")
    for name, row in (("spread (200 sessions)", spread), ("hot (1 session)", hot),
                      ("minimal, spread", by.get("minimal-spread", {})), ("minimal, hot", by.get("minimal-hot", {}))):
        if row:
            w(f"| {name} | {fmt(row.get('throughput'))} | {fmt(row.get('avg_ms'), 2)} | {fmt(row.get('errors'), 0)} |")
    w("")
    w("**The service**: `hamafza-bench enrol`, a tonic client over one HTTP/2 connection, "
      "each call a new trainee enrolling through the enrolments service (which also asks "
      "courses for the session, verifies the token and writes a log line). Closed loop: "
      "N callers back to back. Open loop: calls sent on a fixed schedule; latency counts "
      "from when a call was due, so stalls are not hidden. Every run uses fresh sessions "
      "with room for all." + (
          " *Notices after*: each enrolment's notice goes through enrolments' outbox to "
          "notifications after the answer; the next run starts once all of the run's are "
          "delivered, and this is how long that took after the run ended."
          if any("notices_drain_s" in r for r in results) else
          " (This run did not wait for each run's notices to be delivered before the next: "
          "see below.)"))
    w("")
    w("| run | mode | calls/s | of ceiling | p50 ms | p99 ms | p99.9 ms | errors | CPU cores: enrolments / courses / machine | notices after, s |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    enrol_rows = [r for r in results if r.get("phase") == "enrol"]
    for r in enrol_rows:
        ceiling = hot if "hot" in r["label"] else spread
        ratio = r["throughput"] / ceiling["throughput"] if ceiling.get("throughput") and "open" not in r["label"] else None
        w(f"| {r['label']} | {r['mode']} | {fmt(r['throughput'])} | {fmt(ratio * 100, 0) + ' %' if ratio else '–'} "
          f"| {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {fmt(r['p999_ms'], 2)} | {r['errors']} | {cpu(r)} "
          f"| {fmt(r.get('notices_drain_s'))} |")
    w("")
    best_spread = max((r["throughput"] for r in enrol_rows if "spread" in r["label"]), default=0)
    best_hot = max((r["throughput"] for r in enrol_rows if "hot" in r["label"]), default=0)
    if spread.get("throughput"):
        ratio = best_spread / spread["throughput"]
        targets.append(("Enrol throughput ≥ 70 % of the captured ceiling (spread)", f"{ratio * 100:.0f} % ({best_spread:,.0f} of {spread['throughput']:,.0f}/s)", ratio >= 0.7))
    if hot.get("throughput"):
        ratio = best_hot / hot["throughput"]
        targets.append(("Enrol throughput ≥ 60 % of the captured ceiling (hot)", f"{ratio * 100:.0f} % ({best_hot:,.0f} of {hot['throughput']:,.0f}/s)", ratio >= 0.6))
    minimal = by.get("minimal-spread", {})
    if minimal.get("throughput"):
        ratio = best_spread / minimal["throughput"]
        targets.append(("Enrol throughput ≥ 60 % of the minimal enrol transaction (spread)", f"{ratio * 100:.0f} % ({best_spread:,.0f} of {minimal['throughput']:,.0f}/s)", ratio >= 0.6))
    open_half = by.get("enrol-open-half")
    if open_half:
        ok = open_half["p99_ms"] <= 25 and open_half["errors"] == 0
        targets.append(("Open loop at 50 % of the spread closed-loop rate: p99 ≤ 25 ms, 0 errors",
                        f"p99 {open_half['p99_ms']:.1f} ms, {open_half['errors']} errors, {open_half['throughput']:,.0f}/s achieved", ok))
    open_1000 = by.get("enrol-open-1000")
    if open_1000:
        ok = open_1000["p99_ms"] <= 25 and open_1000["errors"] == 0
        targets.append(("p99 ≤ 25 ms at 1,000 enrolments/s open loop, 0 errors",
                        f"p99 {open_1000['p99_ms']:.1f} ms, {open_1000['errors']} errors, {open_1000['throughput']:,.0f}/s achieved", ok))

    # --- reads -------------------------------------------------------------
    w("## Reads")
    w("")
    w("gRPC: `hamafza-bench read`, 16 callers. HTTP: `wrk -t2 -c16` against the gateway's JSON "
      "API (which calls the same services over gRPC). *My enrolments* are those of 1,000 "
      "trainees with one enrolment each; *verify* looks up the serials of 50 real certificates.")
    w("")
    w("| read | over | calls/s | p50 ms | p99 ms | p99.9 ms | errors |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for r in (x for x in results if x.get("phase") == "read"):
        over = "HTTP (gateway)" if r["label"].startswith("http") else "gRPC"
        name = r["label"].split("-", 1)[1]
        w(f"| {name} | {over} | {fmt(r['throughput'])} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {fmt(r['p999_ms'], 2)} | {r['errors']} |")
    w("")
    if "grpc-catalog" in by:
        t = by["grpc-catalog"]["throughput"]
        targets.append(("Catalog reads ≥ 5,000/s over gRPC", f"{t:,.0f}/s", t >= 5000))
    for part, whole, share, name in (
        ("http-catalog", "grpc-catalog", 0.5, "Gateway JSON catalog ≥ 50 % of the gRPC catalog"),
        ("grpc-catalog", "grpc-echo", 0.7, "gRPC catalog ≥ 70 % of a bare tonic server"),
    ):
        if part in by and whole in by and by[whole]["throughput"]:
            ratio = by[part]["throughput"] / by[whole]["throughput"]
            targets.append((name, f"{ratio * 100:.0f} % ({by[part]['throughput']:,.0f} of {by[whole]['throughput']:,.0f}/s)", ratio >= share))
    if "grpc-verify" in by:
        t = by["grpc-verify"]["throughput"]
        targets.append(("Verification ≥ 3,000/s", f"{t:,.0f}/s over gRPC", t >= 3000))

    # --- completion to certificate -------------------------------------------
    certify_rows = [r for r in results if r.get("phase") == "certify"]
    if certify_rows:
        w("## Completion to certificate")
        w("")
        w("`hamafza-bench certify-delay`: trainees enrolled and marked present, then their "
          "completions sent at a steady rate; each delay runs from the completion's answer to "
          "its certificate's issue time (one host, one clock), and certificates per second "
          "from the first completion to the last certificate.")
        w("")
        w("| completions | certificates | certificates/s | delay p50 ms | p99 ms | max ms | errors |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for r in certify_rows:
            w(f"| {r['mode']} | {r['requests']} | {fmt(r['throughput'])} | {fmt(r['p50_ms'], 1)} | {fmt(r['p99_ms'], 1)} | {fmt(r['max_ms'], 1)} | {r['errors']} |")
        w("")
        worst = max(certify_rows, key=lambda r: r["p99_ms"])
        targets.append(("Completion-to-certificate delay reported (p99)", f"p99 {worst['p99_ms']:,.0f} ms at {worst['mode']}", True))

    # --- growth ------------------------------------------------------------
    sizes = sorted({int(r["phase"].split("-")[1]) for r in results if r.get("phase", "").startswith("growth-")})
    if sizes:
        w("## Growth")
        w("")
        w("The enrolments table replaced by N seeded enrolments (N/10 trainees, ten each, six "
          "organizations, a year of history) and N more certificates, then: a trainee's own "
          "enrolments, an organization's first page of 50 (admin), the benchmarking report "
          "over all time (one caller), and verification of real serials among them.")
        w("")
        w("| enrolments | my enrolments p50 / p99 ms | organization page p50 / p99 ms | report p50 / p99 ms | verify p50 / p99 ms |")
        w("|---:|---:|---:|---:|---:|")
        for size in sizes:
            cells = []
            for what in ("my-enrolments", "org-enrolments", "report", "verify"):
                r = by.get(f"growth-{size}-{what}")
                cells.append(f"{fmt(r['p50_ms'], 2)} / {fmt(r['p99_ms'], 2)}" if r else "–")
            w(f"| {size:,} | " + " | ".join(cells) + " |")
        w("")
        largest, smallest = sizes[-1], sizes[0]
        report = by.get(f"growth-{largest}-report")
        if report and largest >= 1_000_000:
            targets.append(("Benchmarking report over 1M enrolments ≤ 200 ms", f"p50 {report['p50_ms']:.0f} ms, p99 {report['p99_ms']:.0f} ms", report["p99_ms"] <= 200))
        if largest > smallest:
            for what, name in (("my-enrolments", "my enrolments"), ("org-enrolments", "organization page"), ("report", "benchmarking report")):
                big, small = by.get(f"growth-{largest}-{what}"), by.get(f"growth-{smallest}-{what}")
                if big and small:
                    ratio = big["p50_ms"] / small["p50_ms"]
                    targets.append((f"List at {largest:,} within 2× of {smallest:,} ({name})", f"{ratio:.2f}× (p50 {small['p50_ms']:.2f} → {big['p50_ms']:.2f} ms)", ratio <= 2))

    # --- memory ------------------------------------------------------------
    w("## Memory")
    w("")
    w("Resident set (VmRSS) of each service process: idle after start, and the peak sampled "
      "every 250 ms during the load runs.")
    w("")
    w("| service | idle MiB | peak under load MiB |")
    w("|---|---:|---:|")
    for service in ("courses", "enrolments", "certification", "notifications", "gateway"):
        idle = by.get(f"idle-{service}", {}).get("rss_kib")
        peak = by.get(f"peak-{service}", {}).get("rss_kib")
        w(f"| {service} | {fmt(idle / 1024 if idle else None)} | {fmt(peak / 1024 if peak else None)} |")
        if idle:
            targets.append((f"{service} ≤ 64 MiB resident idle", f"{idle / 1024:.1f} MiB", idle / 1024 <= 64))
    w("")

    # --- targets -----------------------------------------------------------
    w("## Against the targets")
    w("")
    w("| target | measured | |")
    w("|---|---|---|")
    for name, measured, ok in targets:
        w(f"| {name} | {measured} | {verdict(ok)} |")
    w("")

    analysis = pathlib.Path(__file__).with_name("analysis.md")
    if analysis.exists():
        w(analysis.read_text(encoding="utf-8").rstrip())
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
