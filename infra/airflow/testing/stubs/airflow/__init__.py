"""Stand-in for airflow.DAG (Airflow 2.10 keyword arguments); records every DAG built."""
from datetime import datetime, timedelta

DAG_KWARGS = {
    "dag_id", "description", "schedule", "schedule_interval", "timetable", "start_date", "end_date",
    "full_filepath", "template_searchpath", "template_undefined", "user_defined_macros",
    "user_defined_filters", "default_args", "concurrency", "max_active_tasks", "max_active_runs",
    "max_consecutive_failed_dag_runs", "dagrun_timeout", "sla_miss_callback", "default_view",
    "orientation", "catchup", "on_success_callback", "on_failure_callback", "doc_md", "params",
    "access_control", "is_paused_upon_creation", "jinja_environment_kwargs",
    "render_template_as_native_obj", "tags", "owner_links", "auto_register", "fail_stop",
    "dag_display_name",
}

BUILT = []


class DAG:
    def __init__(self, dag_id=None, **kwargs):
        unknown = set(kwargs) - DAG_KWARGS
        if unknown:
            raise TypeError("DAG() got unexpected keyword arguments %s" % sorted(unknown))
        if not isinstance(dag_id, str) or not dag_id:
            raise TypeError("dag_id must be a non-empty string")
        start = kwargs.get("start_date")
        if start is not None and (not isinstance(start, datetime) or start.tzinfo is None):
            raise TypeError("start_date must be a timezone-aware datetime")
        timeout = kwargs.get("dagrun_timeout")
        if timeout is not None and not isinstance(timeout, timedelta):
            raise TypeError("dagrun_timeout must be a timedelta")
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.default_args = kwargs.get("default_args") or {}
        self.tasks = []
        BUILT.append(self)
