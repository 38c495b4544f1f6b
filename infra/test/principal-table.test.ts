import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { principalTableMarkdown } from "../src/index.js";

describe("docs/aws.md principal table", () => {
  it("is the table rendered from the allow-lists", () => {
    const doc = readFileSync(new URL("../../docs/aws.md", import.meta.url), "utf8");
    const m = /<!-- principal-table:start -->\n([\s\S]*?)\n<!-- principal-table:end -->/.exec(doc);
    expect(m?.[1]).toBe(principalTableMarkdown());
    expect(m?.[1]).toContain("{env}/_state/*");
    const raw = m?.[1]?.split("\n").find((line) => line.endsWith("| {env}/raw/* |"));
    expect(raw).toBe("| role openaq-pipeline-{env} | s3:GetObject, s3:PutObject | {env}/raw/* |");
  });
});
