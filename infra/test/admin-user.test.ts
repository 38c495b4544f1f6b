import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { adminUserPython, adminUserShell } from "../src/airflow/admin-user.js";

describe("Airflow admin user", () => {
  it("is valid Python that reads the password from the secret file and resets it when the user exists", () => {
    const source = adminUserPython("admin");
    const r = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], {
      input: source,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(source).toContain('open("/run/secrets/airflow_admin_password")');
    expect(source).toMatch(
      /if user is None:[\s\S]*add_user[\s\S]*else:\s*\n\s*sm\.reset_password\(user\.id, password\)/,
    );
  });

  it("runs from a quoted heredoc, so the shell expands nothing and no argument carries the password", () => {
    const lines = adminUserShell("admin");
    expect(lines[0]).toBe("python - <<'PY'");
    expect(lines.at(-1)).toBe("PY");
    expect(lines.join("\n")).not.toMatch(/--password|\$\(/);
  });
});
