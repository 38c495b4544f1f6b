import { describe, expect, it } from "vitest";
import type { Location, Measurement } from "../src/openaq/types.js";
import { type Unchecked, uncheckedItems } from "../src/openaq/unchecked.js";
import { LocationsSnapshot } from "../src/steps/transform-locations.js";
import { QuarantineLog } from "../src/steps/transform-quarantine.js";
import { HANOI, locationJson } from "./transform-fixtures.js";

function snapshotOf(results: unknown[]): { snapshot: LocationsSnapshot; quarantine: QuarantineLog } {
  const snapshot = new LocationsSnapshot();
  const quarantine = new QuarantineLog();
  snapshot.addPage(results, "page-1", quarantine);
  return { snapshot, quarantine };
}

describe("the locations snapshot", () => {
  it("quarantines a location without the fields its row needs, saying which", () => {
    const good = locationJson(HANOI);
    const { snapshot, quarantine } = snapshotOf([
      "a string",
      null,
      [good],
      { ...good, id: "7441" },
      { ...good, id: 2 ** 31 },
      { ...good, id: 1, timezone: "" },
      { ...good, id: 2, country: { id: 56, name: "Vietnam" } },
      { ...good, id: 3, country: "VN" },
      { ...good, id: 4, isMobile: "no" },
      { ...good, id: 5, isMonitor: undefined },
      good,
      { ...good, name: "again" },
    ]);
    expect(quarantine.records.map((r) => [r.reason, r.detail])).toEqual([
      ["MALFORMED_ROW", "The location is not an object."],
      ["MALFORMED_ROW", "The location is not an object."],
      ["MALFORMED_ROW", "The location is not an object."],
      ["MALFORMED_ROW", "The location has no integer id."],
      ["MALFORMED_ROW", "The location has no integer id."],
      ["MALFORMED_ROW", "Location 1 has no timezone."],
      ["MALFORMED_ROW", "Location 2 has no country code."],
      ["MALFORMED_ROW", "Location 3 has no country code."],
      ["MALFORMED_ROW", "Location 4 lacks isMonitor/isMobile."],
      ["MALFORMED_ROW", "Location 5 lacks isMonitor/isMobile."],
      ["DUPLICATE", "Location 7441 appears more than once in the snapshot."],
    ]);
    expect(snapshot.rows().map((r) => [r.location_id, r.name])).toEqual([[7441, "Hanoi: US Embassy"]]);
    expect([...snapshot.sensors.keys()]).toEqual([21001, 21002]);
  });

  it("reads optional fields of the wrong type as null instead of failing the page", () => {
    const { snapshot, quarantine } = snapshotOf([
      {
        ...locationJson(HANOI),
        name: 42,
        locality: 7,
        coordinates: "21,105",
        provider: null,
        owner: ["x"],
        datetimeFirst: { utc: 1 },
        datetimeLast: "2030",
        sensors: { id: 21001 },
      },
      {
        ...locationJson({ ...HANOI, id: 7442 }),
        sensors: [null, 3, { id: 9, parameter: null }, { id: 21003, parameter: { id: 2, name: 5 } }],
      },
    ]);
    expect(quarantine.size).toBe(0);
    const [first] = snapshot.rows();
    expect(first).toMatchObject({
      location_id: 7441,
      name: null,
      locality: null,
      country_code: "VN",
      provider: null,
      owner: null,
      coordinates: null,
      datetime_first: null,
      datetime_last: null,
      city: "Bangkok",
    });
    expect([...snapshot.sensors.entries()]).toEqual([
      [
        21003,
        {
          sensorId: 21003,
          locationId: 7442,
          parameterId: 2,
          parameterName: null,
          units: null,
          lat: 21.0219,
          lon: 105.8188,
        },
      ],
    ]);
  });
});

describe("Unchecked: the schema's field names over values still to be checked", () => {
  it("iterates only real arrays", () => {
    const loc = { sensors: 5 } as unknown as Unchecked<Location>;
    expect(uncheckedItems(loc?.sensors)).toEqual([]);
    const listed = { sensors: [{ id: 1 }] } as unknown as Unchecked<Location>;
    expect(uncheckedItems(listed?.sensors).map((s) => s?.id)).toEqual([1]);
  });

  it("holds field names to the schema and leaves every value unknown (checked by typecheck)", () => {
    const m = { period: { label: "raw" } } as unknown as Unchecked<Measurement>;
    const label: unknown = m?.period?.label;
    // @ts-expect-error a misspelt field is not a field of the schema
    const misspelt: unknown = m?.period?.lable;
    // @ts-expect-error a leaf is unknown until it is narrowed
    const asString: string = m?.period?.label;
    // @ts-expect-error an array field must go through uncheckedItems (it may be anything)
    for (const s of ({} as Unchecked<Location>)?.sensors ?? []) expect(s).toBeUndefined();
    expect([label, misspelt, asString]).toEqual(["raw", undefined, "raw"]);
  });
});
