/**
 * Local mode in one command: renders the Airflow bundle for this machine and starts a local OpenAQ
 * server (the bundled Vietnam fixtures) that the extractor containers reach. From the repository root:
 *
 *   pnpm airflow:local --image localhost:5000/openaq-pipeline@sha256:… [--out .airflow-local]
 *       [--lake .lake] [--start-date YYYY-MM-DD] [--port 8080] [--api-port 8090] [--real-api]
 *
 * then, in another shell, `cd .airflow-local && docker compose up -d`. The server listens on
 * 127.0.0.1 only; the local DAGs run their containers on the host network (Linux), where the
 * laptop's 127.0.0.1 is theirs too. Its URL, key and pace go into the bundle's `.env`, which Compose
 * reads and the scheduler forwards to each container as private variables. The command keeps
 * running (the server with it) until Ctrl-C. With `--real-api` no server starts and the containers
 * use the public API with the OPENAQ_API_KEY of the shell that runs `docker compose up`.
 */
import { type FakeOpenAq, startFakeOpenAq } from "@openaq-lakehouse/fake-openaq";
import { writeLocalBundle } from "../src/airflow/local.js";
import { parseLocalModeArgs } from "../src/airflow/local-command.js";
import { AirflowConfigError } from "../src/airflow/options.js";

/** A local server has no 60-requests-a-minute limit: the containers' client need not pace itself. */
const LOCAL_REQUESTS_PER_MINUTE = 100_000;

function usage(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const args = parseLocalModeArgs(argv);
  if ("error" in args) return usage(args.error);
  const port = args.bundle.webPort;

  let server: FakeOpenAq | undefined;
  if (!args.realApi) {
    server = await startFakeOpenAq({
      host: "127.0.0.1",
      port: args.apiPort,
      rateLimit: { perWindow: LOCAL_REQUESTS_PER_MINUTE, perHour: LOCAL_REQUESTS_PER_MINUTE * 60 },
    });
  }
  try {
    const setup = writeLocalBundle({
      ...args.bundle,
      ...(server && {
        extraEnv: {
          OPENAQ_BASE_URL: server.url,
          OPENAQ_API_KEY: server.apiKey,
          OPENAQ_REQUESTS_PER_MINUTE: String(LOCAL_REQUESTS_PER_MINUTE),
          OPENAQ_CONCURRENCY: "4",
        },
      }),
    });
    process.stdout.write(
      [
        `Airflow bundle written to ${setup.outDir}`,
        server ? `Local OpenAQ server (bundled fixtures) at ${server.url}` : "Using the public OpenAQ API.",
        setup.generatedSecrets.length > 0
          ? `New secrets: ${setup.generatedSecrets.join(", ")}`
          : "Secrets kept as they were.",
        "Next, in another shell:",
        `  cd ${setup.outDir} && ${server ? "" : "OPENAQ_API_KEY=... "}docker compose up -d`,
        `  open http://127.0.0.1:${port}  (user admin, password in ${setup.adminPasswordFile})`,
        server ? "Keep this command running while the DAGs run; Ctrl-C stops the local server." : "",
        "",
      ].join("\n"),
    );
  } catch (e) {
    await server?.close();
    if (e instanceof AirflowConfigError) return usage(e.message);
    throw e;
  }
  if (!server) return 0;
  const running = server;
  await new Promise<void>((done) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => done());
  });
  await running.close();
  process.stdout.write("Local OpenAQ server stopped.\n");
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
