"""Builder of the OpenAQ ingestion DAGs (one per environment).

Part of the Airflow bundle of openaq-lakehouse (source: infra/airflow/dags/openaq_factory.py); do not
edit on the host, the next bundle sync overwrites it. Each DAG file next to it names one JSON spec,
rendered by infra/src/airflow/dag-spec.ts (`<dag id>.json`, in this folder), and calls
build_dag_from_file(). The JSON is data only: every line of Python is in this file.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timedelta, timezone

from airflow import DAG
from airflow.providers.docker.operators.docker import DockerOperator
from docker.types import Mount

SPEC_FORMAT = "openaq-dag-spec/2"
# The image must be content-addressed; a tag could change under a running backfill.
_DIGEST_IMAGE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$")
_LOCAL_DOCKER = "unix://var/run/docker.sock"

log = logging.getLogger(__name__)


def _failure_notifier(topic_arn, region):
    """An on_failure_callback that publishes one SNS message per finally-failed task.

    It uses the instance role through boto3's default credential chain: no Airflow connection and no
    stored secret. It never raises, so a broken alert path cannot hide the task's own failure.
    """

    def notify(context):
        ti = context.get("task_instance")
        dag_id = getattr(ti, "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        ds = context.get("ds", "?")
        exception = str(context.get("exception") or "")[:1000]
        message = {
            "dag_id": dag_id,
            "task_id": task_id,
            "logical_date": ds,
            "try_number": getattr(ti, "try_number", None),
            "error": exception,
            "log_url": getattr(ti, "log_url", None),
        }
        if not topic_arn:
            log.error("OpenAQ task failed (no alert topic configured): %s", json.dumps(message))
            return
        try:
            import boto3

            # SNS subjects: at most 100 printable ASCII characters.
            subject = ("[openaq] %s.%s failed for %s" % (dag_id, task_id, ds))[:100]
            boto3.client("sns", region_name=region).publish(
                TopicArn=topic_arn, Subject=subject, Message=json.dumps(message, indent=2)
            )
        except Exception:  # noqa: BLE001 - see docstring
            log.exception("Could not publish the failure alert for %s.%s", dag_id, task_id)

    return notify


def _check(spec):
    if spec.get("format") != SPEC_FORMAT:
        raise ValueError("unsupported DAG spec format %r" % spec.get("format"))
    if not _DIGEST_IMAGE.match(spec["image"]):
        raise ValueError("the extractor image must be pinned by digest, got %r" % spec["image"])
    if spec.get("networkMode") not in ("bridge", "host"):
        raise ValueError("unsupported network mode %r" % spec.get("networkMode"))
    ids = [t["id"] for t in spec["tasks"]]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate task ids in %s" % spec["dagId"])
    for t in spec["tasks"]:
        for up in t["upstream"]:
            if up not in ids:
                raise ValueError("task %s depends on unknown task %s" % (t["id"], up))


def load_spec(file_name):
    """Reads a rendered spec that sits next to this module (the bundle's dags folder)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), file_name)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_dag_from_file(file_name):
    return build_dag(load_spec(file_name))


def build_dag(spec):
    """Turns a rendered spec (see infra/src/airflow/dag-spec.ts) into an Airflow DAG."""
    _check(spec)
    start = datetime.strptime(spec["startDate"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    dag = DAG(
        dag_id=spec["dagId"],
        description="OpenAQ ingestion for the %s environment" % spec["env"],
        schedule=spec["schedule"],
        start_date=start,
        catchup=spec["catchup"],
        max_active_runs=1,
        max_active_tasks=1,
        dagrun_timeout=timedelta(hours=4),
        default_args={
            "owner": "openaq",
            "depends_on_past": False,
            "on_failure_callback": _failure_notifier(spec["alertTopicArn"], spec["region"]),
        },
        tags=["openaq", spec["env"]],
    )
    # Forwarded only in local mode, and through private_environment: not rendered in the UI,
    # not written to the metadata database.
    private_env = {name: os.environ[name] for name in spec["forwardEnvironment"] if os.environ.get(name)}
    mounts = []
    if spec["lakeMount"]:
        mounts.append(Mount(source=spec["lakeMount"]["source"], target=spec["lakeMount"]["target"], type="bind"))
    if spec["awsConfigMount"]:
        # Profiles that assume this environment's pipeline role from the instance credentials.
        mounts.append(
            Mount(
                source=spec["awsConfigMount"]["source"],
                target=spec["awsConfigMount"]["target"],
                type="bind",
                read_only=True,
            )
        )
    tasks = {}
    for t in spec["tasks"]:
        tasks[t["id"]] = DockerOperator(
            task_id=t["id"],
            dag=dag,
            doc_md=t["doc"],
            image=spec["image"],
            # The image's entrypoint is openaq-pipeline: this is its argument vector. "{{ ds }}" is
            # rendered by Airflow to the logical date, the UTC day this run processes.
            command=list(t["command"]),
            environment=dict(spec["environment"]),
            private_environment=private_env,
            docker_url=_LOCAL_DOCKER,
            # "bridge" on the host; "host" in local mode, where the containers reach a local OpenAQ
            # server on the laptop's 127.0.0.1.
            network_mode=spec["networkMode"],
            # The scheduler runs in a container: a host temp dir mounted by path would not exist.
            mount_tmp_dir=False,
            mounts=mounts,
            # The image is pulled by the host's sync job (through the instance role); Airflow holds
            # no registry credentials and never pulls.
            force_pull=False,
            auto_remove="success",
            mem_limit=spec["memLimit"],
            log_opts_max_size="10m",
            log_opts_max_file="3",
            tty=False,
            do_xcom_push=False,
            pool=spec["pool"],
            retries=t["retries"],
            retry_delay=timedelta(seconds=t["retryDelaySeconds"]),
            retry_exponential_backoff=t["retryExponentialBackoff"],
            max_retry_delay=timedelta(seconds=t["maxRetryDelaySeconds"]),
            execution_timeout=timedelta(minutes=t["timeoutMinutes"]),
        )
    for t in spec["tasks"]:
        for up in t["upstream"]:
            tasks[up] >> tasks[t["id"]]
    return dag
