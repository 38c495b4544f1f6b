import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { parseArgs, promisify } from "node:util";
import { decodeOwoxApiKey } from "./api-key.js";
import { OwoxClient } from "./client.js";
import { OwoxSyncError, parseOwoxStackOutput } from "./stack-output.js";
import { type SyncReport, syncOwox } from "./sync.js";

const USAGE = `Usage: pnpm owox:sync --stack <dev|prod> [--from <file|->] [--no-validate] [--looker-template <id>] [--json]

Creates or updates the OWOX Data Marts storage (AWS Athena) and data marts of one environment
from its Pulumi outputs, found by title; a second run changes nothing.
  --stack <name>   read \`pulumi stack output --json --show-secrets --stack <name>\`
  --from <file|->  read that JSON from a file or stdin instead of running pulumi
  --no-validate    skip OWOX's access check (SELECT 1 in Athena)
  --looker-template <id>  the Looker Studio template report the printed Linking API URL copies
                   (default: LOOKER_TEMPLATE_REPORT_ID; none: Looker Studio's default template)
  --json           print the report as JSON
Environment: OWOX_API_KEY (required), PULUMI_CWD (where to run pulumi; default: here),
LOOKER_TEMPLATE_REPORT_ID.
It also makes each data mart available to Looker Studio (a destination and one report per data
mart) and prints the Looker Studio Linking API URL that creates the environment's report.`;

async function readStackOutput(values: { stack?: string; from?: string }): Promise<unknown> {
  let raw: string;
  if (values.from === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    raw = Buffer.concat(chunks).toString("utf8");
  } else if (values.from) {
    raw = await readFile(values.from, "utf8").catch(() => {
      throw new OwoxSyncError(`Cannot read ${values.from}.`);
    });
  } else if (values.stack) {
    const run = promisify(execFile);
    try {
      const out = await run(
        "pulumi",
        ["stack", "output", "--json", "--show-secrets", "--stack", values.stack],
        {
          cwd: process.env.PULUMI_CWD ?? process.cwd(),
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      raw = out.stdout;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT")
        throw new OwoxSyncError("The pulumi CLI is not on PATH; install it or pass --from <file>.");
      throw new OwoxSyncError(
        `pulumi stack output failed for stack ${values.stack}: ${(err.stderr ?? "").trim().split("\n")[0] ?? ""}`,
      );
    }
  } else {
    throw new OwoxSyncError("Pass --stack <dev|prod> or --from <file|->.");
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new OwoxSyncError("The stack output is not JSON.");
  }
}

export function formatReport(r: SyncReport): string {
  const lines = [
    `OWOX sync for ${r.environment}:`,
    `  storage "${r.storage.title}" (${r.storage.id}): ${r.storage.action}`,
  ];
  if (r.storage.accessValid === false)
    lines.push(`  warning: OWOX could not query Athena with these credentials: ${r.storage.accessError}`);
  for (const m of r.dataMarts)
    lines.push(`  data mart "${m.title}" → ${m.fullyQualifiedName} (${m.id}): ${m.action}`);
  const d = r.looker.destination;
  lines.push(`  Looker Studio destination "${d.title}" (${d.id}): ${d.action}`);
  for (const rep of r.looker.reports)
    lines.push(`  Looker Studio report "${rep.title}" (${rep.id}): ${rep.action}`);
  if (r.looker.url) lines.push(`Looker Studio report for ${r.environment} (Linking API): ${r.looker.url}`);
  return lines.join("\n");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: {
    stack?: string;
    from?: string;
    "no-validate"?: boolean;
    "looker-template"?: string;
    json?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        from: { type: "string" },
        "no-validate": { type: "boolean" },
        "looker-template": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const key = decodeOwoxApiKey(env.OWOX_API_KEY);
    const spec = parseOwoxStackOutput(await readStackOutput(values));
    if (values.stack && values.stack !== spec.environment) {
      throw new OwoxSyncError(`Stack ${values.stack} holds the outputs of environment ${spec.environment}.`);
    }
    const template = values["looker-template"] ?? (env.LOOKER_TEMPLATE_REPORT_ID?.trim() || undefined);
    if (template !== undefined && !/^[A-Za-z0-9_-]+$/.test(template))
      throw new OwoxSyncError(
        `The Looker Studio template ${JSON.stringify(template)} is not a report id (the part after /reporting/ in its URL).`,
      );
    const report = await syncOwox(new OwoxClient(key), spec, {
      validateAccess: !values["no-validate"],
      ...(template !== undefined && { lookerTemplateReportId: template }),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof OwoxSyncError) {
      process.stderr.write(`owox:sync: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const isEntry =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`owox:sync: unexpected error: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
