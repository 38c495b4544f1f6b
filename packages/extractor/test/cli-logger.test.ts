import { describe, expect, it } from "vitest";
import { createCliLogger, redactAll } from "../src/cli/logger.js";

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, sink: { write: (t: string) => out.push(t), isTTY } };
}

const now = () => new Date("2024-03-06T03:00:00.000Z");

describe("CLI logger", () => {
  it("on a TTY: one progress line rewritten in place, closed before the next message", () => {
    const { out, sink: s } = sink(true);
    const log = createCliLogger({ format: "text", sink: s, secrets: () => [], now });
    log.progress("extract", 6, 12);
    log.progress("extract", 12, 12);
    log.progress("transform", 1, 4);
    log.info("done");
    expect(out.join("")).toBe(
      "\r\x1b[Kextract: 6/12 sensors (50%)\r\x1b[Kextract: 12/12 sensors (100%)\n\r\x1b[Ktransform: 1/4 sensors (25%)\ndone\n",
    );
  });

  it("off a TTY: timestamped lines, progress only every tenth of the way", () => {
    const { out, sink: s } = sink(false);
    const log = createCliLogger({ format: "text", sink: s, secrets: () => [], now });
    for (let i = 0; i <= 40; i++) log.progress("extract", i, 40);
    log.warn("slow down");
    expect(out).toHaveLength(11 + 1);
    expect(out[0]).toBe("2024-03-06T03:00:00.000Z INFO extract: 0/40 sensors (0%)\n");
    expect(out[10]).toBe("2024-03-06T03:00:00.000Z INFO extract: 40/40 sensors (100%)\n");
    expect(out[11]).toBe("2024-03-06T03:00:00.000Z WARN slow down\n");
  });

  it("json: one object per line with the fields, progress as events", () => {
    const { out, sink: s } = sink(true);
    const log = createCliLogger({ format: "json", sink: s, secrets: () => [], now });
    log.info("extract 2024-03-05: 20 locations", { day: "2024-03-05", locations: 20, none: undefined });
    log.progress("transform", 5, 5);
    expect(out.map((l) => JSON.parse(l))).toEqual([
      {
        time: "2024-03-06T03:00:00.000Z",
        level: "info",
        message: "extract 2024-03-05: 20 locations",
        day: "2024-03-05",
        locations: 20,
      },
      {
        time: "2024-03-06T03:00:00.000Z",
        level: "info",
        event: "progress",
        step: "transform",
        done: 5,
        total: 5,
      },
    ]);
  });

  it("redacts secrets known at write time, including ones learned later", () => {
    const secrets: string[] = [];
    const { out, sink: s } = sink(false);
    const log = createCliLogger({ format: "text", sink: s, secrets: () => secrets, now });
    secrets.push("k3y-from-ssm");
    log.error("request with k3y-from-ssm failed");
    expect(out[0]).toContain("request with *** failed");
    expect(redactAll("abc", ["ab"])).toBe("abc");
  });
});
