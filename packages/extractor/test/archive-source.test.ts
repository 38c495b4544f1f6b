import { ListObjectsV2Command, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { leakedSecrets, withSignedRequest } from "@openaq-lakehouse/test-support/aws-errors";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { openArchive } from "../src/archive/source.js";

/** Every S3Client the archive source builds answers from here. */
const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

describe("the OpenAQ archive on S3", () => {
  it("a listing S3 refuses is one sentence, and nothing of the request reaches the error", async () => {
    s3.on(ListObjectsV2Command).rejects(
      withSignedRequest(
        new S3ServiceException({
          name: "AccessDenied",
          $fault: "client",
          $metadata: {},
          message: "Access Denied",
        }),
      ),
    );
    const archive = await openArchive("s3://openaq-data-archive");
    try {
      const error = await archive.list("records/csv.gz/locationid=2178/").catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "ARCHIVE_UNREADABLE",
        message:
          'S3 ListObjectsV2 on s3://openaq-data-archive/records/csv.gz/locationid=2178/ failed: access denied (AccessDenied); check the credentials and the IAM policy for bucket "openaq-data-archive".',
      });
      expect(leakedSecrets(error)).toEqual([]);
    } finally {
      archive.close();
    }
  });
});
