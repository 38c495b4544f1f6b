/**
 * The Airflow admin user, applied on every start of `airflow-init`: created when missing, its
 * password reset to the secret file's content otherwise, so rotating the SSM parameter takes effect
 * at the next sync. The password is read from the file inside Python: it never appears on a
 * command line (the process list), in the environment or in a log.
 */

/** Where Compose mounts the admin password secret in the Airflow containers. */
export const ADMIN_PASSWORD_SECRET_PATH = "/run/secrets/airflow_admin_password";

/** Python run by the Airflow image (2.x, Flask-AppBuilder security manager). */
export function adminUserPython(username: string): string {
  return [
    "from airflow.www.app import cached_app",
    `with open(${JSON.stringify(ADMIN_PASSWORD_SECRET_PATH)}) as f:`,
    "    password = f.read()",
    "if not password.strip():",
    '    raise SystemExit("the admin password secret is empty")',
    "app = cached_app()",
    "with app.app_context():",
    "    sm = app.appbuilder.sm",
    `    user = sm.find_user(username=${JSON.stringify(username)})`,
    "    if user is None:",
    `        if not sm.add_user(${JSON.stringify(username)}, "OpenAQ", "Admin", "admin@openaq-lakehouse.invalid", sm.find_role("Admin"), password):`,
    '            raise SystemExit("could not create the admin user")',
    '        print("admin user created")',
    "    else:",
    "        sm.reset_password(user.id, password)",
    '        print("admin password applied")',
  ].join("\n");
}

/** The shell lines of the init script that apply the admin user (a quoted heredoc: no expansion). */
export function adminUserShell(username: string): string[] {
  return ["python - <<'PY'", adminUserPython(username), "PY"];
}
