import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ImageRegistryArgs {
  /** How many images to keep; older ones expire. */
  keepImages: number;
  /** Allow `pulumi destroy` to delete a repository that still holds images. Default false. */
  forceDelete?: boolean;
  tags?: Record<string, string>;
}

/** The ECR lifecycle policy: keep the newest `keep` images, whatever their tags. */
export function keepLastImagesPolicy(keep: number): aws.ecr.LifecyclePolicyDocument {
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`keepImages must be a positive integer, got ${keep}.`);
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${keep} images.`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  };
}

/** The extractor's container registry: private ECR repository, scan on push, encrypted, last N images kept. */
export class ImageRegistry extends pulumi.ComponentResource {
  public readonly repositoryUrl: pulumi.Output<string>;
  public readonly repositoryArn: pulumi.Output<string>;
  public readonly registryId: pulumi.Output<string>;

  constructor(name: string, args: ImageRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openaq:containers:ImageRegistry", name, {}, opts);
    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        // Tags may move; deployments pin the digest, so a moved tag never changes what runs.
        imageTagMutability: "MUTABLE",
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: args.forceDelete ?? false,
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      { repository: repository.name, policy: keepLastImagesPolicy(args.keepImages) },
      { parent: this },
    );
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.registryId = repository.registryId;
    this.registerOutputs({
      repositoryUrl: this.repositoryUrl,
      repositoryArn: this.repositoryArn,
      registryId: this.registryId,
    });
  }
}
