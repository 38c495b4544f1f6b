import { createHash } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  type ArchiveObject,
  archiveObjects,
  type FakeOpenAq,
  writeArchiveFolder,
} from "@openaq-lakehouse/fake-openaq";
import {
  decodeParquet,
  type IsoDay,
  listKeys,
  type ObjectStore,
  partitionPrefix,
} from "@openaq-lakehouse/pipeline-core";
import { AS_OF, startTestServer } from "@openaq-lakehouse/test-support/openaq";
import { startS3rver } from "@openaq-lakehouse/test-support/s3rver";
import { afterEach, describe, expect, it } from "vitest";
import { archiveBackfill } from "../src/archive/backfill.js";
import { type ArchiveSource, openArchive } from "../src/archive/source.js";
import { extractDay } from "../src/steps/extract.js";
import { transformDay } from "../src/steps/transform.js";
import { captureLog, tempLake, testClient } from "./support/fake.js";

/**
 * `backfill --source archive` end to end on the embedded default: the archive's gzip CSVs served
 * from a folder (and from the S3 test server), the locations from the local OpenAQ server.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const NOW = Date.parse(AS_OF);
const FROM: IsoDay = "2026-03-10";
const TO: IsoDay = "2026-03-12";

async function archiveFolder(objects: ArchiveObject[]): Promise<string> {
  const lake = await tempLake();
  cleanups.push(lake.cleanup);
  await writeArchiveFolder(lake.dir, objects);
  return lake.dir;
}

function fixtures(patched: Array<{ locationId: number; localDay: string }> = []): ArchiveObject[] {
  return archiveObjects({ from: "2026-03-09", to: "2026-03-14", asOfMs: NOW, patched });
}

async function server(): Promise<FakeOpenAq> {
  const s = await startTestServer();
  cleanups.push(() => s.close());
  return s;
}

/** The measurements of a day as stored, on the columns both sources carry. */
async function measurements(store: ObjectStore, day: IsoDay) {
  const prefix = partitionPrefix({ env: "dev", layer: "processed", dataset: "measurements", day });
  const keys = await listKeys(store, prefix);
  expect(keys).toEqual([`${prefix}part-00000.parquet`]);
  const table = decodeParquet((await store.get(keys[0] as string)) as Uint8Array);
  return (table.toArray() as Array<Record<string, unknown>>).map((r) => ({
    sensor: r.sensor_id,
    location: r.location_id,
    parameter: `${r.parameter_id} ${r.parameter} ${r.unit}`,
    value: r.value,
    start: Number(r.datetime),
    end: Number(r.datetime_to),
    seconds: r.period_seconds,
    coordinates: JSON.stringify(r.coordinates),
  }));
}

/** The backfill as these tests run it: env dev, the server's clock, FROM…TO unless given. */
function backfillInto(
  store: ObjectStore,
  archive: ArchiveSource,
  api: FakeOpenAq,
  extra: Partial<Parameters<typeof archiveBackfill>[0]> = {},
) {
  return archiveBackfill({
    store,
    env: "dev",
    from: FROM,
    to: TO,
    archive,
    client: testClient(api),
    now: () => NOW,
    ...extra,
  });
}

describe("backfill from the OpenAQ archive", () => {
  it("gives the same measurements as the API path, stores each archive file in raw, and skips unchanged days on a rerun", async () => {
    const api = await server();
    const objects = fixtures();
    const archive = await openArchive(await archiveFolder(objects));
    const lake = await tempLake();
    cleanups.push(lake.cleanup);
    const log = captureLog();
    const report = await backfillInto(lake.store, archive, api, { log });
    expect(report.days.map((d) => [d.day, d.status])).toEqual([
      ["2026-03-10", "ingested"],
      ["2026-03-11", "ingested"],
      ["2026-03-12", "ingested"],
    ]);
    expect(report.rows).toBeGreaterThan(3 * 1000);
    expect(report.days.every((d) => d.appeared.length === d.objects && d.objects > 0)).toBe(true);
    // Progress says where it is and how long is left.
    expect(log.lines.some((l) => /archive 2026-03-11 \(2\/3, ETA \d+s\)/.test(l))).toBe(true);

    // Every archive file used is in raw, byte for byte, under its local day.
    const rawKeys = await listKeys(lake.store, "dev/raw/archive/");
    const country = new Set(
      (await testClient(api).fetchLocations(56)).flatMap((p) => p.data.results.map((l) => l.id)),
    );
    const used = objects.filter(
      (o) => country.has(o.locationId) && o.localDay >= "2026-03-10" && o.localDay <= "2026-03-13",
    );
    expect(used.length).toBeGreaterThan(40);
    for (const o of used) {
      const sha = createHash("sha256").update(o.body).digest("hex");
      const key = `${partitionPrefix({ env: "dev", layer: "raw", dataset: "archive", day: o.localDay })}sha256-${sha}.csv.gz`;
      expect(rawKeys).toContain(key);
      expect(Buffer.from((await lake.store.get(key)) as Uint8Array).equals(Buffer.from(o.body))).toBe(true);
    }

    // The same day through the API: extract + transform into another lake.
    const apiLake = await tempLake();
    cleanups.push(apiLake.cleanup);
    await extractDay({ store: apiLake.store, env: "dev", day: "2026-03-11", client: testClient(api) });
    await transformDay({ store: apiLake.store, env: "dev", day: "2026-03-11" });
    const fromApi = await measurements(apiLake.store, "2026-03-11");
    expect(fromApi.length).toBeGreaterThan(1000);
    expect(await measurements(lake.store, "2026-03-11")).toEqual(fromApi);

    // A rerun with an unchanged archive lists, compares ETags, and writes nothing.
    const before = await listKeys(lake.store, "dev/");
    const again = await backfillInto(lake.store, archive, api);
    expect(again.skippedUnchanged).toBe(3);
    expect(again.objects).toBe(0);
    expect(again.days.every((d) => d.status === "unchanged")).toBe(true);
    expect(await listKeys(lake.store, "dev/")).toEqual(before);
  });

  it("re-ingests exactly the days that read a patched file, keeping the first copy in raw", async () => {
    const api = await server();
    const lake = await tempLake();
    cleanups.push(lake.cleanup);
    const original = fixtures();
    const first = await backfillInto(lake.store, await openArchive(await archiveFolder(original)), api);
    const target = original.find((o) => o.localDay === "2026-03-11") as ArchiveObject;
    const patched = fixtures([{ locationId: target.locationId, localDay: "2026-03-11" }]);
    const patchedObject = patched.find((o) => o.key === target.key) as ArchiveObject;
    expect(patchedObject.etag).not.toBe(target.etag);

    const second = await backfillInto(lake.store, await openArchive(await archiveFolder(patched)), api);
    // A Vietnam local day's file holds periods of two UTC days (UTC+7): both read it, both are redone.
    expect(second.days.map((d) => [d.day, d.status, d.changed])).toEqual([
      ["2026-03-10", "ingested", [target.key]],
      ["2026-03-11", "ingested", [target.key]],
      ["2026-03-12", "unchanged", []],
    ]);
    expect(second.objects).toBe(1);
    // The patch filled one missing reading: the two days now hold one row more between them.
    const rows = (r: typeof first, days: string[]) =>
      r.days.filter((d) => days.includes(d.day)).reduce((n, d) => n + d.rows, 0);
    expect(rows(second, ["2026-03-10", "2026-03-11"])).toBe(rows(first, ["2026-03-10", "2026-03-11"]) + 1);
    // Write-once raw: both versions of the file are there.
    const rawDay = partitionPrefix({ env: "dev", layer: "raw", dataset: "archive", day: "2026-03-11" });
    const copies = (await listKeys(lake.store, rawDay)).filter((k) => k.endsWith(".csv.gz"));
    for (const body of [target.body, patchedObject.body]) {
      expect(copies).toContain(`${rawDay}sha256-${createHash("sha256").update(body).digest("hex")}.csv.gz`);
    }
  });

  it("skips days the archive cannot have yet, and reads from an S3 server without credentials", async () => {
    const api = await server();
    const s3 = await startS3rver({ bucket: "openaq-archive-test" });
    cleanups.push(() => s3.close());
    for (const o of fixtures()) {
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: o.key, Body: o.body }));
    }
    const archive = await openArchive(`s3://${s3.bucket}`, { endpoint: s3.endpoint });
    cleanups.push(async () => archive.close());
    const lake = await tempLake();
    cleanups.push(lake.cleanup);
    const log = captureLog();
    const report = await backfillInto(lake.store, archive, api, {
      from: "2026-03-12",
      to: "2026-03-23",
      log,
    });
    const status = Object.fromEntries(report.days.map((d) => [d.day, d.status]));
    expect(status["2026-03-12"]).toBe("ingested");
    // The server's now is 2026-03-25 06:00Z. UTC day 2026-03-21 needs the stations' local day 03-22
    // (UTC+7), which ended at 03-22 17:00Z: less than 72 h ago, so its file cannot be out yet.
    expect(status["2026-03-20"]).toBe("ingested");
    expect(status["2026-03-21"]).toBe("too-recent");
    expect(status["2026-03-22"]).toBe("too-recent");
    expect(status["2026-03-23"]).toBe("too-recent");
    expect(log.lines.some((l) => l.startsWith("warn archive 2026-03-22: not in the archive yet"))).toBe(true);
    const ingested = report.days.filter((d) => d.status === "ingested");
    expect(ingested.every((d) => d.rows > 0 || d.day > "2026-03-14")).toBe(true);
  });
});
