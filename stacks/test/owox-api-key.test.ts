import { describe, expect, it } from "vitest";
import { decodeOwoxApiKey, encodeOwoxApiKey } from "../src/owox/api-key.js";

describe("OWOX API key origin", () => {
  const key = (apiOrigin: string) => encodeOwoxApiKey({ apiOrigin, apiKeyId: "id", apiKeySecret: "secret" });

  it("accepts https (and plain http on loopback only, for a local server)", () => {
    expect(decodeOwoxApiKey(key("https://app.owox.com/x")).apiOrigin).toBe("https://app.owox.com");
    expect(decodeOwoxApiKey(key("http://127.0.0.1:8080")).apiOrigin).toBe("http://127.0.0.1:8080");
  });

  it.each(["http://app.owox.com", "http://10.0.0.5", "ftp://app.owox.com"])(
    "refuses %s: the AWS secret key would travel in clear text",
    (origin) => {
      expect(() => decodeOwoxApiKey(key(origin))).toThrow(
        /is not https:\/\/; refusing to send AWS credentials there/,
      );
    },
  );
});
