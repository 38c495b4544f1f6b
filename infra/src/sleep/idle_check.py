"""Idle check of the sleeping Airflow host (openaq-lakehouse).

Shipped in the Airflow bundle as host/idle_check.py; infra/src/sleep/host-files.ts holds the
script and timer that run it. Two commands:

  python - facts                 inside the airflow-scheduler container: prints what Airflow's
                                 database says (active runs, next due run per DAG) as JSON.
  python3 idle_check.py decide   on the host: reads those facts (or "null") from stdin, prints
                                 the reason of its decision, exits 10 to stop the host, 0 to stay.

Any error exits with another status, and the host stays up: a wrong "stay" costs cents, a wrong
"stop" could cut a run. The decision itself is decide(), a pure function of the facts and a clock.
Runs on the host's python3 (3.9 on Amazon Linux 2023) and on the Airflow image's python.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

STOP_STATUS = 10
# When Airflow cannot be asked (scheduler down, database broken), the host still stops once it has
# been up this long: nothing can run without Airflow, and a broken host must not run all month.
UNREACHABLE_LIMIT = timedelta(hours=3)


class Decision:
    def __init__(self, stop: bool, reason: str) -> None:
        self.stop = stop
        self.reason = reason

    def as_dict(self) -> dict:
        return {"stop": self.stop, "reason": self.reason}


def parse_time(value):
    """An ISO 8601 instant (with offset or Z) as an aware datetime, or None."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("time without a UTC offset: " + str(value))
    return parsed


def _iso(moment) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def decide(now, facts, booted_at, idle, awake_mark=None) -> Decision:
    """Whether the host may stop now.

    now, booted_at, awake_mark: aware datetimes (awake_mark: the mtime of the keep-awake file, may
    lie in the future). idle: a timedelta. facts: None when Airflow could not be asked, else
    {"active_runs": int, "last_run_end": iso or None,
     "dags": [{"dag_id": str, "paused": bool, "next_due": iso or None}]}
    where next_due is when Airflow will create the DAG's next run (past when runs were missed).
    """
    if facts is None:
        up = now - booted_at
        if up >= UNREACHABLE_LIMIT:
            return Decision(True, "Airflow unreachable and the host has been up for %s" % up)
        return Decision(False, "Airflow unreachable; staying up (stops after %s of uptime)" % UNREACHABLE_LIMIT)

    active = int(facts.get("active_runs", 0))
    if active > 0:
        return Decision(False, "%d DAG run(s) running or queued" % active)

    horizon = now + idle
    due = []
    for dag in facts.get("dags", []):
        if dag.get("paused"):
            continue
        next_due = parse_time(dag.get("next_due"))
        if next_due is not None and next_due <= horizon:
            due.append((next_due, dag.get("dag_id")))
    if due:
        when, dag_id = min(due)
        if when <= now:
            # Missed while the host was stopped (catchup): Airflow creates the run on its next loop.
            return Decision(False, "%s has a run due since %s" % (dag_id, _iso(when)))
        return Decision(False, "%s has a run due at %s, within the idle window" % (dag_id, _iso(when)))

    marks = [("boot", booted_at)]
    last_end = parse_time(facts.get("last_run_end"))
    if last_end is not None:
        marks.append(("last run end", last_end))
    if awake_mark is not None:
        marks.append(("keep-awake mark", awake_mark))
    label, last = max(marks, key=lambda m: m[1])
    if now - last < idle:
        return Decision(False, "idle since %s (%s); stopping after %s idle" % (_iso(last), label, idle))
    return Decision(True, "nothing running or due within %s; idle since %s (%s)" % (idle, _iso(last), label))


def gather_facts() -> dict:
    """Reads Airflow's metadata database (run inside the scheduler container)."""
    from airflow.models import DagModel, DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import func

    with create_session() as session:
        active = (
            session.query(func.count(DagRun.id))
            .filter(DagRun.state.in_([DagRunState.RUNNING, DagRunState.QUEUED]))
            .scalar()
        )
        last_end = session.query(func.max(DagRun.end_date)).scalar()
        dags = [
            {
                "dag_id": d.dag_id,
                "paused": bool(d.is_paused),
                "next_due": _iso(d.next_dagrun_create_after) if d.next_dagrun_create_after else None,
            }
            for d in session.query(DagModel).filter(DagModel.is_active.is_(True))
        ]
    return {
        "active_runs": int(active or 0),
        "last_run_end": _iso(last_end) if last_end else None,
        "dags": dags,
    }


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="idle_check")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("facts")
    d = sub.add_parser("decide")
    d.add_argument("--idle-minutes", type=int, required=True)
    d.add_argument("--uptime-seconds", type=int, required=True)
    d.add_argument("--awake-mark", type=int, default=0, help="epoch seconds; 0 = none")
    d.add_argument("--now", default=None, help="ISO instant (tests); default: the clock")
    args = parser.parse_args(argv)

    if args.command == "facts":
        print(json.dumps(gather_facts()))
        return 0

    if args.idle_minutes < 1:
        parser.error("--idle-minutes must be at least 1")
    now = parse_time(args.now) if args.now else datetime.now(timezone.utc)
    text = sys.stdin.read().strip()
    facts = json.loads(text) if text else None
    if facts is not None and not isinstance(facts, dict):
        raise ValueError("facts must be a JSON object or null")
    mark = datetime.fromtimestamp(args.awake_mark, timezone.utc) if args.awake_mark > 0 else None
    decision = decide(
        now,
        facts,
        booted_at=now - timedelta(seconds=args.uptime_seconds),
        idle=timedelta(minutes=args.idle_minutes),
        awake_mark=mark,
    )
    print(decision.reason)
    return STOP_STATUS if decision.stop else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
