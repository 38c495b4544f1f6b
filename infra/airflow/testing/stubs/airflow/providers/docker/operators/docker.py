"""Stand-in for DockerOperator (docker provider 3.x/4.x on Airflow 2.10): checks and records."""
from datetime import timedelta

from airflow import DAG
from docker.types import Mount

OPERATOR_KWARGS = {
    # DockerOperator
    "image", "api_version", "command", "container_name", "cpus", "docker_url", "environment",
    "private_environment", "env_file", "force_pull", "mem_limit", "host_tmp_dir", "network_mode",
    "tls_ca_cert", "tls_client_cert", "tls_client_key", "tls_verify", "tls_hostname",
    "tls_ssl_version", "mount_tmp_dir", "tmp_dir", "user", "mounts", "entrypoint", "working_dir",
    "xcom_all", "docker_conn_id", "dns", "dns_search", "auto_remove", "shm_size", "tty", "hostname",
    "privileged", "cap_add", "extra_hosts", "retrieve_output", "retrieve_output_path", "timeout",
    "device_requests", "log_opts_max_size", "log_opts_max_file", "ipc_mode", "skip_on_exit_code",
    "port_bindings", "ulimits", "labels",
    # BaseOperator
    "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay",
    "retry_exponential_backoff", "max_retry_delay", "start_date", "end_date", "depends_on_past",
    "wait_for_downstream", "dag", "params", "default_args", "priority_weight", "weight_rule", "queue",
    "pool", "pool_slots", "sla", "execution_timeout", "on_execute_callback", "on_failure_callback",
    "on_success_callback", "on_retry_callback", "trigger_rule", "resources", "run_as_user",
    "max_active_tis_per_dag", "executor_config", "do_xcom_push", "inlets", "outlets", "task_group",
    "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
}
TIMEDELTAS = {"retry_delay", "max_retry_delay", "execution_timeout", "sla"}


class DockerOperator:
    def __init__(self, **kwargs):
        unknown = set(kwargs) - OPERATOR_KWARGS
        if unknown:
            raise TypeError("DockerOperator() got unexpected keyword arguments %s" % sorted(unknown))
        for required in ("task_id", "image", "dag"):
            if required not in kwargs:
                raise TypeError("DockerOperator() missing %s" % required)
        if not isinstance(kwargs["dag"], DAG):
            raise TypeError("dag must be a DAG")
        command = kwargs.get("command")
        if command is not None and not (isinstance(command, list) and all(isinstance(c, str) for c in command)):
            raise TypeError("command must be a list of strings (an argument vector)")
        if kwargs.get("auto_remove", "never") not in ("never", "success", "force"):
            raise TypeError("auto_remove must be 'never', 'success' or 'force'")
        for key in TIMEDELTAS & set(kwargs):
            if not isinstance(kwargs[key], timedelta):
                raise TypeError("%s must be a timedelta" % key)
        for mount in kwargs.get("mounts") or []:
            if not isinstance(mount, Mount):
                raise TypeError("mounts must be docker.types.Mount objects")
        for key in ("environment", "private_environment"):
            value = kwargs.get(key) or {}
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise TypeError("%s must map strings to strings" % key)
        self.task_id = kwargs["task_id"]
        self.kwargs = kwargs
        self.dag = kwargs["dag"]
        self.upstream = []
        if any(t.task_id == self.task_id for t in self.dag.tasks):
            raise ValueError("duplicate task id %s" % self.task_id)
        self.dag.tasks.append(self)

    def __rshift__(self, other):
        if other.dag is not self.dag:
            raise ValueError("tasks of different DAGs")
        other.upstream.append(self.task_id)
        return other
