import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeParquet,
  LocalFolderStore,
  listKeys,
  type ObjectStore,
  processedKey,
  readQuarantine,
} from "@openaq-lakehouse/pipeline-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { transformDay } from "../src/steps/transform.js";
import { QUARANTINE_REASONS } from "../src/steps/transform-quarantine.js";
import {
  CO_PPM,
  envelope,
  HANOI,
  hourlyRows,
  type LocationFixture,
  measurementJson,
  PM10,
  PM25,
  writeRawDay,
} from "./transform-fixtures.js";

const DAY = "2024-03-05";
const START = Date.parse(`${DAY}T00:00:00Z`);
const HOUR = 3_600_000;

const SAIGON: LocationFixture = {
  id: 3276359,
  name: "CMT8",
  locality: "N/A",
  timezone: "Asia/Ho_Chi_Minh",
  lat: 10.7829,
  lon: 106.6869,
  sensors: [{ id: 9000001, parameter: PM25 }],
};

let dir: string;
let store: ObjectStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "transform-"));
  store = new LocalFolderStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function processedRows(dataset: "measurements" | "locations"): Promise<Record<string, unknown>[]> {
  const body = await store.get(processedKey({ env: "dev", dataset, day: DAY }, 0));
  if (!body) throw new Error(`no processed ${dataset}`);
  return decodeParquet(body)
    .toArray()
    .map((r) => {
      const o = r.toJSON() as Record<string, unknown>;
      if (o.coordinates) o.coordinates = { ...(o.coordinates as object) };
      return o;
    });
}

async function snapshotLake(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await listKeys(store, ""))
    out.set(key, Buffer.from((await store.get(key)) ?? []).toString("base64"));
  return out;
}

describe("transformDay", () => {
  it("flattens, attaches location attributes and coordinates, and sorts by (sensor, datetime)", async () => {
    const reversed = hourlyRows(21001, PM25, DAY).reverse();
    await writeRawDay(store, "dev", DAY, {
      locations: [SAIGON, HANOI],
      sensorPages: new Map<number, unknown[][]>([
        [9000001, [hourlyRows(9000001, PM25, DAY, 2)]],
        [21002, [hourlyRows(21002, PM10, DAY, 3)]],
        // Two pages, the later hours first: output order must not depend on input order.
        [21001, [reversed.slice(0, 12), reversed.slice(12)]],
      ]),
    });
    const report = await transformDay({ store, env: "dev", day: DAY });
    expect(report.rows).toEqual({ measurements: 24 + 3 + 2, locations: 2 });
    expect(report.quarantined).toEqual({ measurements: {}, locations: {} });
    expect(report.rawPagesRead).toBe(1 + 4);

    const rows = await processedRows("measurements");
    expect(rows.map((r) => [r.sensor_id, r.datetime])).toEqual([
      ...Array.from({ length: 24 }, (_, h) => [21001, START + h * HOUR]),
      ...Array.from({ length: 3 }, (_, h) => [21002, START + h * HOUR]),
      ...Array.from({ length: 2 }, (_, h) => [9000001, START + h * HOUR]),
    ]);
    expect(rows[0]).toEqual({
      location_id: 7441,
      sensor_id: 21001,
      parameter_id: 2,
      parameter: "pm25",
      value: Math.round((21001 % 97) * 10) / 10,
      unit: "µg/m³",
      datetime: START,
      datetime_to: START + HOUR,
      period_label: "raw",
      period_seconds: 3600,
      coverage_percent: 100,
      has_flags: false,
      coordinates: { lat: 21.0219, lon: 105.8188 },
    });
    expect(rows.at(-1)).toMatchObject({
      location_id: 3276359,
      sensor_id: 9000001,
      coordinates: { lat: 10.7829, lon: 106.6869 },
    });

    const locations = await processedRows("locations");
    expect(locations.map((l) => [l.location_id, l.locality, l.city])).toEqual([
      [7441, null, "Hanoi"],
      [3276359, "N/A", "Ho Chi Minh City"],
    ]);
    expect(locations[0]).toMatchObject({
      country_code: "VN",
      timezone: "Asia/Bangkok",
      is_monitor: true,
      provider: "AirNow",
    });
  });

  it("refuses a day without a manifest (an incomplete extract) and writes nothing", async () => {
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI],
      sensorPages: new Map([[21001, [hourlyRows(21001, PM25, DAY)]]]),
      withoutManifest: true,
    });
    const before = await snapshotLake();
    await expect(transformDay({ store, env: "dev", day: DAY })).rejects.toThrow(
      "No complete extract for 2024-03-05 in dev: run extract first.",
    );
    expect(await snapshotLake()).toEqual(before);
  });

  it("fails clearly when a page the manifest lists is missing", async () => {
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI],
      sensorPages: new Map([[21001, [hourlyRows(21001, PM25, DAY)]]]),
    });
    await store.deleteMany(["dev/raw/measurements/year=2024/month=03/day=05/sensor-21001-p0001.json"]);
    await expect(transformDay({ store, env: "dev", day: DAY })).rejects.toThrow(
      /sensor-21001-p0001\.json listed by .*manifest\.json is missing/,
    );
  });

  it("refuses a manifest that lists a name outside its partition, reading nothing through it", async () => {
    const manifest = await writeRawDay(store, "dev", DAY, {
      locations: [HANOI],
      sensorPages: new Map([[21001, [hourlyRows(21001, PM25, DAY)]]]),
    });
    await store.put(
      "dev/raw/measurements/year=2024/month=03/day=05/manifest.json",
      new TextEncoder().encode(JSON.stringify({ ...manifest, locationsPages: ["../../../../../../x.json"] })),
    );
    const before = await snapshotLake();
    await expect(transformDay({ store, env: "dev", day: DAY })).rejects.toThrow(
      'The raw manifest dev/raw/measurements/year=2024/month=03/day=05/manifest.json is not valid (it lists "../../../../../../x.json", not a raw object name): run extract for that day again.',
    );
    expect(await snapshotLake()).toEqual(before);
  });

  it("reads only the pages the manifest lists (leftovers of an interrupted run are ignored)", async () => {
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI],
      sensorPages: new Map([[21001, [hourlyRows(21001, PM25, DAY, 5)]]]),
    });
    await store.put(
      "dev/raw/measurements/year=2024/month=03/day=05/sensor-21002-p0001.json",
      new TextEncoder().encode(envelope(hourlyRows(21002, PM10, DAY))),
    );
    const report = await transformDay({ store, env: "dev", day: DAY });
    expect(report.rows.measurements).toBe(5);
  });

  it("quarantines every kind of bad record with its reason and keeps negative readings", async () => {
    const p = (h: number) => START + h * HOUR;
    const good = (h: number, v: number) => measurementJson(PM25, p(h), v);
    type Editable = { period: { datetimeFrom: { utc: string }; datetimeTo: { utc: string } } };
    const badTimestamp = good(3, 5) as unknown as Editable;
    badTimestamp.period.datetimeFrom.utc = "2024-03-05 03:00"; // no offset: unparseable
    const missingPeriod = { ...good(4, 5), period: null };
    const zoneLess = good(5, 5) as unknown as Editable;
    zoneLess.period.datetimeTo.utc = "not a time";
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI, { ...HANOI, id: 7441, name: "again" }],
      extraLocationPages: ["{not json", JSON.stringify({ meta: {}, results: [{ id: "x" }] })],
      sensorPages: new Map<number, Array<string | unknown[]>>([
        [
          21001,
          [
            [
              good(0, 12.5),
              good(1, -3.2), // a real negative reading: stays
              good(2, -999), // SENTINEL_VALUE
              badTimestamp, // UNPARSEABLE_TIMESTAMP
              missingPeriod, // UNPARSEABLE_TIMESTAMP
              zoneLess, // UNPARSEABLE_TIMESTAMP (a present datetimeTo that is garbage)
              good(6, Number.NaN), // JSON writes NaN as null: NON_NUMERIC_VALUE
              { ...good(7, 1), value: "12.5" }, // NON_NUMERIC_VALUE
              measurementJson(PM25, p(24), 9), // next day: OUTSIDE_DAY
              measurementJson(PM25, p(-1), 9), // day before: OUTSIDE_DAY
              measurementJson(CO_PPM, p(8), 0.4), // PARAMETER_MISMATCH
              good(0, 99), // DUPLICATE of hour 0 (the first row read wins)
              "a string row", // MALFORMED_ROW
            ],
          ],
        ],
        [21002, ["<html>502 Bad Gateway</html>"]], // MALFORMED_PAGE
        [21003, [JSON.stringify({ results: [] })]], // MALFORMED_PAGE: not the envelope
        [55555, [[good(0, 1)]]], // UNKNOWN_SENSOR
      ]),
    });
    const report = await transformDay({ store, env: "dev", day: DAY, maxQuarantineRate: 1 });
    expect(report.quarantined.measurements).toEqual({
      SENTINEL_VALUE: 1,
      UNPARSEABLE_TIMESTAMP: 3,
      NON_NUMERIC_VALUE: 2,
      OUTSIDE_DAY: 2,
      PARAMETER_MISMATCH: 1,
      DUPLICATE: 1,
      MALFORMED_ROW: 1,
      MALFORMED_PAGE: 2,
      UNKNOWN_SENSOR: 1,
    });
    expect(report.quarantined.locations).toEqual({ DUPLICATE: 1, MALFORMED_PAGE: 1, MALFORMED_ROW: 1 });
    const covered = new Set([
      ...Object.keys(report.quarantined.measurements),
      ...Object.keys(report.quarantined.locations),
    ]);
    // LOCATION_MISMATCH applies to archive rows only (archive-records.test.ts covers it).
    expect([...QUARANTINE_REASONS].filter((r) => !covered.has(r) && r !== "LOCATION_MISMATCH")).toEqual([]);

    const rows = await processedRows("measurements");
    expect(rows.map((r) => [r.datetime, r.value])).toEqual([
      [p(0), 12.5],
      [p(1), -3.2],
    ]);

    const q = await readQuarantine(store, { env: "dev", dataset: "measurements", day: DAY });
    expect(q).toHaveLength(14);
    const sentinel = q.find((r) => r.reason === "SENTINEL_VALUE");
    expect(sentinel?.record).toEqual(JSON.parse(JSON.stringify(good(2, -999))));
    expect(sentinel?.source).toBe("dev/raw/measurements/year=2024/month=03/day=05/sensor-21001-p0001.json");
    const dup = q.find((r) => r.reason === "DUPLICATE");
    expect((dup?.record as { value: number } | undefined)?.value).toBe(99);
    const page = q.find((r) => r.reason === "MALFORMED_PAGE" && r.source?.includes("21002"));
    expect(page?.record).toMatchObject({ preview: "<html>502 Bad Gateway</html>", bytes: 28 });
    expect(page?.detail).toMatch(/not valid JSON/);
    const lq = await readQuarantine(store, { env: "dev", dataset: "locations", day: DAY });
    expect(lq.map((r) => r.reason).sort()).toEqual(["DUPLICATE", "MALFORMED_PAGE", "MALFORMED_ROW"]);
  });

  it("fails above the quarantine limit, naming rate and reasons, and leaves processed untouched", async () => {
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI],
      sensorPages: new Map([[21001, [hourlyRows(21001, PM25, DAY)]]]),
    });
    await transformDay({ store, env: "dev", day: DAY });
    const processedBefore = await snapshotLake();
    const rows = hourlyRows(21001, PM25, DAY).map((r, h) => (h < 8 ? { ...r, value: -999 } : r));
    await writeRawDay(store, "dev", DAY, { locations: [HANOI], sensorPages: new Map([[21001, [rows]]]) });
    const err = await transformDay({ store, env: "dev", day: DAY, maxQuarantineRate: 0.25 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `Quarantined 32.0% of the records for ${DAY} (8 of 25), above the limit of 25.0% (top reasons: SENTINEL_VALUE 8); processed was not replaced, see ${store.uri}/dev/quarantine/.`,
    );
    const after = await snapshotLake();
    for (const [key, body] of processedBefore)
      if (key.includes("/processed/")) expect(after.get(key)).toBe(body);
    expect(await readQuarantine(store, { env: "dev", dataset: "measurements", day: DAY })).toHaveLength(8);
    // The same input under a looser limit passes.
    const ok = await transformDay({ store, env: "dev", day: DAY, maxQuarantineRate: 0.5, allowShrink: true });
    expect(ok.rows.measurements).toBe(16);
    expect(ok.quarantineRate).toBeCloseTo(8 / 25, 10);
  });

  it("is idempotent: a rerun writes byte-identical objects", async () => {
    await writeRawDay(store, "dev", DAY, {
      locations: [HANOI, SAIGON],
      sensorPages: new Map([
        [21001, [[...hourlyRows(21001, PM25, DAY), measurementJson(PM25, START, -999)]]],
        [9000001, [hourlyRows(9000001, PM25, DAY)]],
      ]),
    });
    await transformDay({ store, env: "dev", day: DAY });
    const first = await snapshotLake();
    await transformDay({ store, env: "dev", day: DAY });
    expect(await snapshotLake()).toEqual(first);
  });

  it("writes an empty measurements partition for a day without readings", async () => {
    await writeRawDay(store, "dev", DAY, { locations: [HANOI], sensorPages: new Map([[21001, [[]]]]) });
    const report = await transformDay({ store, env: "dev", day: DAY });
    expect(report.rows).toEqual({ measurements: 0, locations: 1 });
    expect(await processedRows("measurements")).toEqual([]);
  });

  it("rejects an invalid quarantine limit", async () => {
    await expect(transformDay({ store, env: "dev", day: DAY, maxQuarantineRate: 2 })).rejects.toThrow(
      /between 0 and 1/,
    );
  });
});
