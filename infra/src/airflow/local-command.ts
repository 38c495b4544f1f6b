/**
 * The command line of local mode, `pnpm airflow:local` (infra/scripts/airflow-local.ts): its
 * options, checked, as the bundle writer and the local OpenAQ server take them. See docs/airflow.md,
 * "Local mode".
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { addDays, formatIsoDay } from "@openaq-lakehouse/pipeline-core";
import type { LocalSetupOptions } from "./local.js";

export interface LocalModeArgs {
  /** For `writeLocalBundle`; the script adds the local server's variables (`extraEnv`). */
  bundle: Omit<LocalSetupOptions, "extraEnv"> & { webPort: number };
  /** Port of the local OpenAQ server on 127.0.0.1; 0 takes any free port. */
  apiPort: number;
  /** No local server: the containers use the public API with the shell's OPENAQ_API_KEY. */
  realApi: boolean;
}

/** The options of `pnpm airflow:local`, or the one sentence that says what is wrong with them. */
export function parseLocalModeArgs(
  argv: readonly string[],
  today = formatIsoDay(Date.now()),
): LocalModeArgs | { error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        image: { type: "string" },
        out: { type: "string", default: ".airflow-local" },
        lake: { type: "string", default: ".lake" },
        "start-date": { type: "string" },
        port: { type: "string", default: "8080" },
        "api-port": { type: "string", default: "8090" },
        "real-api": { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (typeof values.image !== "string")
    return {
      error:
        "--image is required: the extractor image by digest (docker image inspect --format '{{index .RepoDigests 0}}' <image>).",
    };
  const port = Number(values.port);
  const apiPort = Number(values["api-port"]);
  if (!Number.isInteger(port) || port < 1024 || port > 65535)
    return { error: "--port must be a number between 1024 and 65535." };
  if (!Number.isInteger(apiPort) || (apiPort !== 0 && (apiPort < 1024 || apiPort > 65535)))
    return { error: "--api-port must be 0 (any free port) or a number between 1024 and 65535." };
  return {
    bundle: {
      extractorImage: values.image,
      lakeHostPath: resolve(String(values.lake)),
      // Default: three days back, so a first start catches up a few days and no more.
      startDate: typeof values["start-date"] === "string" ? values["start-date"] : addDays(today, -3),
      outDir: String(values.out),
      webPort: port,
    },
    apiPort,
    realApi: values["real-api"] === true,
  };
}
