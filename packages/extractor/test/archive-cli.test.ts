import { archiveObjects, writeArchiveFolder } from "@openaq-lakehouse/fake-openaq";
import { AS_OF, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "./cli-helpers.js";
import { tempLake } from "./support/fake.js";

/** `openaq-pipeline backfill --source archive` from the command line, on the embedded default. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup() {
  const api = await startTestServer();
  cleanups.push(() => api.close());
  const archive = await tempLake();
  cleanups.push(archive.cleanup);
  await writeArchiveFolder(
    archive.dir,
    archiveObjects({ from: "2026-03-09", to: "2026-03-13", asOfMs: Date.parse(AS_OF) }),
  );
  const lake = await tempLake();
  cleanups.push(lake.cleanup);
  const env = {
    OPENAQ_BASE_URL: api.url,
    OPENAQ_API_KEY: api.apiKey,
    OPENAQ_ARCHIVE_URI: archive.dir,
  };
  return { lake: lake.dir, env };
}

const now = () => new Date(AS_OF);

/** `backfill --source archive` over [from, to] into `lake`, then `more`. */
const fromArchive = (from: string, to: string, lake: string, ...more: string[]) => [
  "backfill",
  "--source",
  "archive",
  "--from",
  from,
  "--to",
  to,
  "--lake",
  lake,
  ...more,
];

describe("backfill --source archive", () => {
  it("fills the days from the archive, then the views read them; a rerun skips the unchanged days", async () => {
    const { lake, env } = await setup();
    const args = fromArchive("2026-03-10", "2026-03-12", lake);
    const first = await cli(args, env, { now });
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/archive: \d+ files \(\d+ new\), \d+ rows, \d+ quarantined/);
    const q = await cli(
      [
        "query",
        "--lake",
        lake,
        "--format",
        "json",
        "SELECT day, count(*) AS n FROM view_daily_average GROUP BY day ORDER BY day",
      ],
      env,
      { now },
    );
    expect(q.code).toBe(0);
    const days = (JSON.parse(q.stdout) as Array<{ day: string }>).map((r) => r.day);
    expect(days).toEqual(expect.arrayContaining(["2026-03-10", "2026-03-11", "2026-03-12"]));

    const again = await cli([...args, "--json"], env, { now });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).skippedDays).toEqual(["2026-03-10", "2026-03-11", "2026-03-12"]);
  });

  it("refuses what cannot work, in one sentence each", async () => {
    const { lake, env } = await setup();
    const athenaLocal = await cli(fromArchive("2026-03-10", "2026-03-10", lake, "--engine", "athena"), env, {
      now,
    });
    expect(athenaLocal.code).toBe(2);
    expect(athenaLocal.stderr).toMatch(/^--engine athena runs the transform on Athena: use an S3 lake/);
    const wrongCommand = await cli(["run", "--source", "archive", "--lake", lake], env, { now });
    expect(wrongCommand.code).toBe(2);
    expect(wrongCommand.stderr).toContain("The option --source belongs to backfill; run does not take it.");
    const apiAthena = await cli(
      ["backfill", "--engine", "athena", "--from", "2026-03-10", "--to", "2026-03-10", "--lake", lake],
      env,
      { now },
    );
    expect(apiAthena.code).toBe(2);
    expect(apiAthena.stderr).toContain(
      "--engine athena transforms the OpenAQ archive: use it with --source archive.",
    );
    const plan = await cli(fromArchive("2026-03-10", "2026-03-11", lake, "--dry-run"), env, { now });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("list the OpenAQ archive");
  });
});
