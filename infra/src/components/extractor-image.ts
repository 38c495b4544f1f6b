import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";

export interface ExtractorImageArgs {
  /** The ECR repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  repositoryUrl: pulumi.Input<string>;
  registryId: pulumi.Input<string>;
  /** Build context directory (the workspace root: the extractor image needs pipeline-core and views too). */
  contextDir: string;
  /** Path of the Dockerfile. */
  dockerfile: string;
  /** Tag pushed alongside the digest; informational only, nothing runs by tag. */
  tag?: string;
  /** The Airflow host's platform. Default linux/amd64 (t3). */
  platform?: "linux/amd64" | "linux/arm64";
}

/** `<repository>@sha256:…` from a repository URL and a digest; refuses anything that is not a digest. */
export function pinnedImageRef(repositoryUrl: string, digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(`Not an image digest: ${JSON.stringify(digest)}.`);
  return `${repositoryUrl}@${digest}`;
}

/**
 * The extractor image, built from its Dockerfile and pushed by `pulumi up`. Its output `imageRef`
 * is the repository pinned to the pushed digest: what the DAGs run, never a floating tag.
 */
export class ExtractorImage extends pulumi.ComponentResource {
  public readonly digest: pulumi.Output<string>;
  /** `<repositoryUrl>@sha256:…` */
  public readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: ExtractorImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:containers:ExtractorImage", name, {}, opts);
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: args.registryId }, { parent: this });
    const registryAddress = pulumi.output(args.repositoryUrl).apply((url) => url.split("/")[0] ?? url);
    const image = new dockerBuild.Image(
      `${name}-image`,
      {
        context: { location: args.contextDir },
        dockerfile: { location: args.dockerfile },
        platforms: [args.platform ?? "linux/amd64"],
        push: true,
        // Previews do not need a Docker daemon; `pulumi up` builds and pushes.
        buildOnPreview: false,
        tags: [pulumi.interpolate`${args.repositoryUrl}:${args.tag ?? "latest"}`],
        registries: [
          { address: registryAddress, username: token.userName, password: pulumi.secret(token.password) },
        ],
      },
      { parent: this },
    );
    this.digest = image.digest;
    this.imageRef = pulumi
      .all([args.repositoryUrl, image.digest])
      .apply(([url, digest]) => pinnedImageRef(url, digest));
    this.registerOutputs({ digest: this.digest, imageRef: this.imageRef });
  }
}
