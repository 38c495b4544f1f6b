import { describe, expect, it } from "vitest";
import {
  awsContainerEnvironment,
  isValidBucketName,
  LAKE_CONTRACT,
  LAYERS,
  lakeAreaOfKey,
  layerPrefix,
  parseContainerEnv,
  parseLakeUri,
  stateKey,
} from "../src/index.js";

describe("lake URIs: one parser, one bucket rule", () => {
  it("reads s3://bucket (trailing slash allowed) and local folders", () => {
    expect(parseLakeUri("s3://openaq-lake-1")).toEqual({
      kind: "s3",
      bucket: "openaq-lake-1",
      uri: "s3://openaq-lake-1",
    });
    expect(parseLakeUri("s3://openaq-lake-1/")).toMatchObject({ kind: "s3", bucket: "openaq-lake-1" });
    expect(parseLakeUri("./.lake")).toEqual({ kind: "local", path: "./.lake" });
    expect(parseLakeUri("file:///tmp/lake")).toEqual({ kind: "local", path: "/tmp/lake" });
  });

  it("refuses a key prefix with a sentence that says why", () => {
    expect(() => parseLakeUri("s3://openaq-lake-1/team/a")).toThrow(
      /Unsupported lake "s3:\/\/openaq-lake-1\/team\/a": the lake is a whole bucket \(s3:\/\/openaq-lake-1\)/,
    );
  });

  it.each(["s3://A_B", "s3://ab", "s3://a..b", "s3://192.168.1.1", "s3://-ab", "s3://", "s3://xn--abc"])(
    "refuses the bucket of %s",
    (uri) => {
      expect(() => parseLakeUri(uri)).toThrow(/is not an S3 bucket name/);
    },
  );

  it("refuses other schemes and the empty string", () => {
    expect(() => parseLakeUri("gs://bucket")).toThrow(/Unsupported lake/);
    expect(() => parseLakeUri(" ")).toThrow(/The lake is empty/);
  });

  it("bucket rule", () => {
    expect(isValidBucketName("openaq-lake-abc1234")).toBe(true);
    expect(isValidBucketName("my.bucket.name")).toBe(true);
    expect(isValidBucketName("My-Bucket")).toBe(false);
    expect(isValidBucketName("a-.b")).toBe(false);
  });
});

describe("container environment: one parser", () => {
  it("parses every variable; empty counts as unset", () => {
    const c = parseContainerEnv({
      PIPELINE_ENV: "prod",
      LAKE_URI: "s3://openaq-lake-1",
      OPENAQ_API_KEY_PARAMETER: "/openaq-lakehouse/prod/openaq-api-key",
      AWS_DEFAULT_REGION: "ap-southeast-1",
      ATHENA_WORKGROUP: "openaq-prod",
      CATALOG_MODE: "",
      OPENAQ_CONCURRENCY: "3",
      OPENAQ_BASE_URL: "https://api.openaq.org",
    });
    expect(c).toMatchObject({
      env: "prod",
      lake: "s3://openaq-lake-1",
      apiKey: undefined,
      region: "ap-southeast-1",
      catalogMode: "projection",
      client: { concurrency: 3 },
      baseUrl: "https://api.openaq.org",
    });
  });

  it.each([
    [{ PIPELINE_ENV: "qa" }, /Invalid PIPELINE_ENV "qa": expected one of dev, prod/],
    [{ LAKE_URI: "s3://b-1/x" }, /Unsupported lake/],
    [{ OPENAQ_CONCURRENCY: "0" }, /Invalid OPENAQ_CONCURRENCY "0"/],
    [{ CATALOG_MODE: "glue" }, /Unknown CATALOG_MODE "glue"/],
    [{ OPENAQ_BASE_URL: "http://api.openaq.org" }, /expected an https URL \(plain http only on localhost\)/],
  ])("refuses %j", (vars, message) => {
    expect(() => parseContainerEnv(vars)).toThrow(message);
  });

  it("accepts plain http only on loopback (the local test server)", () => {
    expect(parseContainerEnv({ OPENAQ_BASE_URL: "http://127.0.0.1:8080" }).baseUrl).toBe(
      "http://127.0.0.1:8080",
    );
    expect(parseContainerEnv({ OPENAQ_BASE_URL: "http://localhost:1" }).baseUrl).toBe("http://localhost:1");
  });

  it("the deployment's AWS task environment parses back to the same settings", () => {
    const vars = awsContainerEnvironment({
      env: "dev",
      bucket: "openaq-lake-1",
      region: "ap-southeast-1",
      athenaWorkgroup: "openaq-dev",
      apiKeyParameter: "/openaq-lakehouse/dev/openaq-api-key",
    });
    expect(parseContainerEnv(vars)).toMatchObject({
      env: "dev",
      lake: "s3://openaq-lake-1",
      athenaWorkgroup: "openaq-dev",
      apiKeyParameter: "/openaq-lakehouse/dev/openaq-api-key",
    });
    expect(() =>
      awsContainerEnvironment({
        ...vars,
        env: "dev",
        bucket: "Bad",
        region: "r",
        athenaWorkgroup: "w",
        apiKeyParameter: "p",
      }),
    ).toThrow(/bucket name/);
  });
});

describe("lake areas", () => {
  it("every key the pipeline writes for its bookkeeping falls in an area of its env only", () => {
    expect(lakeAreaOfKey("dev", stateKey("dev", "runs", "2024-03-05"))?.area).toBe("state");
    expect(lakeAreaOfKey("prod", stateKey("dev", "runs", "2024-03-05"))).toBeUndefined();
    expect(lakeAreaOfKey("dev", "dev/raw/measurements/year=2024/month=03/day=05/x.json")?.area).toBe("raw");
    expect(lakeAreaOfKey("dev", "athena-results/dev/q.csv")?.area).toBe("athena-results");
  });

  it("raw is write-once: no delete on raw; every prefix is distinct and ends in /", () => {
    const raw = LAKE_CONTRACT.find((a) => a.area === "raw");
    expect(raw?.objectActions).not.toContain("s3:DeleteObject");
    const prefixes = LAKE_CONTRACT.map((a) => a.prefix("dev"));
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) expect(p.endsWith("/")).toBe(true);
    for (const p of LAKE_CONTRACT.map((a) => a.prefix("prod")))
      expect(prefixes.some((d) => p.startsWith(d) || d.startsWith(p))).toBe(false);
  });

  it("grants each data layer on exactly the layout's layer prefix", () => {
    for (const env of ["dev", "prod"] as const) {
      for (const layer of LAYERS) {
        expect(LAKE_CONTRACT.find((a) => a.area === layer)?.prefix(env)).toBe(layerPrefix(env, layer));
      }
    }
    expect(layerPrefix("dev", "processed")).toBe("dev/processed/");
  });
});
