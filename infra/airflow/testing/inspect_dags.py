"""Imports every DAG file of a dags folder against the stand-ins and prints what they built (JSON).

Usage: python3 inspect_dags.py <dags folder>. Files matched by .airflowignore are skipped, as the
scheduler would. For each DAG the failure callback is also invoked once with a fake context.
"""
import json
import os
import re
import runpy
import sys
from datetime import timedelta

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository or the bundle
HERE = os.path.dirname(os.path.abspath(__file__))
dags_dir = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(HERE, "stubs"))
sys.path.insert(0, dags_dir)  # Airflow puts the dags folder on sys.path

import airflow  # noqa: E402  (the stand-in)
import boto3  # noqa: E402
import logging  # noqa: E402


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


captured = _Capture()
logging.getLogger().addHandler(captured)

ignore = []
ignore_file = os.path.join(dags_dir, ".airflowignore")
if os.path.exists(ignore_file):
    ignore = [re.compile(line.strip()) for line in open(ignore_file) if line.strip() and not line.startswith("#")]

files = []
for name in sorted(os.listdir(dags_dir)):
    if not name.endswith(".py") or any(p.search(name) for p in ignore):
        continue
    files.append(name)
    runpy.run_path(os.path.join(dags_dir, name), run_name="dag_file_" + name[:-3])


def plain(value):
    if isinstance(value, timedelta):
        return value.total_seconds()
    if callable(value):
        return "<callable %s>" % getattr(value, "__name__", type(value).__name__)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "dag"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class FakeTI:
    def __init__(self, dag_id, task_id):
        self.dag_id, self.task_id, self.try_number, self.log_url = dag_id, task_id, 5, "http://localhost:8080/log"


out = {"files": files, "dags": []}
for dag in airflow.BUILT:
    callback = dag.default_args.get("on_failure_callback")
    before = len(boto3.PUBLISHED)
    logged_before = len(captured.messages)
    callback_error = None
    if callback:
        try:
            callback({"task_instance": FakeTI(dag.dag_id, "extract"), "ds": "2026-11-20", "exception": RuntimeError("boom")})
        except Exception as exc:  # the test asserts this never happens
            callback_error = repr(exc)
    out["dags"].append({
        "dag_id": dag.dag_id,
        "kwargs": plain(dag.kwargs),
        "tasks": [dict(plain(t.kwargs), upstream=t.upstream) for t in dag.tasks],
        "alerts": boto3.PUBLISHED[before:],
        "callback_error": callback_error,
        "logged": captured.messages[logged_before:],
    })
print(json.dumps(out, indent=1, sort_keys=True))
