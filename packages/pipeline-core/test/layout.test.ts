import { describe, expect, it } from "vitest";
import {
  addDays,
  assertIdentifier,
  athenaResultsPrefix,
  databaseName,
  dayPartitionEntries,
  dayPartitionPath,
  daysBetween,
  hivePartitionPath,
  hivePartitionTemplate,
  layerPrefix,
  parseIsoDay,
  parseLakeKey,
  partitionPrefix,
  processedKey,
  quarantineKey,
  rawKey,
  utcDayWindow,
} from "../src/index.js";

describe("lake keys", () => {
  it("builds every key of the layout with zero-padded month and day", () => {
    const ref = { env: "dev" as const, dataset: "measurements", day: "2024-03-05" };
    expect(rawKey(ref, "sensor-1-p0001.json")).toBe(
      "dev/raw/measurements/year=2024/month=03/day=05/sensor-1-p0001.json",
    );
    expect(processedKey({ ...ref, env: "prod" }, 0)).toBe(
      "prod/processed/measurements/year=2024/month=03/day=05/part-00000.parquet",
    );
    expect(processedKey(ref, 12)).toMatch(/part-00012\.parquet$/);
    expect(quarantineKey(ref, "rejected.ndjson")).toBe(
      "dev/quarantine/measurements/year=2024/month=03/day=05/rejected.ndjson",
    );
    expect(partitionPrefix({ ...ref, layer: "processed" })).toBe(
      "dev/processed/measurements/year=2024/month=03/day=05/",
    );
  });

  it("spells a layer's prefix, a day's Hive folders and the projection template", () => {
    expect(layerPrefix("dev", "raw")).toBe("dev/raw/");
    expect(layerPrefix("prod", "quarantine")).toBe("prod/quarantine/");
    expect(() => layerPrefix("dev", "gold" as "raw")).toThrow(/Unknown layer "gold"/);
    expect(() => layerPrefix("qa" as "dev", "raw")).toThrow(/Unknown environment "qa"/);
    expect(dayPartitionEntries("2024-03-05")).toEqual([
      ["year", "2024"],
      ["month", "03"],
      ["day", "05"],
    ]);
    expect(dayPartitionPath("2025-12-31")).toBe("year=2025/month=12/day=31/");
    expect(() => dayPartitionPath("2024-02-30")).toThrow(/Invalid date/);
    expect(hivePartitionPath([["region", "north"]])).toBe("region=north/");
    expect(hivePartitionPath([])).toBe("");
    expect(hivePartitionTemplate(["year", "month", "day"])).toBe(
      `year=\${year}/month=\${month}/day=\${day}/`,
    );
    // Every key of a partition is its layer prefix, then its dataset, then the day's folders.
    const ref = { env: "dev" as const, dataset: "measurements", day: "2024-03-05" };
    expect(partitionPrefix({ ...ref, layer: "processed" })).toBe(
      `${layerPrefix("dev", "processed")}measurements/${dayPartitionPath("2024-03-05")}`,
    );
  });

  it("parses a key back into its parts", () => {
    const key = processedKey({ env: "prod", dataset: "locations", day: "2025-12-31" }, 3);
    expect(parseLakeKey(key)).toEqual({
      env: "prod",
      layer: "processed",
      dataset: "locations",
      day: "2025-12-31",
      file: "part-00003.parquet",
    });
  });

  it.each([
    ["dev/raw/measurements/year=2024/month=3/day=05/x.json", /Not a lake key/],
    ["stage/raw/measurements/year=2024/month=03/day=05/x.json", /Unknown environment/],
    ["dev/gold/measurements/year=2024/month=03/day=05/x.json", /Unknown layer/],
    ["dev/raw/Measurements/year=2024/month=03/day=05/x.json", /Invalid dataset name/],
    ["dev/raw/measurements/year=2024/month=02/day=30/x.json", /Invalid date/],
    ["dev/raw/measurements/year=2024/month=02/day=03/..", /Invalid object name/],
  ])("rejects %s", (key, message) => {
    expect(() => parseLakeKey(key)).toThrow(message);
  });

  it("refuses identifiers that could escape a path or break SQL", () => {
    for (const bad of ["..", "a/b", "a'b", 'a"b', "A", "1abc", "", "a b", "a;drop", "x".repeat(65)]) {
      expect(() => assertIdentifier("dataset name", bad)).toThrow(/Invalid dataset name/);
      expect(() => partitionPrefix({ env: "dev", layer: "raw", dataset: bad, day: "2024-01-01" })).toThrow();
    }
    expect(() => rawKey({ env: "dev", dataset: "measurements", day: "2024-01-01" }, "../x.json")).toThrow(
      /Invalid object name/,
    );
    expect(() => rawKey({ env: "dev", dataset: "measurements", day: "2024-01-01" }, "a/b.json")).toThrow(
      /Invalid object name/,
    );
    expect(() =>
      partitionPrefix({ env: "qa" as "dev", layer: "raw", dataset: "x", day: "2024-01-01" }),
    ).toThrow(/Unknown environment "qa": expected one of dev, prod/);
  });

  it("names databases and keeps Athena results outside the data prefixes", () => {
    expect(databaseName("dev")).toBe("openaq_dev");
    expect(databaseName("prod")).toBe("openaq_prod");
    expect(athenaResultsPrefix("prod").startsWith("prod/")).toBe(false);
  });
});

describe("the day rule", () => {
  it("asks for [D 00:00Z, D+1 00:00Z) with an explicit Z, across month and year ends", () => {
    expect(utcDayWindow("2024-02-29")).toMatchObject({
      from: "2024-02-29T00:00:00Z",
      to: "2024-03-01T00:00:00Z",
    });
    expect(utcDayWindow("2025-12-31").to).toBe("2026-01-01T00:00:00Z");
  });

  it("parses days strictly", () => {
    expect(parseIsoDay("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    for (const bad of ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-01-01T00:00:00Z", ""]) {
      expect(() => parseIsoDay(bad)).toThrow(/Invalid date/);
    }
    expect(addDays("2024-12-31", 1)).toBe("2025-01-01");
    expect(daysBetween("2024-02-27", "2024-03-01")).toEqual([
      "2024-02-27",
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
    expect(() => daysBetween("2024-03-02", "2024-03-01")).toThrow(/ends/);
  });
});
