#!/usr/bin/env node
/**
 * Entry point of `openaq-pipeline` (`pnpm pipeline …` from source, `node openaq-pipeline.mjs …` in
 * the container). All logic is in cli.ts; this file only binds it to the process.
 */
import { runCli } from "./cli.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
// Keep-alive sockets or a slow engine shutdown must not hold the process (and an Airflow task) open.
setTimeout(() => process.exit(code), 2_000).unref();
