/**
 * Renders the Airflow bundle for a laptop (local mode). From the repository root:
 *
 *   pnpm tsx infra/src/airflow/render-local.ts --image localhost:5000/openaq-pipeline@sha256:… [--out .airflow-local]
 *       [--lake .lake] [--start-date YYYY-MM-DD] [--port 8080]
 *
 * then `cd .airflow-local && docker compose up -d`. See docs/airflow.md, "Local mode".
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import { writeLocalBundle } from "./local.js";
import { AirflowConfigError } from "./options.js";

function main(argv: string[]): number {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        image: { type: "string" },
        out: { type: "string", default: ".airflow-local" },
        lake: { type: "string", default: ".lake" },
        "start-date": { type: "string" },
        port: { type: "string", default: "8080" },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (!values.image) {
    process.stderr.write(
      "--image is required: the extractor image by digest (docker image inspect --format '{{index .RepoDigests 0}}' <image>).\n",
    );
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    process.stderr.write("--port must be a number between 1024 and 65535.\n");
    return 2;
  }
  try {
    const setup = writeLocalBundle({
      extractorImage: values.image,
      lakeHostPath: resolve(values.lake ?? ".lake"),
      // Default: three days back, so a first start catches up a few days and no more.
      startDate: values["start-date"] ?? addDays(formatIsoDay(Date.now()), -3),
      outDir: values.out ?? ".airflow-local",
      webPort: port,
    });
    process.stdout.write(
      [
        `Airflow bundle written to ${setup.outDir}`,
        setup.generatedSecrets.length > 0
          ? `New secrets: ${setup.generatedSecrets.join(", ")}`
          : "Secrets kept as they were.",
        "Next:",
        `  cd ${setup.outDir} && OPENAQ_API_KEY=... docker compose up -d`,
        `  open http://127.0.0.1:${port}  (user admin, password in ${setup.adminPasswordFile})`,
        "",
      ].join("\n"),
    );
    return 0;
  } catch (e) {
    if (e instanceof AirflowConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
