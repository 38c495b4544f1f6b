import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeParquet,
  LocalFolderStore,
  listKeys,
  measurements,
  utcDayWindow,
  writePartition,
} from "@openaq-lakehouse/pipeline-core";
import { describe, expect, it } from "vitest";
import { deriveCity, foldName, isPlaceholderLocality } from "../src/steps/transform-city.js";
import { MeasurementFlattener } from "../src/steps/transform-measurements.js";
import { parseInstant, parseIntervalSeconds } from "../src/steps/transform-parse.js";
import {
  assertQuarantineRate,
  isSentinel,
  QuarantineLog,
  quarantineRate,
  topReasons,
} from "../src/steps/transform-quarantine.js";
import { MeasurementPartWriter } from "../src/steps/transform-write.js";
import { hourlyRows, PM25 } from "./transform-fixtures.js";

describe("parseInstant", () => {
  it.each([
    ["2024-03-05T00:00:00Z", Date.UTC(2024, 2, 5)],
    ["2024-03-05T07:00:00+07:00", Date.UTC(2024, 2, 5)],
    ["2024-03-04T19:30:00-04:30", Date.UTC(2024, 2, 5)],
    ["2024-03-05T00:00:00.5Z", Date.UTC(2024, 2, 5) + 500],
    ["2024-03-05T00:00:00.123456Z", Date.UTC(2024, 2, 5) + 123],
    ["2024-02-29T23:59:59Z", Date.UTC(2024, 1, 29, 23, 59, 59)],
  ])("%s", (text, ms) => expect(parseInstant(text)).toBe(ms));

  it.each([
    "2024-03-05",
    "2024-03-05T00:00:00",
    "2024-03-05 00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-03-05T24:00:00Z",
    "x",
    "",
  ])("rejects %j", (text) => expect(parseInstant(text)).toBeNaN());

  it("rejects non-strings", () => {
    for (const v of [null, undefined, 1709596800000, {}]) expect(parseInstant(v)).toBeNaN();
  });

  it("agrees with Date.parse on every valid instant it accepts (fuzzed)", () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rand() * 4e12);
      const offsetMin = (Math.floor(rand() * 57) - 28) * 30;
      const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
      const sign = offsetMin < 0 ? "-" : "+";
      const abs = Math.abs(offsetMin);
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
      expect(parseInstant(text)).toBe(Date.parse(text));
      expect(parseInstant(text)).toBe(Math.floor(ms / 1000) * 1000);
    }
  });
});

describe("parseIntervalSeconds", () => {
  it.each([
    ["01:00:00", 3600],
    ["00:05:00", 300],
    ["24:00:00", 86400],
    ["1 day 02:00:00", 93600],
    ["74281:00:00", 267411600],
    ["1 hour", null],
    ["01:60:00", null],
    [null, null],
  ])("%j → %j", (text, seconds) => expect(parseIntervalSeconds(text)).toBe(seconds));
});

describe("city derivation", () => {
  it("spells a locality that names a known city the table's way, and keeps any other as reported", () => {
    const at = (locality: string) =>
      deriveCity({ name: "S", locality, timezone: "Asia/Bangkok", lat: null, lon: null });
    expect(at("Huế")).toBe("Hue");
    expect(at("Cần Thơ")).toBe("Can Tho");
    expect(at("Hà Nội")).toBe("Hanoi");
    expect(at("TP HCM")).toBe("Ho Chi Minh City");
    expect(at("Phnom Penh")).toBe("Phnom Penh");
    expect(at("Thành phố Vinh")).toBe("Thành phố Vinh");
  });

  it("uses locality unless it is a placeholder", () => {
    expect(
      deriveCity({ name: "Station", locality: " Hanoi ", timezone: "Asia/Bangkok", lat: null, lon: null }),
    ).toBe("Hanoi");
    for (const p of [null, undefined, "", " ", "N/A", "n/a", "NA", "-", "unknown"])
      expect(isPlaceholderLocality(p)).toBe(true);
  });
  it("falls back to a known city in the name, diacritics and case ignored", () => {
    expect(foldName("Hà Nội - Đống Đa")).toBe("ha noi dong da");
    expect(
      deriveCity({
        name: "Hà Nội: Đại sứ quán Mỹ",
        locality: null,
        timezone: "Asia/Bangkok",
        lat: 10.8,
        lon: 106.7,
      }),
    ).toBe("Hanoi");
    expect(
      deriveCity({
        name: "TP.HCM - Quận 1",
        locality: "N/A",
        timezone: "Asia/Bangkok",
        lat: null,
        lon: null,
      }),
    ).toBe("Ho Chi Minh City");
    // A whole-word match only: "Huệ" street in Saigon is not the city of Hue.
    expect(
      deriveCity({
        name: "Nguyen Hueco",
        locality: null,
        timezone: "Asia/Ho_Chi_Minh",
        lat: null,
        lon: null,
      }),
    ).toBe("Ho Chi Minh City");
  });
  it("then the nearest city centroid within range, then the timezone's city", () => {
    expect(
      deriveCity({ name: "CMT8", locality: null, timezone: "Asia/Bangkok", lat: 10.78, lon: 106.69 }),
    ).toBe("Ho Chi Minh City");
    expect(
      deriveCity({ name: "Station 12", locality: "N/A", timezone: "Asia/Bangkok", lat: 16.07, lon: 108.22 }),
    ).toBe("Da Nang");
    // Far from every centroid in the table (the middle of the sea): the time zone decides.
    expect(
      deriveCity({ name: "Buoy", locality: null, timezone: "Asia/Ho_Chi_Minh", lat: 14, lon: 113 }),
    ).toBe("Ho Chi Minh City");
    expect(deriveCity({ name: "Buoy", locality: null, timezone: "Asia/Bangkok", lat: null, lon: null })).toBe(
      "Bangkok",
    );
    expect(deriveCity({ name: null, locality: null, timezone: "", lat: null, lon: null })).toBe("Unknown");
  });
});

describe("quarantine rules", () => {
  it("sentinels are exact values; negative readings are not sentinels", () => {
    for (const v of [-999, -999.9, -9999]) expect(isSentinel(v)).toBe(true);
    for (const v of [-998.7, -1, -0.3, 0, 999]) expect(isSentinel(v)).toBe(false);
  });
  it("rate and the failure sentence", () => {
    expect(quarantineRate(0, 0)).toBe(0);
    expect(quarantineRate(3, 1)).toBe(0.25);
    expect(topReasons({ A: 1, B: 5, C: 5, D: 0 })).toBe("B 5, C 5, A 1");
    expect(() =>
      assertQuarantineRate({
        day: "2024-03-05",
        accepted: 3,
        quarantined: 1,
        byReason: { A: 1 },
        maxRate: 0.25,
        quarantineWhere: "x",
      }),
    ).not.toThrow();
    expect(() =>
      assertQuarantineRate({
        day: "2024-03-05",
        accepted: 2,
        quarantined: 1,
        byReason: { A: 1 },
        maxRate: 0.25,
        quarantineWhere: "x",
      }),
    ).toThrow(
      "Quarantined 33.3% of the records for 2024-03-05 (1 of 3), above the limit of 25.0% (top reasons: A 1); processed was not replaced, see x.",
    );
  });
});

describe("MeasurementPartWriter", () => {
  it("encodes row groups while sensors are still being read into one object, deterministically; it is writePartition's output", async () => {
    const dir = await mkdtemp(join(tmpdir(), "write-"));
    try {
      const store = new LocalFolderStore(dir);
      const day = "2024-03-05";
      const { startMs, endMs } = utcDayWindow(day);
      const write = async (rowsPerGroup?: number) => {
        const f = new MeasurementFlattener(startMs, endMs, new QuarantineLog());
        const parts = new MeasurementPartWriter(f, rowsPerGroup);
        const columnsSeen: number[] = [];
        for (const sensorId of [1, 2, 3]) {
          f.beginSensor(sensorId, {
            sensorId,
            locationId: 10,
            parameterId: 2,
            parameterName: "pm25",
            units: "µg/m³",
            lat: 21,
            lon: null,
          });
          parts.flush();
          columnsSeen.push(f.columns.length);
          f.addResults(hourlyRows(sensorId, PM25, day), `s${sensorId}`);
        }
        f.endSensor();
        return { report: await parts.publish(store, "dev", day, { allowShrink: true }), columnsSeen };
      };
      const { report: split, columnsSeen } = await write(30);
      // Rows already encoded leave the columns: 24 → (48 - 30) = 18 held before sensor 3.
      expect(columnsSeen).toEqual([0, 24, 18]);
      expect(split.rows).toBe(72);
      const key = "dev/processed/measurements/year=2024/month=03/day=05/part-00000.parquet";
      // One object per partition, whatever the row groups.
      expect(split.keys).toEqual([key]);
      const rows = decodeParquet((await store.get(key)) as Uint8Array)
        .toArray()
        .map((r) => r.toJSON() as { sensor_id: number; datetime: number; coordinates: object | null });
      expect(rows.map((r) => `${r.sensor_id}@${r.datetime}`)).toEqual(
        [1, 2, 3].flatMap((s) => Array.from({ length: 24 }, (_, h) => `${s}@${startMs + h * 3_600_000}`)),
      );
      expect({ ...rows[0]?.coordinates }).toEqual({ lat: 21, lon: null });
      const again = await write(30);
      expect(Buffer.from((await store.get(key)) as Uint8Array).length).toBe(split.bytes);
      expect(again.report.previousRows).toBe(72);
      // Default row groups: the object is what writePartition writes for the same table.
      await write();
      expect(await listKeys(store, "dev/processed/")).toEqual([key]);
      const ours = Buffer.from((await store.get(key)) as Uint8Array);
      await writePartition({ store, env: "dev", dataset: measurements, day, table: decodeParquet(ours) });
      expect(Buffer.from((await store.get(key)) as Uint8Array).equals(ours)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
